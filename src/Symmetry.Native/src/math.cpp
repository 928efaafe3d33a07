// Element-wise arithmetic, comparisons, matrix products and reductions.
#include "symm_internal.h"

using symm::unwrap;
using symm::wrap;

namespace {

at::Tensor unary(int op, at::Tensor& t, bool inplace) {
  switch (op) {
    case SYMM_NEG: return inplace ? t.neg_() : t.neg();
    case SYMM_ABS: return inplace ? t.abs_() : t.abs();
    case SYMM_SIGN: return inplace ? t.sign_() : t.sign();
    case SYMM_EXP: return inplace ? t.exp_() : t.exp();
    case SYMM_LOG: return inplace ? t.log_() : t.log();
    case SYMM_SQRT: return inplace ? t.sqrt_() : t.sqrt();
    case SYMM_RSQRT: return inplace ? t.rsqrt_() : t.rsqrt();
    case SYMM_RELU: return inplace ? t.relu_() : t.relu();
    case SYMM_SIGMOID: return inplace ? t.sigmoid_() : t.sigmoid();
    case SYMM_TANH: return inplace ? t.tanh_() : t.tanh();
    case SYMM_FLOOR: return inplace ? t.floor_() : t.floor();
    case SYMM_CEIL: return inplace ? t.ceil_() : t.ceil();
    case SYMM_ROUND: return inplace ? t.round_() : t.round();
    case SYMM_LOGICAL_NOT: return inplace ? t.logical_not_() : t.logical_not();
    case SYMM_RECIPROCAL: return inplace ? t.reciprocal_() : t.reciprocal();
    case SYMM_SQUARE: return inplace ? t.square_() : t.square();
    case SYMM_SIN: return inplace ? t.sin_() : t.sin();
    case SYMM_COS: return inplace ? t.cos_() : t.cos();
    case SYMM_LOG1P: return inplace ? t.log1p_() : t.log1p();
    case SYMM_TRUNC: return inplace ? t.trunc_() : t.trunc();
    case SYMM_ZERO: return inplace ? t.zero_() : at::zeros_like(t);
    default: throw std::invalid_argument("unknown unary op code " + std::to_string(op));
  }
}

[[noreturn]] void no_inplace(const char* name) {
  throw std::invalid_argument(std::string(name) + " has no in-place form");
}

at::Tensor binary(int op, at::Tensor& a, const at::Tensor& b, bool inplace) {
  switch (op) {
    case SYMM_ADD: return inplace ? a.add_(b) : a.add(b);
    case SYMM_SUB: return inplace ? a.sub_(b) : a.sub(b);
    case SYMM_MUL: return inplace ? a.mul_(b) : a.mul(b);
    case SYMM_DIV: return inplace ? a.div_(b) : a.div(b);
    case SYMM_POW: return inplace ? a.pow_(b) : a.pow(b);
    case SYMM_EQ: return inplace ? a.eq_(b) : a.eq(b);
    case SYMM_NE: return inplace ? a.ne_(b) : a.ne(b);
    case SYMM_LT: return inplace ? a.lt_(b) : a.lt(b);
    case SYMM_LE: return inplace ? a.le_(b) : a.le(b);
    case SYMM_GT: return inplace ? a.gt_(b) : a.gt(b);
    case SYMM_GE: return inplace ? a.ge_(b) : a.ge(b);
    case SYMM_MAXIMUM: if (inplace) no_inplace("maximum"); return at::maximum(a, b);
    case SYMM_MINIMUM: if (inplace) no_inplace("minimum"); return at::minimum(a, b);
    case SYMM_REMAINDER: return inplace ? a.remainder_(b) : a.remainder(b);
    case SYMM_FMOD: return inplace ? a.fmod_(b) : a.fmod(b);
    case SYMM_LOGICAL_AND: return inplace ? a.logical_and_(b) : a.logical_and(b);
    case SYMM_LOGICAL_OR: return inplace ? a.logical_or_(b) : a.logical_or(b);
    case SYMM_MATMUL: if (inplace) no_inplace("matmul"); return at::matmul(a, b);
    case SYMM_BMM: if (inplace) no_inplace("bmm"); return at::bmm(a, b);
    case SYMM_OUTER: if (inplace) no_inplace("outer"); return at::outer(a, b);
    default: throw std::invalid_argument("unknown binary op code " + std::to_string(op));
  }
}

at::Tensor binary_scalar(int op, at::Tensor& a, const at::Scalar& s, bool inplace) {
  switch (op) {
    case SYMM_ADD: return inplace ? a.add_(s) : a.add(s);
    case SYMM_SUB: return inplace ? a.sub_(s) : a.sub(s);
    case SYMM_MUL: return inplace ? a.mul_(s) : a.mul(s);
    case SYMM_DIV: return inplace ? a.div_(s) : a.div(s);
    case SYMM_POW: return inplace ? a.pow_(s) : a.pow(s);
    case SYMM_EQ: return inplace ? a.eq_(s) : a.eq(s);
    case SYMM_NE: return inplace ? a.ne_(s) : a.ne(s);
    case SYMM_LT: return inplace ? a.lt_(s) : a.lt(s);
    case SYMM_LE: return inplace ? a.le_(s) : a.le(s);
    case SYMM_GT: return inplace ? a.gt_(s) : a.gt(s);
    case SYMM_GE: return inplace ? a.ge_(s) : a.ge(s);
    case SYMM_REMAINDER: return inplace ? a.remainder_(s) : a.remainder(s);
    case SYMM_FMOD: return inplace ? a.fmod_(s) : a.fmod(s);
    case SYMM_MAXIMUM: return inplace ? a.clamp_min_(s) : a.clamp_min(s);
    case SYMM_MINIMUM: return inplace ? a.clamp_max_(s) : a.clamp_max(s);
    case SYMM_RSUB: if (inplace) no_inplace("rsub"); return at::rsub(a, s);
    case SYMM_RDIV: if (inplace) no_inplace("rdiv"); return a.reciprocal().mul(s);
    case SYMM_RPOW: if (inplace) no_inplace("rpow"); return at::pow(s, a);
    case SYMM_FILL: return inplace ? a.fill_(s) : at::full_like(a, s);
    default: throw std::invalid_argument("op code " + std::to_string(op) + " does not take a scalar");
  }
}

// any/all take one dim at a time in libtorch 1.13: reduce the highest dims first so indices stay valid.
at::Tensor any_all(const at::Tensor& t, bool is_any, at::IntArrayRef dims, bool keepdim) {
  if (dims.empty()) return is_any ? t.any() : t.all();
  std::vector<int64_t> sorted;
  for (auto d : dims) sorted.push_back(at::maybe_wrap_dim(d, t.dim()));
  std::sort(sorted.rbegin(), sorted.rend());
  at::Tensor result = t;
  for (auto d : sorted) result = is_any ? result.any(d, keepdim) : result.all(d, keepdim);
  return result;
}

std::vector<int64_t> all_dims(const at::Tensor& t) {
  std::vector<int64_t> dims(static_cast<size_t>(t.dim()));
  for (int64_t i = 0; i < t.dim(); ++i) dims[static_cast<size_t>(i)] = i;
  return dims;
}

}  // namespace

