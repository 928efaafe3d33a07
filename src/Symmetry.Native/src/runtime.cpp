// Runtime services: versions, errors, thread count, determinism, CUDA discovery, global seeding.
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "symm_internal.h"

namespace symm {

std::atomic<int64_t> live_tensors{0};
static thread_local std::string last_error;

void set_error(const char* message) { last_error = message ? message : "(no message)"; }

// OpenBLAS keeps its own thread pool; libtorch's set_num_threads does not reach it. Set it too when OpenBLAS is
// loaded (looked up at run time, so the shim does not depend on it).
static void set_blas_threads(int count) {
  using setter = void (*)(int);
  if (auto set = reinterpret_cast<setter>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(count);
}

// glibc returns large freed blocks (activations, gradients) to the kernel and faults them in again on the next
// step: on a conv net that is ~5x more page faults and ~25% of the step. Keep them in the heap instead (blocks up to
// 32 MiB from the heap, trim only above 512 MiB free), unless SYMMETRY_DEFAULT_MALLOC=1 or the user tuned glibc.
static const bool malloc_tuned = [] {
  const char* opt_out = std::getenv("SYMMETRY_DEFAULT_MALLOC");
  if ((opt_out != nullptr && opt_out[0] == '1') || std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr ||
      std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr)
    return false;
  return mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1 && mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024) == 1;
}();

static int cuda_devices() {
  if (!at::globalContext().hasCUDA()) return 0;
  return static_cast<int>(at::detail::getCUDAHooks().getNumGPUs());
}

}  // namespace symm

SYMM_API int symm_version(void) { return SYMM_ABI_VERSION; }

SYMM_API int symm_torch_version(char* buffer, int capacity) {
  SYMM_BEGIN
  const std::string version = TORCH_VERSION;
  if (buffer == nullptr || capacity <= static_cast<int>(version.size()))
    throw std::invalid_argument("buffer too small for the libtorch version string");
  std::memcpy(buffer, version.c_str(), version.size() + 1);
  SYMM_END
}

SYMM_API char* symm_error_take(void) {
  char* copy = static_cast<char*>(std::malloc(symm::last_error.size() + 1));
  if (copy != nullptr) std::memcpy(copy, symm::last_error.c_str(), symm::last_error.size() + 1);
  symm::last_error.clear();
  return copy;
}

SYMM_API void symm_string_free(char* text) { std::free(text); }

SYMM_API int64_t symm_live_tensors(void) { return symm::live_tensors.load(); }

SYMM_API int symm_threads_set(int count) {
  SYMM_BEGIN
  if (count < 1) throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(count));
  at::set_num_threads(count);
  symm::set_blas_threads(count);
  SYMM_END
}

SYMM_API int symm_threads_get(int* count) {
  SYMM_BEGIN
  *count = at::get_num_threads();
  SYMM_END
}

SYMM_API int symm_deterministic_set(int enabled, int* previous) {
  SYMM_BEGIN
  auto& context = at::globalContext();
  *previous = context.deterministicAlgorithms() ? 1 : 0;
  context.setDeterministicAlgorithms(enabled != 0, false);
  context.setDeterministicCuDNN(enabled != 0);
  context.setBenchmarkCuDNN(enabled == 0 ? context.benchmarkCuDNN() : false);
  SYMM_END
}

SYMM_API int symm_cuda_device_count(int* count) {
  SYMM_BEGIN
  *count = symm::cuda_devices();
  SYMM_END
}

SYMM_API int symm_manual_seed(uint64_t seed) {
  SYMM_BEGIN
  auto seed_one = [seed](at::Generator generator) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_current_seed(seed);
  };
  seed_one(at::globalContext().defaultGenerator(at::Device(at::kCPU)));
  const int devices = symm::cuda_devices();
  for (int i = 0; i < devices; ++i)
    seed_one(at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i))));
  SYMM_END
}
