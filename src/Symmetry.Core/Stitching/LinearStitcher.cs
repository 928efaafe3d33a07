using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>The full linear stitcher: W is one free matrix (a 1×1 convolution or a linear layer without bias),
/// initialised as PyTorch initialises those layers.</summary>
public sealed class LinearStitcher : Stitcher
{
    /// <summary>A stitcher on <paramref name="features"/> channels, W drawn from <paramref name="generator"/>.</summary>
    public LinearStitcher(long features, Generator? generator) : base(nameof(LinearStitcher), features)
    {
        Weight = DefaultInitialised(features, features, generator);
        register_parameter("weight", Weight);
    }

    /// <summary>W (parameter <c>weight</c>).</summary>
    public Parameter Weight { get; }

    /// <inheritdoc />
    public override Tensor Matrix() => Weight.alias();

    /// <inheritdoc />
    public override string Describe() => "linear";
}
