// Profile of the lenet-step benchmark below .NET: the same LeNet-300-100 step (linear/relu/cross-entropy, backward,
// p.add_(grad, -lr) and grad.zero_() under NoGradGuard) written directly against libtorch's C++ API, i.e. the floor
// any binding can reach. Prints median ms per step. Not part of the default bench run; build and run with
//   g++ -O2 -std=c++17 bench/native/lenet_step.cpp -o /tmp/lenet_step -ltorch_cpu -lc10 && /tmp/lenet_step [threads]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  at::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 1);
  at::manual_seed(0);
  const int widths[] = {784, 300, 100, 10};
  std::vector<at::Tensor> p;
  for (int l = 0; l < 3; ++l) {
    double bound = 1 / std::sqrt(static_cast<double>(widths[l]));
    p.push_back(at::empty({widths[l + 1], widths[l]}).uniform_(-bound, bound).set_requires_grad(true));
    p.push_back(at::empty({widths[l + 1]}).uniform_(-bound, bound).set_requires_grad(true));
  }
  auto x = at::randn({128, 784});
  auto y = at::randint(0, 10, {128});
  auto step = [&] {
    auto h1 = at::relu(at::linear(x, p[0], p[1]));
    auto h2 = at::relu(at::linear(h1, p[2], p[3]));
    auto loss = at::cross_entropy_loss(at::linear(h2, p[4], p[5]), y);
    torch::autograd::backward({loss});
    at::NoGradGuard guard;
    for (auto& t : p) {
      t.add_(t.grad(), -0.1);
      t.mutable_grad().zero_();
    }
  };
  for (int i = 0; i < 20; ++i) step();
  auto process_cpu_ms = [] {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
  };
  std::vector<double> times, cpu;
  for (int r = 0; r < 9; ++r) {
    double c0 = process_cpu_ms();
    auto s = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) step();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count() / 50);
    cpu.push_back((process_cpu_ms() - c0) / 50);
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("native: full step (C++ libtorch)     wall %7.3f ms/step (min %7.3f)  process-cpu %7.3f ms/step\n",
              times[times.size() / 2], times[0], cpu[cpu.size() / 2]);
  return 0;
}
