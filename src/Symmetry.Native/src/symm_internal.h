// Shared helpers for the shim's translation units: handle wrapping and the error boundary.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <vector>

#include "symm_api.h"

namespace symm {

void set_error(const char* message);
extern std::atomic<int64_t> live_tensors;

// Hands a tensor to the caller as a fresh owned handle.
inline symm_tensor wrap(at::Tensor tensor) {
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return reinterpret_cast<symm_tensor>(new at::Tensor(std::move(tensor)));
}

inline at::Tensor& unwrap(symm_tensor handle) {
  if (handle == nullptr) throw std::invalid_argument("null tensor handle");
  return *reinterpret_cast<at::Tensor*>(handle);
}

inline c10::optional<at::Tensor> optional_tensor(symm_tensor handle) {
  if (handle == nullptr) return c10::nullopt;
  return *reinterpret_cast<at::Tensor*>(handle);
}

inline c10::optional<at::Generator> optional_generator(symm_generator handle) {
  if (handle == nullptr) return c10::nullopt;
  return *reinterpret_cast<at::Generator*>(handle);
}

inline at::IntArrayRef dims_of(const int64_t* values, int count) {
  return at::IntArrayRef(values, static_cast<size_t>(count < 0 ? 0 : count));
}

inline at::Device device_of(int device_type, int device_index) {
  if (device_type == 0) return at::Device(at::kCPU);
  if (device_type == 1) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index));
  throw std::invalid_argument("unknown device type code " + std::to_string(device_type));
}

inline at::TensorOptions options_of(int dtype, int device_type, int device_index) {
  return at::TensorOptions()
      .dtype(static_cast<at::ScalarType>(dtype))
      .device(device_of(device_type, device_index));
}

inline at::Scalar scalar_of(double value, int is_integral) {
  if (is_integral) return at::Scalar(static_cast<int64_t>(value));
  return at::Scalar(value);
}

}  // namespace symm

// The error boundary every export goes through (design rule 2).
#define SYMM_BEGIN try {
#define SYMM_END                                                   \
  return SYMM_OK;                                                  \
  }                                                                \
  catch (const c10::Error& error) {                                \
    symm::set_error(error.what_without_backtrace());               \
    return SYMM_ERR;                                               \
  }                                                                \
  catch (const std::exception& error) {                            \
    symm::set_error(error.what());                                 \
    return SYMM_ERR;                                               \
  }                                                                \
  catch (...) {                                                    \
    symm::set_error("unknown native exception");                   \
    return SYMM_ERR;                                               \
  }
