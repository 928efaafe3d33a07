// Functional neural-network operations.
#include "symm_internal.h"

using symm::optional_tensor;
using symm::unwrap;
using symm::wrap;

namespace {
at::IntArrayRef pair_of(const int64_t* values) { return at::IntArrayRef(values, 2); }

// libtorch (1.13 and later, pytorch#114216) accepts dilated, padded pooling windows that miss the input entirely;
// their backward pass then writes out of bounds. Refuse any output window without a real input element.
void check_pool_windows(const at::Tensor& input, const at::Tensor& output, const int64_t* kernel, const int64_t* stride,
                        const int64_t* padding, const int64_t* dilation) {
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t in = input.size(input.dim() - 2 + axis);
    const int64_t out = output.size(output.dim() - 2 + axis);
    for (int64_t o = 0; o < out; ++o) {
      const int64_t start = o * stride[axis] - padding[axis];
      bool hits = false;
      for (int64_t j = 0; j < kernel[axis] && !hits; ++j) {
        const int64_t position = start + j * dilation[axis];
        hits = position >= 0 && position < in;
      }
      if (!hits)
        throw std::invalid_argument(
            "max_pool2d: output window " + std::to_string(o) + " along " + (axis == 0 ? "height" : "width") +
            " covers no input element (input size " + std::to_string(in) + ", kernel " + std::to_string(kernel[axis]) +
            ", stride " + std::to_string(stride[axis]) + ", padding " + std::to_string(padding[axis]) + ", dilation " +
            std::to_string(dilation[axis]) + "); reduce the padding or dilation");
    }
  }
}
}  // namespace

SYMM_API int symm_nn_linear(symm_tensor input, symm_tensor weight, symm_tensor bias, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::linear(unwrap(input), unwrap(weight), optional_tensor(bias)));
  SYMM_END
}

SYMM_API int symm_nn_conv2d(symm_tensor input, symm_tensor weight, symm_tensor bias, const int64_t* stride,
                            const int64_t* padding, const int64_t* dilation, int64_t groups, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::conv2d(unwrap(input), unwrap(weight), optional_tensor(bias), pair_of(stride), pair_of(padding),
                         pair_of(dilation), groups));
  SYMM_END
}

SYMM_API int symm_nn_max_pool2d(symm_tensor input, const int64_t* kernel, const int64_t* stride,
                                const int64_t* padding, const int64_t* dilation, int ceil_mode, symm_tensor* out) {
  SYMM_BEGIN
  const auto& x = unwrap(input);
  auto result = at::max_pool2d(x, pair_of(kernel), pair_of(stride), pair_of(padding), pair_of(dilation), ceil_mode != 0);
  check_pool_windows(x, result, kernel, stride, padding, dilation);
  *out = wrap(result);
  SYMM_END
}

SYMM_API int symm_nn_avg_pool2d(symm_tensor input, const int64_t* kernel, const int64_t* stride,
                                const int64_t* padding, int ceil_mode, int count_include_pad, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::avg_pool2d(unwrap(input), pair_of(kernel), pair_of(stride), pair_of(padding), ceil_mode != 0,
                             count_include_pad != 0, c10::nullopt));
  SYMM_END
}

SYMM_API int symm_nn_adaptive_avg_pool2d(symm_tensor input, const int64_t* output_size, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::adaptive_avg_pool2d(unwrap(input), pair_of(output_size)));
  SYMM_END
}

SYMM_API int symm_nn_batch_norm(symm_tensor input, symm_tensor weight, symm_tensor bias, symm_tensor running_mean,
                                symm_tensor running_var, int training, double momentum, double eps,
                                symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::batch_norm(unwrap(input), optional_tensor(weight), optional_tensor(bias),
                             optional_tensor(running_mean), optional_tensor(running_var), training != 0, momentum,
                             eps, at::globalContext().userEnabledCuDNN()));
  SYMM_END
}

SYMM_API int symm_nn_dropout(symm_tensor input, double p, int training, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::dropout(unwrap(input), p, training != 0));
  SYMM_END
}

SYMM_API int symm_nn_softmax(symm_tensor input, int64_t dim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::softmax(unwrap(input), dim));
  SYMM_END
}

SYMM_API int symm_nn_log_softmax(symm_tensor input, int64_t dim, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::log_softmax(unwrap(input), dim));
  SYMM_END
}

SYMM_API int symm_nn_cross_entropy(symm_tensor logits, symm_tensor target, symm_tensor weight, int reduction,
                                   int64_t ignore_index, double label_smoothing, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::cross_entropy_loss(unwrap(logits), unwrap(target), optional_tensor(weight), reduction, ignore_index,
                                     label_smoothing));
  SYMM_END
}

SYMM_API int symm_nn_nll_loss(symm_tensor log_probabilities, symm_tensor target, symm_tensor weight, int reduction,
                              int64_t ignore_index, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::nll_loss(unwrap(log_probabilities), unwrap(target), optional_tensor(weight), reduction, ignore_index));
  SYMM_END
}

SYMM_API int symm_nn_mse_loss(symm_tensor input, symm_tensor target, int reduction, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(at::mse_loss(unwrap(input), unwrap(target), reduction));
  SYMM_END
}
