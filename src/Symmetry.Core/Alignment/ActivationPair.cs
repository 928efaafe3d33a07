using Symmetry.Torch;
using static TorchSharp.torch;

namespace Symmetry.Core.Alignment;

/// <summary>
/// Two models' activations at a layer, brought to one shape for comparison (ALGORITHMS §3): (N, C) or (N, C, H, W)
/// in float64; a smaller H×W is upsampled to the larger by nearest neighbour, fewer channels are padded with zero
/// channels. The samples must be the same (same N, same order). Every metric is NaN when either side is zero
/// everywhere (no similarity is defined for a layer of dead units).
/// </summary>
public static class ActivationPair
{
    /// <summary>Both activations as (N, C, H, W) float64 of one shape (2-D activations get H = W = 1). The caller owns
    /// the results (they join an open dispose scope).</summary>
    /// <exception cref="ArgumentException">Different sample counts, a rank other than 2 or 4, or non-square maps of
    /// different sizes.</exception>
    public static (Tensor First, Tensor Second) Match(Tensor first, Tensor second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.shape[0] != second.shape[0])
            throw new ArgumentException($"activations of {first.shape[0]} and {second.shape[0]} samples cannot be compared: use the same inputs for both models");
        var a = AsMaps(first, nameof(first));
        var b = AsMaps(second, nameof(second));
        (a, b) = (Upsampled(a, b), Upsampled(b, a));
        var channels = Math.Max(a.shape[1], b.shape[1]);
        return (Padded(a, channels), Padded(b, channels));
    }

    /// <summary>True when either activation is zero everywhere (e.g. a layer of dead ReLUs): no similarity is defined,
    /// and every metric returns NaN rather than a number that looks like a measurement.</summary>
    internal static bool AnyAllZero(Tensor first, Tensor second) =>
        first.count_nonzero().item<long>() == 0 || second.count_nonzero().item<long>() == 0;

    private static Tensor AsMaps(Tensor x, string name) => x.dim() switch
    {
        2 => x.to(float64).reshape(x.shape[0], x.shape[1], 1, 1),
        4 => x.to(float64),
        _ => throw new ArgumentException($"activations must be (N, C) or (N, C, H, W), got shape [{string.Join(", ", x.shape)}]", name),
    };

    // Nearest-neighbour upsampling of x's maps to other's size when other's are larger (index ⌊i·h/H⌋, as PyTorch's
    // 'nearest').
    private static Tensor Upsampled(Tensor x, Tensor other)
    {
        var (h, w, targetH, targetW) = (x.shape[2], x.shape[3], Math.Max(x.shape[2], other.shape[2]), Math.Max(x.shape[3], other.shape[3]));
        if (h == targetH && w == targetW) return x;
        using var rows = arange(targetH, dtype: int64).mul(h).div(targetH, rounding_mode: RoundingMode.floor);
        using var cols = arange(targetW, dtype: int64).mul(w).div(targetW, rounding_mode: RoundingMode.floor);
        using var byRows = x.index_select(2, rows);
        return byRows.index_select(3, cols);
    }

    private static Tensor Padded(Tensor x, long channels) =>
        x.shape[1] == channels ? x : nn.functional.pad(x, [0, 0, 0, 0, 0, channels - x.shape[1]]);
}
