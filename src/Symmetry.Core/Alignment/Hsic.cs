using static TorchSharp.torch;

namespace Symmetry.Core.Alignment;

/// <summary>Hilbert–Schmidt independence criteria of two n×n kernel matrices.</summary>
public static class Hsic
{
    /// <summary>
    /// The unbiased estimator (Song et al. 2012): with K̃, L̃ the kernels with zero diagonals,
    /// [tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1 / ((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1] / (n(n−3)). Needs n ≥ 4.
    /// </summary>
    /// <exception cref="ArgumentException">Kernels of different or non-square shapes, or n &lt; 4.</exception>
    public static double Unbiased(Tensor k, Tensor l)
    {
        var n = CheckedSize(k, l);
        if (n < 4) throw new ArgumentException($"the unbiased HSIC needs at least 4 samples, got {n}");
        using var scope = NewDisposeScope();
        // TorchSharp has no fill_diagonal_: zero the diagonal view of a copy (no n×n mask).
        var kt = k.to(float64).clone();
        kt.diagonal().zero_();
        var lt = l.to(float64).clone();
        lt.diagonal().zero_();
        var trace = (kt * lt.t()).sum().item<double>();
        var sums = kt.sum().item<double>() * lt.sum().item<double>() / ((n - 1.0) * (n - 2.0));
        // 1ᵀK̃L̃1 = (column sums of K̃) · (row sums of L̃).
        var cross = kt.sum([0L]).dot(lt.sum([1L])).item<double>() * 2.0 / (n - 2.0);
        return (trace + sums - cross) / (n * (n - 3.0));
    }

    /// <summary>The biased estimator tr(K H L H) / (n − 1)², H = I − 11ᵀ/n.</summary>
    /// <exception cref="ArgumentException">Kernels of different or non-square shapes, or n &lt; 2.</exception>
    public static double Biased(Tensor k, Tensor l)
    {
        var n = CheckedSize(k, l);
        if (n < 2) throw new ArgumentException($"HSIC needs at least 2 samples, got {n}");
        using var scope = NewDisposeScope();
        var kc = Centred(k.to(float64));
        var lc = Centred(l.to(float64));
        return (kc * lc.t()).sum().item<double>() / ((n - 1.0) * (n - 1.0));
    }

    private static Tensor Centred(Tensor m) =>
        m - m.mean([0], keepdim: true) - m.mean([1], keepdim: true) + m.mean();

    private static long CheckedSize(Tensor k, Tensor l)
    {
        if (k.dim() != 2 || k.shape[0] != k.shape[1] || l.dim() != 2 || !k.shape.SequenceEqual(l.shape))
            throw new ArgumentException($"HSIC needs two n×n kernels of one size, got [{string.Join(", ", k.shape)}] and [{string.Join(", ", l.shape)}]");
        return k.shape[0];
    }
}
