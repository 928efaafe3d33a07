/*
 * symm_api.h — the C ABI between libtorch and Symmetry.Torch.
 *
 * Rules (ARCHITECTURE.md, design rules 1-3):
 *  - Every function returns SYMM_OK (0) or SYMM_ERR (1); results come back through out-parameters.
 *    On SYMM_ERR the message is kept in a thread-local buffer: symm_error_take() hands it to the
 *    caller, who frees it with symm_string_free().
 *  - No C++ exception crosses this boundary.
 *  - Only blittable types cross: opaque handles, int64_t pointers + lengths, ints for enums.
 *  - Every tensor handle returned is a fresh, caller-owned reference (in-place ops included) and is
 *    released with symm_tensor_free().
 *  - Bump SYMM_ABI_VERSION whenever a signature or an enum value below changes.
 */
#ifndef SYMM_API_H
#define SYMM_API_H

#include <stdint.h>

#ifdef __cplusplus
#define SYMM_EXTERN extern "C"
#else
#define SYMM_EXTERN
#endif
#define SYMM_API SYMM_EXTERN __attribute__((visibility("default")))

#define SYMM_ABI_VERSION 1
#define SYMM_OK 0
#define SYMM_ERR 1

typedef struct symm_tensor_s* symm_tensor;
typedef struct symm_generator_s* symm_generator;

/* dtype codes are c10::ScalarType values: 0 uint8, 1 int8, 2 int16, 3 int32, 4 int64, 5 float16,
 * 6 float32, 7 float64, 11 bool, 15 bfloat16. -1 where a dtype is optional means "keep / default". */
/* device type codes: 0 cpu, 1 cuda. */

/* Element-wise unary operations (symm_tensor_unary). */
enum symm_unary_op {
  SYMM_NEG = 0, SYMM_ABS, SYMM_SIGN, SYMM_EXP, SYMM_LOG, SYMM_SQRT, SYMM_RSQRT, SYMM_RELU,
  SYMM_SIGMOID, SYMM_TANH, SYMM_FLOOR, SYMM_CEIL, SYMM_ROUND, SYMM_LOGICAL_NOT, SYMM_RECIPROCAL,
  SYMM_SQUARE, SYMM_SIN, SYMM_COS, SYMM_LOG1P, SYMM_TRUNC, SYMM_ZERO
};

/* Binary operations (symm_tensor_binary, and those that make sense with a scalar). */
enum symm_binary_op {
  SYMM_ADD = 0, SYMM_SUB, SYMM_MUL, SYMM_DIV, SYMM_POW, SYMM_EQ, SYMM_NE, SYMM_LT, SYMM_LE,
  SYMM_GT, SYMM_GE, SYMM_MAXIMUM, SYMM_MINIMUM, SYMM_REMAINDER, SYMM_FMOD, SYMM_LOGICAL_AND,
  SYMM_LOGICAL_OR, SYMM_MATMUL, SYMM_BMM, SYMM_OUTER,
  /* scalar-only: s - t, s / t, s ^ t, fill with s */
  SYMM_RSUB, SYMM_RDIV, SYMM_RPOW, SYMM_FILL
};

/* Reductions over a list of dims (empty list = all dims). */
enum symm_reduce_op {
  SYMM_SUM = 0, SYMM_MEAN, SYMM_PROD, SYMM_AMAX, SYMM_AMIN, SYMM_ANY, SYMM_ALL, SYMM_LOGSUMEXP
};

/* Loss reductions, as in at::Reduction. */
enum symm_reduction { SYMM_REDUCTION_NONE = 0, SYMM_REDUCTION_MEAN = 1, SYMM_REDUCTION_SUM = 2 };

/* ---- runtime ---------------------------------------------------------------------------- */
SYMM_API int symm_version(void);
SYMM_API int symm_torch_version(char* buffer, int capacity);
SYMM_API char* symm_error_take(void);
SYMM_API void symm_string_free(char* text);
SYMM_API int64_t symm_live_tensors(void);
SYMM_API int symm_threads_set(int count);
SYMM_API int symm_threads_get(int* count);
SYMM_API int symm_deterministic_set(int enabled, int* previous);
SYMM_API int symm_cuda_device_count(int* count);
SYMM_API int symm_manual_seed(uint64_t seed);

