// Autograd: requires-grad flags, gradients, backward, detach and the thread-local grad mode.
#include <c10/core/GradMode.h>

#include "symm_internal.h"

using symm::unwrap;
using symm::wrap;

SYMM_API int symm_autograd_set_requires_grad(symm_tensor t, int requires_grad) {
  SYMM_BEGIN
  unwrap(t).set_requires_grad(requires_grad != 0);
  SYMM_END
}

SYMM_API int symm_autograd_grad(symm_tensor t, symm_tensor* out) {
  SYMM_BEGIN
  const auto& grad = unwrap(t).grad();
  *out = grad.defined() ? wrap(grad) : nullptr;
  SYMM_END
}

SYMM_API int symm_autograd_set_grad(symm_tensor t, symm_tensor grad) {
  SYMM_BEGIN
  if (grad == nullptr)
    unwrap(t).mutable_grad().reset();
  else
    unwrap(t).mutable_grad() = unwrap(grad);
  SYMM_END
}

SYMM_API int symm_autograd_backward(symm_tensor t, symm_tensor gradient, int retain_graph, int create_graph) {
  SYMM_BEGIN
  const at::Tensor grad = gradient == nullptr ? at::Tensor() : unwrap(gradient);
  unwrap(t).backward(grad, c10::optional<bool>(retain_graph != 0), create_graph != 0);
  SYMM_END
}

SYMM_API int symm_autograd_detach(symm_tensor t, symm_tensor* out) {
  SYMM_BEGIN
  *out = wrap(unwrap(t).detach());
  SYMM_END
}

SYMM_API int symm_autograd_is_leaf(symm_tensor t, int* is_leaf) {
  SYMM_BEGIN
  *is_leaf = unwrap(t).is_leaf() ? 1 : 0;
  SYMM_END
}

SYMM_API int symm_autograd_grad_mode_set(int enabled, int* previous) {
  SYMM_BEGIN
  *previous = c10::GradMode::is_enabled() ? 1 : 0;
  c10::GradMode::set_enabled(enabled != 0);
  SYMM_END
}
