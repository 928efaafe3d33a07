// Generators and random draws. Symmetry's generators are CPU generators: a draw for another
// device is made on the CPU and copied, so one seed gives the same numbers on every device.
#include <ATen/CPUGeneratorImpl.h>

#include <cstring>
#include <mutex>

#include "symm_internal.h"

using symm::unwrap;
using symm::wrap;

namespace {

at::Generator& generator_of(symm_generator g) {
  if (g == nullptr) throw std::invalid_argument("null generator handle");
  return *reinterpret_cast<at::Generator*>(g);
}

// Runs draw(options) where the generator lives, then moves the result to the requested device.
template <typename Draw>
at::Tensor draw_on(symm_generator g, const at::TensorOptions& options, Draw draw) {
  if (g == nullptr || options.device().is_cpu()) return draw(options, symm::optional_generator(g));
  auto on_cpu = draw(options.device(at::kCPU), symm::optional_generator(g));
  return on_cpu.to(options.device());
}

// Fills t in place: directly when the generator can reach it, otherwise through a CPU copy.
template <typename Fill>
void fill_with(at::Tensor& t, symm_generator g, Fill fill) {
  if (g == nullptr || t.device().is_cpu()) {
    fill(t, symm::optional_generator(g));
    return;
  }
  auto on_cpu = at::empty(t.sizes(), t.options().device(at::kCPU));
  fill(on_cpu, symm::optional_generator(g));
  t.copy_(on_cpu);
}

}  // namespace

SYMM_API int symm_generator_new(uint64_t seed, symm_generator* out) {
  SYMM_BEGIN
  *out = reinterpret_cast<symm_generator>(new at::Generator(at::detail::createCPUGenerator(seed)));
  SYMM_END
}

SYMM_API void symm_generator_free(symm_generator g) { delete reinterpret_cast<at::Generator*>(g); }

SYMM_API int symm_generator_seed(symm_generator g, uint64_t* seed) {
  SYMM_BEGIN
  *seed = generator_of(g).current_seed();
  SYMM_END
}

SYMM_API int symm_generator_get_state(symm_generator g, uint8_t* buffer, int64_t capacity, int64_t* length) {
  SYMM_BEGIN
  auto& generator = generator_of(g);
  at::Tensor state;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    state = generator.get_state();
  }
  *length = state.numel();
  if (buffer != nullptr) {
    if (capacity < state.numel()) throw std::invalid_argument("generator state buffer too small");
    std::memcpy(buffer, state.data_ptr(), static_cast<size_t>(state.numel()));
  }
  SYMM_END
}

SYMM_API int symm_generator_set_state(symm_generator g, const uint8_t* state, int64_t length) {
  SYMM_BEGIN
  auto tensor = at::empty({length}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(tensor.data_ptr(), state, static_cast<size_t>(length));
  auto& generator = generator_of(g);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(tensor);
  SYMM_END
}

SYMM_API int symm_random_rand(const int64_t* shape, int ndim, symm_generator g, int dtype, int device_type,
                              int device_index, symm_tensor* out) {
  SYMM_BEGIN
  const auto size = symm::dims_of(shape, ndim);
  *out = wrap(draw_on(g, symm::options_of(dtype, device_type, device_index),
                      [&](const at::TensorOptions& o, c10::optional<at::Generator> gen) { return at::rand(size, gen, o); }));
  SYMM_END
}

SYMM_API int symm_random_randn(const int64_t* shape, int ndim, symm_generator g, int dtype, int device_type,
                               int device_index, symm_tensor* out) {
  SYMM_BEGIN
  const auto size = symm::dims_of(shape, ndim);
  *out = wrap(draw_on(g, symm::options_of(dtype, device_type, device_index),
                      [&](const at::TensorOptions& o, c10::optional<at::Generator> gen) { return at::randn(size, gen, o); }));
  SYMM_END
}

SYMM_API int symm_random_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, symm_generator g,
                                 int dtype, int device_type, int device_index, symm_tensor* out) {
  SYMM_BEGIN
  const auto size = symm::dims_of(shape, ndim);
  *out = wrap(draw_on(g, symm::options_of(dtype, device_type, device_index),
                      [&](const at::TensorOptions& o, c10::optional<at::Generator> gen) {
                        return at::randint(low, high, size, gen, o);
                      }));
  SYMM_END
}

SYMM_API int symm_random_randperm(int64_t n, symm_generator g, int dtype, int device_type, int device_index,
                                  symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(draw_on(g, symm::options_of(dtype, device_type, device_index),
                      [&](const at::TensorOptions& o, c10::optional<at::Generator> gen) { return at::randperm(n, gen, o); }));
  SYMM_END
}

SYMM_API int symm_random_bernoulli(symm_tensor probabilities, symm_generator g, symm_tensor* out) {
  SYMM_BEGIN
  const auto& p = unwrap(probabilities);
  if (g == nullptr || p.device().is_cpu()) {
    *out = wrap(at::bernoulli(p, symm::optional_generator(g)));
  } else {
    *out = wrap(at::bernoulli(p.to(at::kCPU), symm::optional_generator(g)).to(p.device()));
  }
  SYMM_END
}

SYMM_API int symm_random_multinomial(symm_tensor probabilities, int64_t samples, int replacement, symm_generator g,
                                     symm_tensor* out) {
  SYMM_BEGIN
  const auto& p = unwrap(probabilities);
  if (g == nullptr || p.device().is_cpu()) {
    *out = wrap(at::multinomial(p, samples, replacement != 0, symm::optional_generator(g)));
  } else {
    *out = wrap(at::multinomial(p.to(at::kCPU), samples, replacement != 0, symm::optional_generator(g)).to(p.device()));
  }
  SYMM_END
}

SYMM_API int symm_random_uniform_(symm_tensor t, double from, double to, symm_generator g, symm_tensor* out) {
  SYMM_BEGIN
  auto& tensor = unwrap(t);
  fill_with(tensor, g, [&](at::Tensor& target, c10::optional<at::Generator> gen) { target.uniform_(from, to, gen); });
  *out = wrap(tensor);
  SYMM_END
}

SYMM_API int symm_random_normal_(symm_tensor t, double mean, double std, symm_generator g, symm_tensor* out) {
  SYMM_BEGIN
  auto& tensor = unwrap(t);
  fill_with(tensor, g, [&](at::Tensor& target, c10::optional<at::Generator> gen) { target.normal_(mean, std, gen); });
  *out = wrap(tensor);
  SYMM_END
}
