using Symmetry.Core.Permutations;
using static TorchSharp.torch;

namespace Symmetry.Core.Alignment;

/// <summary>
/// The G_ReLU-Procrustes similarity (ALGORITHMS §3): the distance between two layers' activations up to a channel
/// permutation and positive channel scalings. Each channel is scaled to unit norm over (N, H, W) (a zero channel stays
/// zero), M_ij = ⟨h1_i, h2_j⟩, π maximises Σ M_iπ(i), d² = (‖H1‖² + ‖H2‖² − 2 Σ M_iπ(i)) / (4C), similarity 1 − d.
/// </summary>
public static class GReluProcrustes
{
    /// <summary>The similarity in [0, 1] of two activations (any shapes <see cref="ActivationPair"/> accepts).</summary>
    public static double Similarity(Tensor first, Tensor second)
    {
        using var scope = NewDisposeScope();
        var (a, b) = ActivationPair.Match(first, second);
        // The unit-norm columns are never formed: M_ij is ⟨h1_i, h2_j⟩ / (‖h1_i‖·‖h2_j‖) on the small C×C product, and
        // ‖H‖² of unit-norm columns is the number of non-zero channels. A side that is zero everywhere (every norm 0)
        // has no similarity.
        var sums = ChannelProducts.Of(a, b);
        var live1 = sums.SquaredFirst.count_nonzero().item<long>();
        var live2 = sums.SquaredSecond.count_nonzero().item<long>();
        if (live1 == 0 || live2 == 0) return double.NaN;
        var inner = sums.Inner / Norms(sums.SquaredFirst).unsqueeze(1) / Norms(sums.SquaredSecond).unsqueeze(0);
        var assignment = LinearAssignment.Solve(inner, maximize: true);
        var values = inner.data<double>().ToArray();
        var channels = (int)inner.shape[0];
        var matched = 0.0;
        for (var i = 0; i < channels; i++) matched += values[i * channels + assignment[i]];
        var squared = (live1 + live2 - 2 * matched) / (4.0 * channels);
        return 1 - Math.Sqrt(Math.Max(squared, 0));
    }

    /// <summary>The channels' norms, 1 for a zero channel (its inner products are 0 anyway).</summary>
    private static Tensor Norms(Tensor squared) => squared.sqrt().where(squared.gt(0), ones_like(squared));
}
