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
        if (ActivationPair.AnyAllZero(first, second)) return double.NaN;
        var (a, b) = ActivationPair.Match(first, second);
        var h1 = ChannelColumns(a);
        var h2 = ChannelColumns(b);
        var inner = h1.t().matmul(h2);
        var assignment = LinearAssignment.Solve(inner, maximize: true);
        var values = inner.data<double>().ToArray();
        var channels = (int)inner.shape[0];
        var matched = 0.0;
        for (var i = 0; i < channels; i++) matched += values[i * channels + assignment[i]];
        var squared = (h1.square().sum().item<double>() + h2.square().sum().item<double>() - 2 * matched) / (4.0 * channels);
        return 1 - Math.Sqrt(Math.Max(squared, 0));
    }

    /// <summary>(N·H·W, C): one column per channel, scaled to unit norm (zero columns stay zero).</summary>
    internal static Tensor ChannelColumns(Tensor maps)
    {
        var columns = ActivationPair.Columns(maps);
        var norms = columns.norm(0, keepdim: true);
        return columns / norms.where(norms.gt(0), ones_like(norms));
    }
}
