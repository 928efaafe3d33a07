using static TorchSharp.torch;

namespace Symmetry.Core.Alignment;

/// <summary>
/// The orthogonal-Procrustes similarity (ALGORITHMS §3): both activations as (N·H·W, C) matrices scaled to unit
/// Frobenius norm, d = √(2 − 2‖H1ᵀH2‖_*) / 2 with ‖·‖_* the nuclear norm, similarity 1 − d. Invariant to any orthogonal
/// mixing of channels, so it is at least the G_ReLU similarity's counterpart on the same pair.
/// </summary>
public static class OrthogonalProcrustes
{
    /// <summary>The similarity in [0, 1] of two activations (any shapes <see cref="ActivationPair"/> accepts).</summary>
    public static double Similarity(Tensor first, Tensor second)
    {
        using var scope = NewDisposeScope();
        if (ActivationPair.AnyAllZero(first, second)) return double.NaN;
        var (a, b) = ActivationPair.Match(first, second);
        // H1ᵀH2 of the Frobenius-normalised column matrices, from sums that never form them.
        var sums = ChannelProducts.Of(a, b);
        var scale = Math.Sqrt(sums.SquaredFirst.sum().item<double>() * sums.SquaredSecond.sum().item<double>());
        var nuclear = linalg.svdvals(sums.Inner / scale).sum().item<double>();
        return 1 - Math.Sqrt(Math.Max(2 - 2 * nuclear, 0)) / 2;
    }
}