/* ---- lifecycle, metadata, data in and out ------------------------------------------------ */
SYMM_API void symm_tensor_free(symm_tensor t);
SYMM_API int symm_tensor_ndim(symm_tensor t, int64_t* ndim);
SYMM_API int symm_tensor_shape(symm_tensor t, int64_t* shape, int capacity);
SYMM_API int symm_tensor_info(symm_tensor t, int* dtype, int* device_type, int* device_index,
                              int* requires_grad, int64_t* numel);
SYMM_API int symm_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape, int ndim,
                                   int dtype, int device_type, int device_index, symm_tensor* out);
SYMM_API int symm_tensor_copy_out(symm_tensor t, void* destination, int64_t nbytes);
SYMM_API int symm_tensor_item_double(symm_tensor t, double* value);
SYMM_API int symm_tensor_item_int64(symm_tensor t, int64_t* value);
SYMM_API int symm_tensor_to(symm_tensor t, int dtype, int device_type, int device_index, int copy,
                            symm_tensor* out);
SYMM_API int symm_tensor_clone(symm_tensor t, symm_tensor* out);
SYMM_API int symm_tensor_contiguous(symm_tensor t, symm_tensor* out);
SYMM_API int symm_tensor_copy_(symm_tensor destination, symm_tensor source, symm_tensor* out);
SYMM_API int symm_tensor_alias(symm_tensor t, symm_tensor* out);

/* ---- creation ------------------------------------------------------------------------------ */
SYMM_API int symm_tensor_empty(const int64_t* shape, int ndim, int dtype, int device_type,
                               int device_index, symm_tensor* out);
SYMM_API int symm_tensor_full(const int64_t* shape, int ndim, double value, int dtype, int device_type,
                              int device_index, symm_tensor* out);
SYMM_API int symm_tensor_arange(double start, double end, double step, int dtype, int device_type,
                                int device_index, symm_tensor* out);
SYMM_API int symm_tensor_linspace(double start, double end, int64_t steps, int dtype, int device_type,
                                  int device_index, symm_tensor* out);
SYMM_API int symm_tensor_eye(int64_t n, int64_t m, int dtype, int device_type, int device_index,
                             symm_tensor* out);

/* ---- random (generator may be NULL: the device's global generator) ----------------------- */
SYMM_API int symm_generator_new(uint64_t seed, symm_generator* out);
SYMM_API void symm_generator_free(symm_generator g);
SYMM_API int symm_generator_seed(symm_generator g, uint64_t* seed);
SYMM_API int symm_generator_get_state(symm_generator g, uint8_t* buffer, int64_t capacity, int64_t* length);
SYMM_API int symm_generator_set_state(symm_generator g, const uint8_t* state, int64_t length);
SYMM_API int symm_random_rand(const int64_t* shape, int ndim, symm_generator g, int dtype, int device_type,
                              int device_index, symm_tensor* out);
SYMM_API int symm_random_randn(const int64_t* shape, int ndim, symm_generator g, int dtype, int device_type,
                               int device_index, symm_tensor* out);
SYMM_API int symm_random_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, symm_generator g,
                                 int dtype, int device_type, int device_index, symm_tensor* out);
SYMM_API int symm_random_randperm(int64_t n, symm_generator g, int dtype, int device_type, int device_index,
                                  symm_tensor* out);
SYMM_API int symm_random_bernoulli(symm_tensor probabilities, symm_generator g, symm_tensor* out);
SYMM_API int symm_random_multinomial(symm_tensor probabilities, int64_t samples, int replacement,
                                     symm_generator g, symm_tensor* out);
SYMM_API int symm_random_uniform_(symm_tensor t, double from, double to, symm_generator g, symm_tensor* out);
SYMM_API int symm_random_normal_(symm_tensor t, double mean, double std, symm_generator g, symm_tensor* out);

/* ---- element-wise math and reductions -------------------------------------------------------- */
SYMM_API int symm_tensor_unary(int op, symm_tensor t, int inplace, symm_tensor* out);
SYMM_API int symm_tensor_binary(int op, symm_tensor a, symm_tensor b, int inplace, symm_tensor* out);
SYMM_API int symm_tensor_binary_scalar(int op, symm_tensor a, double scalar, int scalar_is_integral,
                                       int inplace, symm_tensor* out);
