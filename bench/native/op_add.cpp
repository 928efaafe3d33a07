// Profile of the op-overhead benchmark below .NET: the cost of an 8x8 float32 add in libtorch itself, called
// (1) directly from C++ and (2) through the shim's C ABI (symm_tensor_binary + symm_tensor_free), without any
// managed code. Prints median ns per op. Not part of the default bench run; build and run with
//   g++ -O2 -std=c++17 bench/native/op_add.cpp -o /tmp/op_add -I src/Symmetry.Native/include \
//       -Lbuild/native -lsymm_native -ltorch_cpu -lc10 -Wl,-rpath,$PWD/build/native && /tmp/op_add
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <c10/core/InferenceMode.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "symm_api.h"

static double thread_cpu_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

// Median wall ns per iteration; the median thread-CPU ns (less disturbed by other processes) goes to *cpu.
static double median_ns(const std::function<void(int)>& body, int n, double* cpu_out, int repeats = 7) {
  body(n / 10);
  std::vector<double> t, c;
  for (int r = 0; r < repeats; ++r) {
    double c0 = thread_cpu_ns();
    auto s = std::chrono::steady_clock::now();
    body(n);
    t.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - s).count() / n);
    c.push_back((thread_cpu_ns() - c0) / n);
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  *cpu_out = c[c.size() / 2];
  return t[t.size() / 2];
}

static void report(const char* what, const std::function<void(int)>& body, int n) {
  double cpu = 0;
  double wall = median_ns(body, n, &cpu);
  std::printf("%-44s wall %7.1f ns/op  thread-cpu %7.1f ns/op\n", what, wall, cpu);
}

int main() {
  at::set_num_threads(1);
  const int n = 200000;
  auto a = at::rand({8, 8});
  auto b = at::rand({8, 8});

  report("native: at::add (grad mode on)", [&](int k) {
    for (int i = 0; i < k; ++i) { auto c = at::add(a, b); }
  }, n);
  {
    at::NoGradGuard g;
    report("native: at::add (NoGradGuard)", [&](int k) {
      for (int i = 0; i < k; ++i) { auto c = at::add(a, b); }
    }, n);
  }
  {
    c10::InferenceMode g;
    auto ai = at::rand({8, 8}), bi = at::rand({8, 8});
    report("native: at::add (InferenceMode)", [&](int k) {
      for (int i = 0; i < k; ++i) { auto c = at::add(ai, bi); }
    }, n);
  }
  auto c = at::empty({8, 8});
  report("native: at::add_out (preallocated)", [&](int k) {
    for (int i = 0; i < k; ++i) at::add_out(c, a, b);
  }, n);
  report("native: at::empty({8,8}) alone", [&](int k) {
    for (int i = 0; i < k; ++i) { auto e = at::empty({8, 8}); }
  }, n);

  auto ha = reinterpret_cast<symm_tensor>(&a);
  auto hb = reinterpret_cast<symm_tensor>(&b);
  report("shim:   symm_live_tensors (no-op export)", [&](int k) {
    for (int i = 0; i < k; ++i) { volatile auto x = symm_live_tensors(); (void)x; }
  }, n);
  report("shim:   symm_tensor_binary + _free", [&](int k) {
    for (int i = 0; i < k; ++i) {
      symm_tensor out = nullptr;
      symm_tensor_binary(SYMM_ADD, ha, hb, 0, &out);
      symm_tensor_free(out);
    }
  }, n);
  return 0;
}
