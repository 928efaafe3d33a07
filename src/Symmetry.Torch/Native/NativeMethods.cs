using System.Runtime.InteropServices;

namespace Symmetry.Torch.Native;

/// <summary>P/Invoke declarations of the shim's C ABI (src/Symmetry.Native/include/symm_api.h).</summary>
/// <remarks>Tensors cross as raw pointers (owned by <see cref="Tensor"/>, which has no finalizer, so a tensor
/// cannot be freed behind a call's back); output tensors come back as raw pointers that the caller wraps at once.</remarks>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "symm_native";

    /// <summary>The ABI version this binding was written against (SYMM_ABI_VERSION).</summary>
    internal const int AbiVersion = 1;

    // ---- runtime ----
    [LibraryImport(Library)] internal static partial int symm_version();
    [LibraryImport(Library)] internal static partial int symm_torch_version(byte* buffer, int capacity);
    [LibraryImport(Library)] internal static partial IntPtr symm_error_take();
    [LibraryImport(Library)] internal static partial void symm_string_free(IntPtr text);
    [LibraryImport(Library)] internal static partial long symm_live_tensors();
    [LibraryImport(Library)] internal static partial int symm_threads_set(int count);
    [LibraryImport(Library)] internal static partial int symm_threads_get(out int count);
    [LibraryImport(Library)] internal static partial int symm_deterministic_set(int enabled, out int previous);
    [LibraryImport(Library)] internal static partial int symm_cuda_device_count(out int count);
    [LibraryImport(Library)] internal static partial int symm_manual_seed(ulong seed);

    // ---- lifecycle, metadata, data ----
    [LibraryImport(Library)] internal static partial void symm_tensor_free(IntPtr t);
    [LibraryImport(Library)] internal static partial int symm_tensor_ndim(IntPtr t, out long ndim);
    [LibraryImport(Library)] internal static partial int symm_tensor_shape(IntPtr t, long* shape, int capacity);
    [LibraryImport(Library)] internal static partial int symm_tensor_info(IntPtr t, out int dtype, out int deviceType, out int deviceIndex, out int requiresGrad, out long numel);
    [LibraryImport(Library)] internal static partial int symm_tensor_from_data(void* data, long nbytes, long* shape, int ndim, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_copy_out(IntPtr t, void* destination, long nbytes);
    [LibraryImport(Library)] internal static partial int symm_tensor_item_double(IntPtr t, out double value);
    [LibraryImport(Library)] internal static partial int symm_tensor_item_int64(IntPtr t, out long value);
    [LibraryImport(Library)] internal static partial int symm_tensor_to(IntPtr t, int dtype, int deviceType, int deviceIndex, int copy, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_clone(IntPtr t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_contiguous(IntPtr t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_copy_(IntPtr destination, IntPtr source, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_alias(IntPtr t, out IntPtr result);

    // ---- creation ----
    [LibraryImport(Library)] internal static partial int symm_tensor_empty(long* shape, int ndim, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_full(long* shape, int ndim, double value, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_arange(double start, double end, double step, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_linspace(double start, double end, long steps, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_eye(long n, long m, int dtype, int deviceType, int deviceIndex, out IntPtr result);

    // ---- random ----
    [LibraryImport(Library)] internal static partial int symm_generator_new(ulong seed, out IntPtr result);
    [LibraryImport(Library)] internal static partial void symm_generator_free(IntPtr g);
    [LibraryImport(Library)] internal static partial int symm_generator_seed(GeneratorHandle g, out ulong seed);
    [LibraryImport(Library)] internal static partial int symm_generator_get_state(GeneratorHandle g, byte* buffer, long capacity, out long length);
    [LibraryImport(Library)] internal static partial int symm_generator_set_state(GeneratorHandle g, byte* state, long length);
    [LibraryImport(Library)] internal static partial int symm_random_rand(long* shape, int ndim, GeneratorHandle g, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_randn(long* shape, int ndim, GeneratorHandle g, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_randint(long low, long high, long* shape, int ndim, GeneratorHandle g, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_randperm(long n, GeneratorHandle g, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_bernoulli(IntPtr probabilities, GeneratorHandle g, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_multinomial(IntPtr probabilities, long samples, int replacement, GeneratorHandle g, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_uniform_(IntPtr t, double from, double to, GeneratorHandle g, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_normal_(IntPtr t, double mean, double std, GeneratorHandle g, out IntPtr result);

    // ---- math ----
    [LibraryImport(Library)] internal static partial int symm_tensor_unary(int op, IntPtr t, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_binary(int op, IntPtr a, IntPtr b, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_binary_scalar(int op, IntPtr a, double scalar, int scalarIsIntegral, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_add_scaled(IntPtr a, IntPtr b, double alpha, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_addcmul(IntPtr t, IntPtr t1, IntPtr t2, double value, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_addcdiv(IntPtr t, IntPtr t1, IntPtr t2, double value, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_clamp(IntPtr t, int hasMin, double min, int hasMax, double max, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_where(IntPtr condition, IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_reduce(int op, IntPtr t, long* dims, int ndims, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_std_var(IntPtr t, int variance, long* dims, int ndims, int unbiased, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_norm(IntPtr t, double p, long* dims, int ndims, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_minmax_dim(IntPtr t, int isMax, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int symm_tensor_argminmax(IntPtr t, int isMax, int hasDim, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_cumsum(IntPtr t, long dim, out IntPtr result);

    // ---- shape, indexing, sorting ----
    [LibraryImport(Library)] internal static partial int symm_tensor_reshape(IntPtr t, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_view(IntPtr t, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_expand(IntPtr t, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_permute(IntPtr t, long* dims, int ndims, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_repeat(IntPtr t, long* repeats, int ndims, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_flip(IntPtr t, long* dims, int ndims, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_transpose(IntPtr t, long dim0, long dim1, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_flatten(IntPtr t, long startDim, long endDim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_squeeze(IntPtr t, int hasDim, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_unsqueeze(IntPtr t, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_cat(IntPtr* tensors, int count, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_stack(IntPtr* tensors, int count, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_chunk(IntPtr t, long chunks, long dim, IntPtr* outs, int capacity, out int count);
    [LibraryImport(Library)] internal static partial int symm_tensor_narrow(IntPtr t, long dim, long start, long length, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_slice(IntPtr t, long dim, long start, long end, long step, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_select(IntPtr t, long dim, long index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_index_select(IntPtr t, long dim, IntPtr index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_gather(IntPtr t, long dim, IntPtr index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_scatter(IntPtr t, long dim, IntPtr index, IntPtr source, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_scatter_value(IntPtr t, long dim, IntPtr index, double value, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_masked_fill(IntPtr t, IntPtr mask, double value, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_masked_select(IntPtr t, IntPtr mask, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_nonzero(IntPtr t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_sort(IntPtr t, long dim, int descending, int stable, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int symm_tensor_topk(IntPtr t, long k, long dim, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int symm_tensor_kthvalue(IntPtr t, long k, long dim, int keepdim, out IntPtr values, out IntPtr indices);

    // ---- functional NN ----
    [LibraryImport(Library)] internal static partial int symm_nn_linear(IntPtr input, IntPtr weight, IntPtr bias, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_conv2d(IntPtr input, IntPtr weight, IntPtr bias, long* stride, long* padding, long* dilation, long groups, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_max_pool2d(IntPtr input, long* kernel, long* stride, long* padding, long* dilation, int ceilMode, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_avg_pool2d(IntPtr input, long* kernel, long* stride, long* padding, int ceilMode, int countIncludePad, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_adaptive_avg_pool2d(IntPtr input, long* outputSize, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_batch_norm(IntPtr input, IntPtr weight, IntPtr bias, IntPtr runningMean, IntPtr runningVar, int training, double momentum, double eps, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_dropout(IntPtr input, double p, int training, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_softmax(IntPtr input, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_log_softmax(IntPtr input, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_cross_entropy(IntPtr logits, IntPtr target, IntPtr weight, int reduction, long ignoreIndex, double labelSmoothing, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_nll_loss(IntPtr logProbabilities, IntPtr target, IntPtr weight, int reduction, long ignoreIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_mse_loss(IntPtr input, IntPtr target, int reduction, out IntPtr result);

    // ---- autograd ----
    [LibraryImport(Library)] internal static partial int symm_autograd_set_requires_grad(IntPtr t, int requiresGrad);
    [LibraryImport(Library)] internal static partial int symm_autograd_grad(IntPtr t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_autograd_set_grad(IntPtr t, IntPtr grad);
    [LibraryImport(Library)] internal static partial int symm_autograd_backward(IntPtr t, IntPtr gradient, int retainGraph, int createGraph);
    [LibraryImport(Library)] internal static partial int symm_autograd_detach(IntPtr t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_autograd_is_leaf(IntPtr t, out int isLeaf);
    [LibraryImport(Library)] internal static partial int symm_autograd_grad_mode_set(int enabled, out int previous);
}