SYMM_API int symm_tensor_add_scaled(symm_tensor a, symm_tensor b, double alpha, int inplace, symm_tensor* out);
SYMM_API int symm_tensor_addcmul(symm_tensor t, symm_tensor t1, symm_tensor t2, double value, int inplace,
                                 symm_tensor* out);
SYMM_API int symm_tensor_addcdiv(symm_tensor t, symm_tensor t1, symm_tensor t2, double value, int inplace,
                                 symm_tensor* out);
SYMM_API int symm_tensor_clamp(symm_tensor t, int has_min, double min, int has_max, double max, int inplace,
                               symm_tensor* out);
SYMM_API int symm_tensor_where(symm_tensor condition, symm_tensor a, symm_tensor b, symm_tensor* out);
SYMM_API int symm_tensor_reduce(int op, symm_tensor t, const int64_t* dims, int ndims, int keepdim,
                                symm_tensor* out);
SYMM_API int symm_tensor_std_var(symm_tensor t, int variance, const int64_t* dims, int ndims, int unbiased,
                                 int keepdim, symm_tensor* out);
SYMM_API int symm_tensor_norm(symm_tensor t, double p, const int64_t* dims, int ndims, int keepdim,
                              symm_tensor* out);
SYMM_API int symm_tensor_minmax_dim(symm_tensor t, int is_max, int64_t dim, int keepdim, symm_tensor* values,
                                    symm_tensor* indices);
SYMM_API int symm_tensor_argminmax(symm_tensor t, int is_max, int has_dim, int64_t dim, int keepdim,
                                   symm_tensor* out);
SYMM_API int symm_tensor_cumsum(symm_tensor t, int64_t dim, symm_tensor* out);

/* ---- shape, indexing, sorting ----------------------------------------------------------------- */
SYMM_API int symm_tensor_reshape(symm_tensor t, const int64_t* shape, int ndim, symm_tensor* out);
SYMM_API int symm_tensor_view(symm_tensor t, const int64_t* shape, int ndim, symm_tensor* out);
SYMM_API int symm_tensor_expand(symm_tensor t, const int64_t* shape, int ndim, symm_tensor* out);
SYMM_API int symm_tensor_permute(symm_tensor t, const int64_t* dims, int ndims, symm_tensor* out);
SYMM_API int symm_tensor_repeat(symm_tensor t, const int64_t* repeats, int ndims, symm_tensor* out);
SYMM_API int symm_tensor_flip(symm_tensor t, const int64_t* dims, int ndims, symm_tensor* out);
SYMM_API int symm_tensor_transpose(symm_tensor t, int64_t dim0, int64_t dim1, symm_tensor* out);
SYMM_API int symm_tensor_flatten(symm_tensor t, int64_t start_dim, int64_t end_dim, symm_tensor* out);
SYMM_API int symm_tensor_squeeze(symm_tensor t, int has_dim, int64_t dim, symm_tensor* out);
SYMM_API int symm_tensor_unsqueeze(symm_tensor t, int64_t dim, symm_tensor* out);
SYMM_API int symm_tensor_cat(const symm_tensor* tensors, int count, int64_t dim, symm_tensor* out);
SYMM_API int symm_tensor_stack(const symm_tensor* tensors, int count, int64_t dim, symm_tensor* out);
SYMM_API int symm_tensor_chunk(symm_tensor t, int64_t chunks, int64_t dim, symm_tensor* outs, int capacity,
                               int* count);
SYMM_API int symm_tensor_narrow(symm_tensor t, int64_t dim, int64_t start, int64_t length, symm_tensor* out);
SYMM_API int symm_tensor_slice(symm_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step,
                               symm_tensor* out);
SYMM_API int symm_tensor_select(symm_tensor t, int64_t dim, int64_t index, symm_tensor* out);
SYMM_API int symm_tensor_index_select(symm_tensor t, int64_t dim, symm_tensor index, symm_tensor* out);
SYMM_API int symm_tensor_gather(symm_tensor t, int64_t dim, symm_tensor index, symm_tensor* out);
SYMM_API int symm_tensor_scatter(symm_tensor t, int64_t dim, symm_tensor index, symm_tensor source, int inplace,
                                 symm_tensor* out);
