using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>The lasso stitcher: a full W trained with μ·Σ|W| added to the loss; at evaluation, weights with
/// |w| below the threshold count as zero (pnnl/modelsym <c>Lasso</c>).</summary>
public sealed class LassoStitcher : Stitcher
{
    /// <summary>A stitcher with penalty <paramref name="penalty"/> (μ) and zeroing threshold <paramref name="threshold"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">μ or the threshold negative or not finite.</exception>
    public LassoStitcher(long features, double penalty, double threshold, Generator? generator) : base(nameof(LassoStitcher), features)
    {
        if (!(penalty >= 0) || double.IsInfinity(penalty)) throw new ArgumentOutOfRangeException(nameof(penalty), penalty, "the lasso penalty μ must be a finite number ≥ 0");
        if (!(threshold >= 0) || double.IsInfinity(threshold)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "the zeroing threshold must be a finite number ≥ 0");
        (Penalty, Threshold) = (penalty, threshold);
        Weight = DefaultInitialised(features, features, generator);
        register_parameter("weight", Weight);
    }

    /// <summary>μ.</summary>
    public double Penalty { get; }

    /// <summary>Weights with |w| below this are zero at evaluation.</summary>
    public double Threshold { get; }

    /// <summary>W as trained (parameter <c>weight</c>).</summary>
    public Parameter Weight { get; }

    /// <summary>The fraction of W's entries that evaluation zeroes.</summary>
    public double Sparsity()
    {
        using var scope = NewDisposeScope();
        return Weight.detach().abs().lt(Threshold).to(ScalarType.Float64).mean().ToDouble();
    }

    /// <inheritdoc />
    public override Tensor Matrix()
    {
        if (training) return Weight.alias();
        using var scope = NewDisposeScope();
        var w = Weight.detach();
        return where(w.abs().lt(Threshold), zeros_like(w), w).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor? Regularization() => Weight.abs().sum().mul(Penalty);

    /// <inheritdoc />
    public override string Describe() => FormattableString.Invariant($"lasso μ={Penalty:G3}");
}
