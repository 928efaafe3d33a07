using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>Which fan a Kaiming initialiser scales by.</summary>
public enum FanMode
{
    /// <summary>Inputs per output unit (preserves forward variance).</summary>
    FanIn,

    /// <summary>Outputs per input unit (preserves backward variance).</summary>
    FanOut,
}

/// <summary>
/// Initialisers that draw only from the generator they are given (TorchSharp's <c>nn.init</c> ignores its generator
/// argument). Each draws in place with <c>uniform_</c>/<c>normal_</c> under no-grad; the same generator state gives the
/// same bits as PyTorch's <c>torch.nn.init</c> with that generator.
/// </summary>
public static class SeededInit
{
    /// <summary>PyTorch's (fan_in, fan_out) of a weight with at least 2 dimensions.</summary>
    public static (long FanIn, long FanOut) Fans(Tensor weight)
    {
        var shape = weight.shape;
        if (shape.Length < 2)
            throw new ArgumentException($"fan of a tensor with fewer than 2 dimensions (shape [{string.Join(", ", shape)}]) is undefined", nameof(weight));
        var receptive = shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>The gain of (leaky) ReLU: √(2 / (1 + slope²)).</summary>
    public static double ReluGain(double negativeSlope = 0) => Math.Sqrt(2.0 / (1 + negativeSlope * negativeSlope));

    /// <summary>He/Kaiming uniform: U(−b, b), b = gain·√(3 / fan).</summary>
    public static void KaimingUniform(Tensor weight, Generator? generator, double negativeSlope = 0, FanMode mode = FanMode.FanIn)
    {
        var bound = ReluGain(negativeSlope) * Math.Sqrt(3.0 / Fan(weight, mode));
        Uniform(weight, -bound, bound, generator);
    }

    /// <summary>He/Kaiming normal: N(0, gain² / fan).</summary>
    public static void KaimingNormal(Tensor weight, Generator? generator, double negativeSlope = 0, FanMode mode = FanMode.FanIn) =>
        Normal(weight, 0, ReluGain(negativeSlope) / Math.Sqrt(Fan(weight, mode)), generator);

    /// <summary>Glorot/Xavier uniform: U(−b, b), b = gain·√(6 / (fan_in + fan_out)).</summary>
    public static void GlorotUniform(Tensor weight, Generator? generator, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(weight);
        var bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        Uniform(weight, -bound, bound, generator);
    }

    /// <summary>Glorot/Xavier normal: N(0, gain²·2 / (fan_in + fan_out)).</summary>
    public static void GlorotNormal(Tensor weight, Generator? generator, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(weight);
        Normal(weight, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>Keras' he_uniform applied to a bias: U(−b, b), b = √(6 / fan_in), fan_in defaulting to the bias length.</summary>
    public static void HeUniformBias(Tensor bias, Generator? generator, long? fanIn = null)
    {
        var bound = Math.Sqrt(6.0 / (fanIn ?? bias.numel()));
        Uniform(bias, -bound, bound, generator);
    }

    /// <summary>PyTorch's default for Linear and Conv2d: weight and bias U(−1/√fan_in, 1/√fan_in), weight first.</summary>
    public static void PyTorchDefault(Tensor weight, Tensor? bias, Generator? generator)
    {
        var bound = 1.0 / Math.Sqrt(Fans(weight).FanIn);
        Uniform(weight, -bound, bound, generator);
        if (bias is not null) Uniform(bias, -bound, bound, generator);
    }

    /// <summary>Fills with a constant.</summary>
    public static void Constant(Tensor tensor, double value)
    {
        using var _ = no_grad();
        tensor.fill_(value);
    }

    /// <summary>U(from, to) in place.</summary>
    public static void Uniform(Tensor tensor, double from, double to, Generator? generator)
    {
        using var _ = no_grad();
        tensor.uniform_(from, to, generator);
    }

    /// <summary>N(mean, std²) in place.</summary>
    public static void Normal(Tensor tensor, double mean, double std, Generator? generator)
    {
        using var _ = no_grad();
        tensor.normal_(mean, std, generator);
    }

    /// <summary>
    /// Sparse fan-in init: each output neuron's kept weights ~ N(0, gain² / kept), kept = its nonzero mask entries in
    /// that row; masked weights become 0 and a neuron with nothing kept is all zero.
    /// </summary>
    public static void SparseFanIn(Tensor weight, Tensor mask, Generator? generator, double negativeSlope = 0)
    {
        using var scope = NewDisposeScope();
        var rows = weight.size(0);
        var keptPerNeuron = mask.reshape(rows, -1).ne(0).sum(1).to(weight.dtype);
        var std = (ReluGain(negativeSlope) * keptPerNeuron.clamp(min: 1).rsqrt()).masked_fill(keptPerNeuron.eq(0), 0);
        var viewShape = new long[weight.dim()];
        Array.Fill(viewShape, 1L);
        viewShape[0] = rows;
        var draw = randn(weight.shape, dtype: weight.dtype, device: weight.device, generator: generator)
                   * std.reshape(viewShape) * mask.to(weight.dtype);
        using var _ = no_grad();
        weight.copy_(draw);
    }

    private static long Fan(Tensor weight, FanMode mode)
    {
        var (fanIn, fanOut) = Fans(weight);
        return mode == FanMode.FanIn ? fanIn : fanOut;
    }
}