SYMM_API int symm_tensor_scatter_value(symm_tensor t, int64_t dim, symm_tensor index, double value,
                                       int inplace, symm_tensor* out);
SYMM_API int symm_tensor_masked_fill(symm_tensor t, symm_tensor mask, double value, int inplace,
                                     symm_tensor* out);
SYMM_API int symm_tensor_masked_select(symm_tensor t, symm_tensor mask, symm_tensor* out);
SYMM_API int symm_tensor_nonzero(symm_tensor t, symm_tensor* out);
SYMM_API int symm_tensor_sort(symm_tensor t, int64_t dim, int descending, int stable, symm_tensor* values,
                              symm_tensor* indices);
SYMM_API int symm_tensor_topk(symm_tensor t, int64_t k, int64_t dim, int largest, int sorted,
                              symm_tensor* values, symm_tensor* indices);
SYMM_API int symm_tensor_kthvalue(symm_tensor t, int64_t k, int64_t dim, int keepdim, symm_tensor* values,
                                  symm_tensor* indices);

/* ---- functional neural-network ops -------------------------------------------------------------- */
SYMM_API int symm_nn_linear(symm_tensor input, symm_tensor weight, symm_tensor bias, symm_tensor* out);
SYMM_API int symm_nn_conv2d(symm_tensor input, symm_tensor weight, symm_tensor bias, const int64_t* stride,
                            const int64_t* padding, const int64_t* dilation, int64_t groups, symm_tensor* out);
SYMM_API int symm_nn_max_pool2d(symm_tensor input, const int64_t* kernel, const int64_t* stride,
                                const int64_t* padding, const int64_t* dilation, int ceil_mode, symm_tensor* out);
SYMM_API int symm_nn_avg_pool2d(symm_tensor input, const int64_t* kernel, const int64_t* stride,
                                const int64_t* padding, int ceil_mode, int count_include_pad, symm_tensor* out);
SYMM_API int symm_nn_adaptive_avg_pool2d(symm_tensor input, const int64_t* output_size, symm_tensor* out);
SYMM_API int symm_nn_batch_norm(symm_tensor input, symm_tensor weight, symm_tensor bias, symm_tensor running_mean,
                                symm_tensor running_var, int training, double momentum, double eps,
                                symm_tensor* out);
SYMM_API int symm_nn_dropout(symm_tensor input, double p, int training, symm_tensor* out);
SYMM_API int symm_nn_softmax(symm_tensor input, int64_t dim, symm_tensor* out);
SYMM_API int symm_nn_log_softmax(symm_tensor input, int64_t dim, symm_tensor* out);
SYMM_API int symm_nn_cross_entropy(symm_tensor logits, symm_tensor target, symm_tensor weight, int reduction,
                                   int64_t ignore_index, double label_smoothing, symm_tensor* out);
SYMM_API int symm_nn_nll_loss(symm_tensor log_probabilities, symm_tensor target, symm_tensor weight, int reduction,
                              int64_t ignore_index, symm_tensor* out);
SYMM_API int symm_nn_mse_loss(symm_tensor input, symm_tensor target, int reduction, symm_tensor* out);

/* ---- autograd --------------------------------------------------------------------------------- */
SYMM_API int symm_autograd_set_requires_grad(symm_tensor t, int requires_grad);
SYMM_API int symm_autograd_grad(symm_tensor t, symm_tensor* out); /* *out = NULL when no gradient */
SYMM_API int symm_autograd_set_grad(symm_tensor t, symm_tensor grad); /* grad NULL clears it */
SYMM_API int symm_autograd_backward(symm_tensor t, symm_tensor gradient, int retain_graph, int create_graph);
SYMM_API int symm_autograd_detach(symm_tensor t, symm_tensor* out);
SYMM_API int symm_autograd_is_leaf(symm_tensor t, int* is_leaf);
SYMM_API int symm_autograd_grad_mode_set(int enabled, int* previous);

#endif