SYMM_API int symm_tensor_unary(int op, symm_tensor t, int inplace, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unary(op, unwrap(t), inplace != 0));
  SYMM_END
}

SYMM_API int symm_tensor_binary(int op, symm_tensor a, symm_tensor b, int inplace, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(binary(op, unwrap(a), unwrap(b), inplace != 0));
  SYMM_END
}

SYMM_API int symm_tensor_binary_scalar(int op, symm_tensor a, double scalar, int scalar_is_integral, int inplace,
                                       symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(binary_scalar(op, unwrap(a), symm::scalar_of(scalar, scalar_is_integral), inplace != 0));
  SYMM_END
}

SYMM_API int symm_tensor_add_scaled(symm_tensor a, symm_tensor b, double alpha, int inplace, symm_tensor* out) {
  SYMM_BEGIN
  auto& left = unwrap(a);
  *out = wrap(inplace ? left.add_(unwrap(b), alpha) : left.add(unwrap(b), alpha));
  SYMM_END
}

SYMM_API int symm_tensor_addcmul(symm_tensor t, symm_tensor t1, symm_tensor t2, double value, int inplace,
                                 symm_tensor* out) {
  SYMM_BEGIN
  auto& self = unwrap(t);
  *out = wrap(inplace ? self.addcmul_(unwrap(t1), unwrap(t2), value) : self.addcmul(unwrap(t1), unwrap(t2), value));
  SYMM_END
}

SYMM_API int symm_tensor_addcdiv(symm_tensor t, symm_tensor t1, symm_tensor t2, double value, int inplace,
                                 symm_tensor* out) {
  SYMM_BEGIN
  auto& self = unwrap(t);
  *out = wrap(inplace ? self.addcdiv_(unwrap(t1), unwrap(t2), value) : self.addcdiv(unwrap(t1), unwrap(t2), value));
  SYMM_END
}

