using System.Runtime.InteropServices;

namespace Symmetry.Torch.Native;

/// <summary>P/Invoke declarations of the shim's C ABI (src/Symmetry.Native/include/symm_api.h).</summary>
/// <remarks>Input tensors cross as <see cref="TensorHandle"/> so they stay alive for the whole call;
/// output tensors come back as raw pointers that the caller wraps at once.</remarks>
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
    [LibraryImport(Library)] internal static partial int symm_tensor_ndim(TensorHandle t, out long ndim);
    [LibraryImport(Library)] internal static partial int symm_tensor_shape(TensorHandle t, long* shape, int capacity);
    [LibraryImport(Library)] internal static partial int symm_tensor_info(TensorHandle t, out int dtype, out int deviceType, out int deviceIndex, out int requiresGrad, out long numel);
    [LibraryImport(Library)] internal static partial int symm_tensor_from_data(void* data, long nbytes, long* shape, int ndim, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_copy_out(TensorHandle t, void* destination, long nbytes);
    [LibraryImport(Library)] internal static partial int symm_tensor_item_double(TensorHandle t, out double value);
    [LibraryImport(Library)] internal static partial int symm_tensor_item_int64(TensorHandle t, out long value);
    [LibraryImport(Library)] internal static partial int symm_tensor_to(TensorHandle t, int dtype, int deviceType, int deviceIndex, int copy, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_clone(TensorHandle t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_contiguous(TensorHandle t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_copy_(TensorHandle destination, TensorHandle source, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_alias(TensorHandle t, out IntPtr result);

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
    [LibraryImport(Library)] internal static partial int symm_random_bernoulli(TensorHandle probabilities, GeneratorHandle g, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_multinomial(TensorHandle probabilities, long samples, int replacement, GeneratorHandle g, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_uniform_(TensorHandle t, double from, double to, GeneratorHandle g, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_random_normal_(TensorHandle t, double mean, double std, GeneratorHandle g, out IntPtr result);

    // ---- math ----
    [LibraryImport(Library)] internal static partial int symm_tensor_unary(int op, TensorHandle t, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_binary(int op, TensorHandle a, TensorHandle b, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_binary_scalar(int op, TensorHandle a, double scalar, int scalarIsIntegral, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_add_scaled(TensorHandle a, TensorHandle b, double alpha, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_addcmul(TensorHandle t, TensorHandle t1, TensorHandle t2, double value, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_addcdiv(TensorHandle t, TensorHandle t1, TensorHandle t2, double value, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_clamp(TensorHandle t, int hasMin, double min, int hasMax, double max, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_where(TensorHandle condition, TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_reduce(int op, TensorHandle t, long* dims, int ndims, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_std_var(TensorHandle t, int variance, long* dims, int ndims, int unbiased, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_norm(TensorHandle t, double p, long* dims, int ndims, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_minmax_dim(TensorHandle t, int isMax, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int symm_tensor_argminmax(TensorHandle t, int isMax, int hasDim, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_cumsum(TensorHandle t, long dim, out IntPtr result);

    // ---- shape, indexing, sorting ----
    [LibraryImport(Library)] internal static partial int symm_tensor_reshape(TensorHandle t, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_view(TensorHandle t, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_expand(TensorHandle t, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_permute(TensorHandle t, long* dims, int ndims, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_repeat(TensorHandle t, long* repeats, int ndims, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_flip(TensorHandle t, long* dims, int ndims, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_transpose(TensorHandle t, long dim0, long dim1, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_flatten(TensorHandle t, long startDim, long endDim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_squeeze(TensorHandle t, int hasDim, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_unsqueeze(TensorHandle t, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_cat(IntPtr* tensors, int count, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_stack(IntPtr* tensors, int count, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_chunk(TensorHandle t, long chunks, long dim, IntPtr* outs, int capacity, out int count);
    [LibraryImport(Library)] internal static partial int symm_tensor_narrow(TensorHandle t, long dim, long start, long length, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_slice(TensorHandle t, long dim, long start, long end, long step, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_select(TensorHandle t, long dim, long index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_index_select(TensorHandle t, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_gather(TensorHandle t, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_scatter(TensorHandle t, long dim, TensorHandle index, TensorHandle source, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_scatter_value(TensorHandle t, long dim, TensorHandle index, double value, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_masked_fill(TensorHandle t, TensorHandle mask, double value, int inplace, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_masked_select(TensorHandle t, TensorHandle mask, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_nonzero(TensorHandle t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_tensor_sort(TensorHandle t, long dim, int descending, int stable, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int symm_tensor_topk(TensorHandle t, long k, long dim, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int symm_tensor_kthvalue(TensorHandle t, long k, long dim, int keepdim, out IntPtr values, out IntPtr indices);

    // ---- functional NN ----
    [LibraryImport(Library)] internal static partial int symm_nn_linear(TensorHandle input, TensorHandle weight, TensorHandle bias, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_conv2d(TensorHandle input, TensorHandle weight, TensorHandle bias, long* stride, long* padding, long* dilation, long groups, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_max_pool2d(TensorHandle input, long* kernel, long* stride, long* padding, long* dilation, int ceilMode, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_avg_pool2d(TensorHandle input, long* kernel, long* stride, long* padding, int ceilMode, int countIncludePad, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_adaptive_avg_pool2d(TensorHandle input, long* outputSize, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_batch_norm(TensorHandle input, TensorHandle weight, TensorHandle bias, TensorHandle runningMean, TensorHandle runningVar, int training, double momentum, double eps, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_dropout(TensorHandle input, double p, int training, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_softmax(TensorHandle input, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_log_softmax(TensorHandle input, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_cross_entropy(TensorHandle logits, TensorHandle target, TensorHandle weight, int reduction, long ignoreIndex, double labelSmoothing, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_nll_loss(TensorHandle logProbabilities, TensorHandle target, TensorHandle weight, int reduction, long ignoreIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_nn_mse_loss(TensorHandle input, TensorHandle target, int reduction, out IntPtr result);

    // ---- autograd ----
    [LibraryImport(Library)] internal static partial int symm_autograd_set_requires_grad(TensorHandle t, int requiresGrad);
    [LibraryImport(Library)] internal static partial int symm_autograd_grad(TensorHandle t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_autograd_set_grad(TensorHandle t, TensorHandle grad);
    [LibraryImport(Library)] internal static partial int symm_autograd_backward(TensorHandle t, TensorHandle gradient, int retainGraph, int createGraph);
    [LibraryImport(Library)] internal static partial int symm_autograd_detach(TensorHandle t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int symm_autograd_is_leaf(TensorHandle t, out int isLeaf);
    [LibraryImport(Library)] internal static partial int symm_autograd_grad_mode_set(int enabled, out int previous);
}
