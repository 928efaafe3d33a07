using Symmetry.Torch.Native;

namespace Symmetry.Torch;

/// <summary>How a loss combines per-element values.</summary>
public enum Reduction
{
    /// <summary>One loss per element.</summary>
    None = 0,
    /// <summary>The mean.</summary>
    Mean = 1,
    /// <summary>The sum.</summary>
    Sum = 2,
}

/// <summary>Functional neural-network operations (as <c>torch.nn.functional</c>), PyTorch layouts throughout:
/// inputs (N, C, H, W), Linear weights (out, in), Conv2d weights (out, in/groups, kh, kw).</summary>
public static unsafe class Functional
{
    /// <summary>x · Wᵀ + b.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        Check.Result(NativeMethods.symm_nn_linear(input.Handle, weight.Handle, HandleOf(bias), out var r), r, "linear");

    /// <summary>2-D convolution with square stride, padding and dilation.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long dilation = 1, long groups = 1) =>
        Conv2d(input, weight, bias, [stride, stride], [padding, padding], [dilation, dilation], groups);

    /// <summary>2-D convolution with (height, width) stride, padding and dilation.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups)
    {
        RequirePair(stride, nameof(stride)); RequirePair(padding, nameof(padding)); RequirePair(dilation, nameof(dilation));
        fixed (long* s = stride, p = padding, d = dilation)
            return Check.Result(NativeMethods.symm_nn_conv2d(input.Handle, weight.Handle, HandleOf(bias), s, p, d, groups, out var r), r, "conv2d");
    }

    /// <summary>2-D max pooling; stride defaults to the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor input, long kernel, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false)
    {
        long[] k = [kernel, kernel], s = [stride ?? kernel, stride ?? kernel], p = [padding, padding], d = [dilation, dilation];
        fixed (long* kp = k, sp = s, pp = p, dp = d)
            return Check.Result(NativeMethods.symm_nn_max_pool2d(input.Handle, kp, sp, pp, dp, ceilMode ? 1 : 0, out var r), r, "max_pool2d");
    }

    /// <summary>2-D average pooling; stride defaults to the kernel size.</summary>
    public static Tensor AvgPool2d(Tensor input, long kernel, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        long[] k = [kernel, kernel], s = [stride ?? kernel, stride ?? kernel], p = [padding, padding];
        fixed (long* kp = k, sp = s, pp = p)
            return Check.Result(NativeMethods.symm_nn_avg_pool2d(input.Handle, kp, sp, pp, ceilMode ? 1 : 0, countIncludePad ? 1 : 0, out var r), r, "avg_pool2d");
    }

    /// <summary>Average pooling to a fixed output size (1×1 gives global average pooling).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, long outputHeight, long outputWidth)
    {
        long[] size = [outputHeight, outputWidth];
        fixed (long* o = size)
            return Check.Result(NativeMethods.symm_nn_adaptive_avg_pool2d(input.Handle, o, out var r), r, "adaptive_avg_pool2d");
    }

    /// <summary>Batch normalisation. In training mode it normalises with batch statistics and updates
    /// <paramref name="runningMean"/>/<paramref name="runningVar"/> in place (when given); in evaluation mode it uses them.</summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5) =>
        Check.Result(NativeMethods.symm_nn_batch_norm(input.Handle, HandleOf(weight), HandleOf(bias), HandleOf(runningMean), HandleOf(runningVar),
            training ? 1 : 0, momentum, eps, out var r), r, "batch_norm");

    /// <summary>Dropout with the global generator: zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1−p).</summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true) =>
        Check.Result(NativeMethods.symm_nn_dropout(input.Handle, p, training ? 1 : 0, out var r), r, "dropout");

    /// <summary>Dropout driven by an explicit <paramref name="generator"/> (reproducible, design rule 4).</summary>
    public static Tensor Dropout(Tensor input, double p, bool training, Generator generator)
    {
        if (!training || p == 0) return input.Alias();
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        using var keep = Torch.Bernoulli(input.Shape, 1 - p, generator, input.DType, input.Device);
        using var kept = input * keep;
        return p == 1 ? kept.Alias() : kept / (1 - p);
    }

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor input, long dim) =>
        Check.Result(NativeMethods.symm_nn_softmax(input.Handle, dim, out var r), r, "softmax");

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor input, long dim) =>
        Check.Result(NativeMethods.symm_nn_log_softmax(input.Handle, dim, out var r), r, "log_softmax");

    /// <summary>Cross-entropy between logits (N, C) and int64 class targets (N).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
        long ignoreIndex = -100, double labelSmoothing = 0) =>
        Check.Result(NativeMethods.symm_nn_cross_entropy(logits.Handle, target.Handle, HandleOf(weight), (int)reduction, ignoreIndex, labelSmoothing, out var r), r, "cross_entropy");

    /// <summary>Negative log-likelihood of log-probabilities (N, C) for int64 targets (N).</summary>
    public static Tensor NllLoss(Tensor logProbabilities, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, long ignoreIndex = -100) =>
        Check.Result(NativeMethods.symm_nn_nll_loss(logProbabilities.Handle, target.Handle, HandleOf(weight), (int)reduction, ignoreIndex, out var r), r, "nll_loss");

    /// <summary>Mean squared error.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Check.Result(NativeMethods.symm_nn_mse_loss(input.Handle, target.Handle, (int)reduction, out var r), r, "mse_loss");

    private static IntPtr HandleOf(Tensor? tensor) => tensor?.Handle ?? IntPtr.Zero;

    private static void RequirePair(long[] values, string name)
    {
        if (values.Length != 2) throw new ArgumentException($"{name} needs two values (height, width), got {values.Length}", name);
    }
}