SYMM_API int symm_tensor_clamp(symm_tensor t, int has_min, double min, int has_max, double max, int inplace,
                               symm_tensor* out) {
  SYMM_BEGIN
  auto& self = unwrap(t);
  const c10::optional<at::Scalar> low = has_min ? c10::optional<at::Scalar>(min) : c10::nullopt;
  const c10::optional<at::Scalar> high = has_max ? c10::optional<at::Scalar>(max) : c10::nullopt;
  *out = wrap(inplace ? self.clamp_(low, high) : self.clamp(low, high));
  SYMM_END
}

SYMM_API int symm_tensor_where(symm_tensor condition, symm_tensor a, symm_tensor b, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::where(unwrap(condition), unwrap(a), unwrap(b)));
  SYMM_END
}

SYMM_API int symm_tensor_reduce(int op, symm_tensor t, const int64_t* dims, int ndims, int keepdim,
                                symm_tensor* out) {
  SYMM_BEGIN
  const auto& self = unwrap(t);
  const auto d = symm::dims_of(dims, ndims);
  const bool all = d.empty();
  const bool keep = keepdim != 0;
  at::Tensor result;
  switch (op) {
    case SYMM_SUM: result = all ? self.sum() : self.sum(d, keep); break;
    case SYMM_MEAN: result = all ? self.mean() : self.mean(d, keep); break;
    case SYMM_PROD: {
      if (all) { result = self.prod(); break; }
      result = self;
      std::vector<int64_t> sorted;
      for (auto x : d) sorted.push_back(at::maybe_wrap_dim(x, self.dim()));
      std::sort(sorted.rbegin(), sorted.rend());
      for (auto x : sorted) result = result.prod(x, keep);
      break;
    }
    case SYMM_AMAX: result = all ? self.amax(all_dims(self), keep) : self.amax(d, keep); break;
    case SYMM_AMIN: result = all ? self.amin(all_dims(self), keep) : self.amin(d, keep); break;
    case SYMM_ANY: result = any_all(self, true, d, keep); break;
    case SYMM_ALL: result = any_all(self, false, d, keep); break;
    case SYMM_LOGSUMEXP: result = all ? self.logsumexp(all_dims(self), keep) : self.logsumexp(d, keep); break;
    default: throw std::invalid_argument("unknown reduction code " + std::to_string(op));
  }
  *out = wrap(result);
  SYMM_END
}

SYMM_API int symm_tensor_std_var(symm_tensor t, int variance, const int64_t* dims, int ndims, int unbiased,
                                 int keepdim, symm_tensor* out) {
  SYMM_BEGIN
  const auto& self = unwrap(t);
  const auto d = ndims > 0 ? at::OptionalIntArrayRef(symm::dims_of(dims, ndims)) : at::OptionalIntArrayRef();
  *out = wrap(variance ? at::var(self, d, unbiased != 0, keepdim != 0) : at::std(self, d, unbiased != 0, keepdim != 0));
  SYMM_END
}

SYMM_API int symm_tensor_norm(symm_tensor t, double p, const int64_t* dims, int ndims, int keepdim, symm_tensor* out) {
  SYMM_BEGIN
  const auto d = ndims > 0 ? at::OptionalIntArrayRef(symm::dims_of(dims, ndims)) : at::OptionalIntArrayRef();
  *out = wrap(at::linalg_vector_norm(unwrap(t), p, d, keepdim != 0, c10::nullopt));
  SYMM_END
}

SYMM_API int symm_tensor_minmax_dim(symm_tensor t, int is_max, int64_t dim, int keepdim, symm_tensor* values,
                                    symm_tensor* indices) {
  SYMM_BEGIN
  const auto& self = unwrap(t);
  auto result = is_max ? self.max(dim, keepdim != 0) : self.min(dim, keepdim != 0);
  *values = wrap(std::get<0>(result));
  *indices = wrap(std::get<1>(result));
  SYMM_END
}

SYMM_API int symm_tensor_argminmax(symm_tensor t, int is_max, int has_dim, int64_t dim, int keepdim,
                                   symm_tensor* out) {
  SYMM_BEGIN
  const auto& self = unwrap(t);
  const c10::optional<int64_t> d = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
  *out = wrap(is_max ? self.argmax(d, keepdim != 0) : self.argmin(d, keepdim != 0));
  SYMM_END
}

SYMM_API int symm_tensor_cumsum(symm_tensor t, int64_t dim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).cumsum(dim));
  SYMM_END
}
