namespace Symmetry.Torch.NN;

/// <summary>2-D convolution, weight (out, in/groups, k, k). Parameters <c>weight</c> and <c>bias</c>.</summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer with PyTorch's default initialisation drawn from <paramref name="generator"/>.</summary>
    public Conv2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0, bool bias = true,
        long groups = 1, long dilation = 1, Generator? generator = null)
    {
        if (inChannels < 1 || outChannels < 1 || kernel < 1) throw new ArgumentOutOfRangeException(nameof(kernel), "Conv2d needs positive channel counts and kernel size");
        if (inChannels % groups != 0 || outChannels % groups != 0) throw new ArgumentException($"channels ({inChannels}→{outChannels}) must be divisible by groups ({groups})", nameof(groups));
        (InChannels, OutChannels, Kernel, Stride, Padding, Groups, Dilation) = (inChannels, outChannels, kernel, stride, padding, groups, dilation);
        using var scope = Torch.NewScope();
        Weight = RegisterParameter("weight", Torch.Empty([outChannels, inChannels / groups, kernel, kernel]));
        Bias = bias ? RegisterParameter("bias", Torch.Empty([outChannels])) : null;
        Init.PyTorchDefault(Weight.Value, Bias?.Value, generator);
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }
    /// <summary>Output channels (filters).</summary>
    public long OutChannels { get; }
    /// <summary>Square kernel size.</summary>
    public long Kernel { get; }
    /// <summary>Stride.</summary>
    public long Stride { get; }
    /// <summary>Zero padding on each side.</summary>
    public long Padding { get; }
    /// <summary>Channel groups.</summary>
    public long Groups { get; }
    /// <summary>Dilation.</summary>
    public long Dilation { get; }
    /// <summary>Weight (out, in/groups, k, k).</summary>
    public Parameter Weight { get; }
    /// <summary>Bias (out), or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) =>
        Functional.Conv2d(input, Weight.Effective, Bias?.Effective, Stride, Padding, Dilation, Groups);
}
