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
        var h1 = Unit(ActivationPair.Columns(a));
        var h2 = Unit(ActivationPair.Columns(b));
        var nuclear = linalg.svdvals(h1.t().matmul(h2)).sum().item<double>();
        return 1 - Math.Sqrt(Math.Max(2 - 2 * nuclear, 0)) / 2;
    }

    private static Tensor Unit(Tensor x)
    {
        var norm = x.norm().item<double>();
        return norm > 0 ? x / norm : x;
    }
}
