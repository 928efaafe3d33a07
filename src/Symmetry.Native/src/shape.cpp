// Views, joins, indexing, scattering and sorting.
#include "symm_internal.h"

using symm::dims_of;
using symm::unwrap;
using symm::wrap;

namespace {

std::vector<at::Tensor> tensors_of(const symm_tensor* handles, int count) {
  std::vector<at::Tensor> tensors;
  tensors.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) tensors.push_back(unwrap(handles[i]));
  return tensors;
}

void wrap_pair(const std::tuple<at::Tensor, at::Tensor>& pair, symm_tensor* first, symm_tensor* second) {
  *first = wrap(std::get<0>(pair));
  *second = wrap(std::get<1>(pair));
}

}  // namespace

SYMM_API int symm_tensor_reshape(symm_tensor t, const int64_t* shape, int ndim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).reshape(dims_of(shape, ndim)));
  SYMM_END
}

SYMM_API int symm_tensor_view(symm_tensor t, const int64_t* shape, int ndim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).view(dims_of(shape, ndim)));
  SYMM_END
}

SYMM_API int symm_tensor_expand(symm_tensor t, const int64_t* shape, int ndim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).expand(dims_of(shape, ndim)));
  SYMM_END
}

SYMM_API int symm_tensor_permute(symm_tensor t, const int64_t* dims, int ndims, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).permute(dims_of(dims, ndims)));
  SYMM_END
}

SYMM_API int symm_tensor_repeat(symm_tensor t, const int64_t* repeats, int ndims, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).repeat(dims_of(repeats, ndims)));
  SYMM_END
}

SYMM_API int symm_tensor_flip(symm_tensor t, const int64_t* dims, int ndims, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).flip(dims_of(dims, ndims)));
  SYMM_END
}

SYMM_API int symm_tensor_transpose(symm_tensor t, int64_t dim0, int64_t dim1, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).transpose(dim0, dim1));
  SYMM_END
}

SYMM_API int symm_tensor_flatten(symm_tensor t, int64_t start_dim, int64_t end_dim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).flatten(start_dim, end_dim));
  SYMM_END
}

SYMM_API int symm_tensor_squeeze(symm_tensor t, int has_dim, int64_t dim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(has_dim ? unwrap(t).squeeze(dim) : unwrap(t).squeeze());
  SYMM_END
}

SYMM_API int symm_tensor_unsqueeze(symm_tensor t, int64_t dim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).unsqueeze(dim));
  SYMM_END
}

SYMM_API int symm_tensor_cat(const symm_tensor* tensors, int count, int64_t dim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::cat(tensors_of(tensors, count), dim));
  SYMM_END
}

SYMM_API int symm_tensor_stack(const symm_tensor* tensors, int count, int64_t dim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::stack(tensors_of(tensors, count), dim));
  SYMM_END
}

SYMM_API int symm_tensor_chunk(symm_tensor t, int64_t chunks, int64_t dim, symm_tensor* outs, int capacity,
                               int* count) {
  SYMM_BEGIN
  auto parts = unwrap(t).chunk(chunks, dim);
  if (static_cast<int>(parts.size()) > capacity) throw std::invalid_argument("chunk buffer too small");
  for (size_t i = 0; i < parts.size(); ++i) outs[i] = wrap(parts[i]);
  *count = static_cast<int>(parts.size());
  SYMM_END
}

SYMM_API int symm_tensor_narrow(symm_tensor t, int64_t dim, int64_t start, int64_t length, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).narrow(dim, start, length));
  SYMM_END
}

SYMM_API int symm_tensor_slice(symm_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step,
                               symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).slice(dim, start, end, step));
  SYMM_END
}

SYMM_API int symm_tensor_select(symm_tensor t, int64_t dim, int64_t index, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).select(dim, index));
  SYMM_END
}

SYMM_API int symm_tensor_index_select(symm_tensor t, int64_t dim, symm_tensor index, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).index_select(dim, unwrap(index)));
  SYMM_END
}

SYMM_API int symm_tensor_gather(symm_tensor t, int64_t dim, symm_tensor index, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).gather(dim, unwrap(index)));
  SYMM_END
}

SYMM_API int symm_tensor_scatter(symm_tensor t, int64_t dim, symm_tensor index, symm_tensor source, int inplace,
                                 symm_tensor* out) {
  SYMM_BEGIN
  auto& self = unwrap(t);
  *out = wrap(inplace ? self.scatter_(dim, unwrap(index), unwrap(source)) : self.scatter(dim, unwrap(index), unwrap(source)));
  SYMM_END
}

SYMM_API int symm_tensor_scatter_value(symm_tensor t, int64_t dim, symm_tensor index, double value, int inplace,
                                       symm_tensor* out) {
  SYMM_BEGIN
  auto& self = unwrap(t);
  const at::Scalar s = symm::scalar_of(value, at::isIntegralType(self.scalar_type(), true));
  *out = wrap(inplace ? self.scatter_(dim, unwrap(index), s) : self.scatter(dim, unwrap(index), s));
  SYMM_END
}

SYMM_API int symm_tensor_masked_fill(symm_tensor t, symm_tensor mask, double value, int inplace, symm_tensor* out) {
  SYMM_BEGIN
  auto& self = unwrap(t);
  const at::Scalar s = symm::scalar_of(value, at::isIntegralType(self.scalar_type(), true));
  *out = wrap(inplace ? self.masked_fill_(unwrap(mask), s) : self.masked_fill(unwrap(mask), s));
  SYMM_END
}

SYMM_API int symm_tensor_masked_select(symm_tensor t, symm_tensor mask, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).masked_select(unwrap(mask)));
  SYMM_END
}

SYMM_API int symm_tensor_nonzero(symm_tensor t, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).nonzero());
  SYMM_END
}

SYMM_API int symm_tensor_sort(symm_tensor t, int64_t dim, int descending, int stable, symm_tensor* values,
                              symm_tensor* indices) {
  SYMM_BEGIN
  wrap_pair(unwrap(t).sort(c10::optional<bool>(stable != 0), dim, descending != 0), values, indices);
  SYMM_END
}

SYMM_API int symm_tensor_topk(symm_tensor t, int64_t k, int64_t dim, int largest, int sorted, symm_tensor* values,
                              symm_tensor* indices) {
  SYMM_BEGIN
  wrap_pair(unwrap(t).topk(k, dim, largest != 0, sorted != 0), values, indices);
  SYMM_END
}

SYMM_API int symm_tensor_kthvalue(symm_tensor t, int64_t k, int64_t dim, int keepdim, symm_tensor* values,
                                  symm_tensor* indices) {
  SYMM_BEGIN
  wrap_pair(unwrap(t).kthvalue(k, dim, keepdim != 0), values, indices);
  SYMM_END
}
