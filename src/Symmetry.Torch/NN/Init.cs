namespace Symmetry.Torch.NN;

/// <summary>Which fan a variance-scaling initialiser preserves.</summary>
public enum FanMode
{
    /// <summary>Inputs per neuron: preserves the forward pass's variance.</summary>
    FanIn,
    /// <summary>Outputs per input: preserves the backward pass's variance.</summary>
    FanOut,
}

/// <summary>Weight initialisers. Each overwrites a tensor in place (without recording gradients), drawing from an
/// explicit <see cref="Generator"/> (null = the global one), with PyTorch's formulas.</summary>
public static class Init
{
    /// <summary>(fan_in, fan_out) of a Linear (out, in) or Conv (out, in, kh, kw) weight.</summary>
    public static (long FanIn, long FanOut) Fans(Tensor weight)
    {
        var shape = weight.Shape;
        if (shape.Length < 2) throw new ArgumentException($"fan of a tensor with fewer than 2 dimensions (shape [{string.Join(", ", shape)}]) is undefined", nameof(weight));
        var receptive = shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>Gain for ReLU-family nonlinearities: √(2 / (1 + a²)) for leaky slope a (a = 0: ReLU).</summary>
    public static double ReluGain(double negativeSlope = 0) => Math.Sqrt(2.0 / (1 + negativeSlope * negativeSlope));

    /// <summary>He / Kaiming uniform: U(−b, b) with b = gain·√(3 / fan).</summary>
    public static void KaimingUniform(Tensor weight, Generator? generator = null, double negativeSlope = 0, FanMode mode = FanMode.FanIn)
    {
        var bound = ReluGain(negativeSlope) * Math.Sqrt(3.0 / Fan(weight, mode));
        Uniform(weight, -bound, bound, generator);
    }

    /// <summary>He / Kaiming normal: N(0, σ²) with σ = gain / √fan.</summary>
    public static void KaimingNormal(Tensor weight, Generator? generator = null, double negativeSlope = 0, FanMode mode = FanMode.FanIn) =>
        Normal(weight, 0, ReluGain(negativeSlope) / Math.Sqrt(Fan(weight, mode)), generator);

    /// <summary>Glorot / Xavier uniform: U(−b, b) with b = gain·√(6 / (fan_in + fan_out)).</summary>
    public static void GlorotUniform(Tensor weight, Generator? generator = null, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(weight);
        var bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        Uniform(weight, -bound, bound, generator);
    }

    /// <summary>Glorot / Xavier normal: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).</summary>
    public static void GlorotNormal(Tensor weight, Generator? generator = null, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(weight);
        Normal(weight, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>Keras-style He-uniform for a bias vector: U(−b, b) with b = √(6 / fanIn); Keras takes fanIn = the bias
    /// length, which is the default here.</summary>
    public static void HeUniformBias(Tensor bias, Generator? generator = null, long? fanIn = null)
    {
        var bound = Math.Sqrt(6.0 / (fanIn ?? bias.NumEl));
        Uniform(bias, -bound, bound, generator);
    }

    /// <summary>PyTorch's default for Linear and Conv layers: weight U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5),
    /// bias the same bound.</summary>
    public static void PyTorchDefault(Tensor weight, Tensor? bias, Generator? generator = null)
    {
        var bound = 1.0 / Math.Sqrt(Fans(weight).FanIn);
        Uniform(weight, -bound, bound, generator);
        if (bias is not null) Uniform(bias, -bound, bound, generator);
    }

    /// <summary>Every element set to <paramref name="value"/>.</summary>
    public static void Constant(Tensor tensor, double value)
    {
        using var scope = Torch.NewScope();
        using (Torch.NoGrad()) tensor.FillInPlace(value);
    }

    /// <summary>U(from, to).</summary>
    public static void Uniform(Tensor tensor, double from, double to, Generator? generator = null)
    {
        using var scope = Torch.NewScope();
        using (Torch.NoGrad()) tensor.UniformInPlace(from, to, generator);
    }

    /// <summary>N(mean, std²).</summary>
    public static void Normal(Tensor tensor, double mean, double std, Generator? generator = null)
    {
        using var scope = Torch.NewScope();
        using (Torch.NoGrad()) tensor.NormalInPlace(mean, std, generator);
    }

    /// <summary>Sparse-aware Kaiming normal (ALGORITHMS §1): each neuron (row / output filter) is drawn with
    /// fan_in = the number of its weights the <paramref name="mask"/> keeps; masked entries and fully masked neurons are 0.</summary>
    public static void SparseFanIn(Tensor weight, Tensor mask, Generator? generator = null, double negativeSlope = 0)
    {
        using var scope = Torch.NewScope();
        var rows = weight.Size(0);
        var keptPerNeuron = mask.Reshape(rows, -1).Ne(0).Sum(1L).To(weight.DType);
        var std = (ReluGain(negativeSlope) * keptPerNeuron.Clamp(min: 1).Rsqrt()).MaskedFill(keptPerNeuron.Eq(0), 0);
        var viewShape = new long[weight.Rank];
        Array.Fill(viewShape, 1L);
        viewShape[0] = rows;
        var draw = Torch.Randn(weight.Shape, generator, weight.DType, weight.Device) * std.Reshape(viewShape) * mask.To(weight.DType);
        using (Torch.NoGrad()) weight.CopyFrom(draw);
    }

    private static long Fan(Tensor weight, FanMode mode)
    {
        var (fanIn, fanOut) = Fans(weight);
        return mode == FanMode.FanIn ? fanIn : fanOut;
    }
}
