// Tensor lifecycle, metadata, copying data in and out, device/dtype conversion and creation.
#include <cstring>

#include "symm_internal.h"

using symm::unwrap;
using symm::wrap;

SYMM_API void symm_tensor_free(symm_tensor t) {
  if (t == nullptr) return;
  delete reinterpret_cast<at::Tensor*>(t);
  symm::live_tensors.fetch_sub(1, std::memory_order_relaxed);
}

SYMM_API int symm_tensor_ndim(symm_tensor t, int64_t* ndim) {
  SYMM_BEGIN
  *ndim = unwrap(t).dim();
  SYMM_END
}

SYMM_API int symm_tensor_shape(symm_tensor t, int64_t* shape, int capacity) {
  SYMM_BEGIN
  const auto sizes = unwrap(t).sizes();
  if (capacity < static_cast<int>(sizes.size())) throw std::invalid_argument("shape buffer too small");
  for (size_t i = 0; i < sizes.size(); ++i) shape[i] = sizes[i];
  SYMM_END
}

SYMM_API int symm_tensor_info(symm_tensor t, int* dtype, int* device_type, int* device_index, int* requires_grad,
                              int64_t* numel) {
  SYMM_BEGIN
  const auto& tensor = unwrap(t);
  *dtype = static_cast<int>(tensor.scalar_type());
  *device_type = tensor.device().is_cuda() ? 1 : 0;
  *device_index = tensor.device().has_index() ? tensor.device().index() : 0;
  *requires_grad = tensor.requires_grad() ? 1 : 0;
  *numel = tensor.numel();
  SYMM_END
}

SYMM_API int symm_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape, int ndim, int dtype,
                                   int device_type, int device_index, symm_tensor* out) {
  SYMM_BEGIN
  auto tensor = at::empty(symm::dims_of(shape, ndim), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
  const int64_t expected = tensor.numel() * static_cast<int64_t>(tensor.element_size());
  if (expected != nbytes)
    throw std::invalid_argument("data holds " + std::to_string(nbytes) + " bytes but the shape needs " +
                                std::to_string(expected));
  if (nbytes > 0) std::memcpy(tensor.data_ptr(), data, static_cast<size_t>(nbytes));
  const auto device = symm::device_of(device_type, device_index);
  *out = wrap(device.is_cpu() ? tensor : tensor.to(device));
  SYMM_END
}

SYMM_API int symm_tensor_copy_out(symm_tensor t, void* destination, int64_t nbytes) {
  SYMM_BEGIN
  const auto source = unwrap(t).detach().to(at::kCPU).contiguous();
  const int64_t available = source.numel() * static_cast<int64_t>(source.element_size());
  if (available != nbytes)
    throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes but the tensor has " +
                                std::to_string(available));
  if (nbytes > 0) std::memcpy(destination, source.data_ptr(), static_cast<size_t>(nbytes));
  SYMM_END
}

SYMM_API int symm_tensor_item_double(symm_tensor t, double* value) {
  SYMM_BEGIN
  *value = unwrap(t).item<double>();
  SYMM_END
}

SYMM_API int symm_tensor_item_int64(symm_tensor t, int64_t* value) {
  SYMM_BEGIN
  *value = unwrap(t).item<int64_t>();
  SYMM_END
}

SYMM_API int symm_tensor_to(symm_tensor t, int dtype, int device_type, int device_index, int copy,
                            symm_tensor* out) {
  SYMM_BEGIN
  const auto& tensor = unwrap(t);
  const auto target_dtype = dtype < 0 ? tensor.scalar_type() : static_cast<at::ScalarType>(dtype);
  const auto target_device = device_type < 0 ? tensor.device() : symm::device_of(device_type, device_index);
  *out = wrap(tensor.to(target_device, target_dtype, /*non_blocking=*/false, copy != 0));
  SYMM_END
}

SYMM_API int symm_tensor_clone(symm_tensor t, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).clone());
  SYMM_END
}

SYMM_API int symm_tensor_contiguous(symm_tensor t, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).contiguous());
  SYMM_END
}

SYMM_API int symm_tensor_copy_(symm_tensor destination, symm_tensor source, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(destination).copy_(unwrap(source)));
  SYMM_END
}

SYMM_API int symm_tensor_alias(symm_tensor t, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t));
  SYMM_END
}

SYMM_API int symm_tensor_empty(const int64_t* shape, int ndim, int dtype, int device_type, int device_index,
                               symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::empty(symm::dims_of(shape, ndim), symm::options_of(dtype, device_type, device_index)));
  SYMM_END
}

SYMM_API int symm_tensor_full(const int64_t* shape, int ndim, double value, int dtype, int device_type,
                              int device_index, symm_tensor* out) {
  SYMM_BEGIN
  const auto options = symm::options_of(dtype, device_type, device_index);
  const bool integral = at::isIntegralType(static_cast<at::ScalarType>(dtype), /*includeBool=*/true);
  *out = wrap(at::full(symm::dims_of(shape, ndim), symm::scalar_of(value, integral), options));
  SYMM_END
}

SYMM_API int symm_tensor_arange(double start, double end, double step, int dtype, int device_type, int device_index,
                                symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::arange(start, end, step, symm::options_of(dtype, device_type, device_index)));
  SYMM_END
}

SYMM_API int symm_tensor_linspace(double start, double end, int64_t steps, int dtype, int device_type,
                                  int device_index, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::linspace(start, end, steps, symm::options_of(dtype, device_type, device_index)));
  SYMM_END
}

SYMM_API int symm_tensor_eye(int64_t n, int64_t m, int dtype, int device_type, int device_index, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::eye(n, m, symm::options_of(dtype, device_type, device_index)));
  SYMM_END
}
