using static TorchSharp.torch;

namespace Symmetry.Core.Alignment;

/// <summary>Centred kernel alignment between two layers' activations (ALGORITHMS §3), in three named variants.</summary>
public static class Cka
{
    /// <summary>
    /// G_ReLU-CKA: each channel centred and scaled to unit norm over (N, H, W); K_ab = max over channels c of
    /// ⟨H[a, c], H[b, c]⟩ (spatial inner product), diagonal 0; unbiased HSIC. Invariant to channel permutations and
    /// positive channel scalings. Needs ≥ 4 samples.
    /// </summary>
    public static double GRelu(Tensor first, Tensor second) => Aligned(first, second, MaxChannelKernel);

    /// <summary>
    /// "Linear CKA" as the stitching paper's code computes it (<c>ortho_cka</c>): the same centring and channel
    /// normalisation, the linear kernel K_ab = Σ_c ⟨H[a, c], H[b, c]⟩, zero diagonal, unbiased HSIC. Needs ≥ 4 samples.
    /// </summary>
    public static double LinearUnbiased(Tensor first, Tensor second) => Aligned(first, second, LinearKernel);

    /// <summary>Standard linear CKA (Kornblith et al. 2019): features flattened per sample and centred over samples,
    /// K = XXᵀ, biased HSIC. Invariant to orthogonal transforms and isotropic scaling of the features.</summary>
    public static double Linear(Tensor first, Tensor second)
    {
        using var scope = NewDisposeScope();
        if (ActivationPair.AnyAllZero(first, second)) return double.NaN;
        var (a, b) = ActivationPair.Match(first, second);
        return Ratio(Hsic.Biased, SymmetricGram.Linear(a.reshape(a.shape[0], -1)), SymmetricGram.Linear(b.reshape(b.shape[0], -1)));
    }

    private static double Aligned(Tensor first, Tensor second, Func<Tensor, Tensor> kernel)
    {
        using var scope = NewDisposeScope();
        if (ActivationPair.AnyAllZero(first, second)) return double.NaN;
        var (a, b) = ActivationPair.Match(first, second);
        return Ratio(Hsic.Unbiased, kernel(Normalised(a)), kernel(Normalised(b)));
    }

    // CKA is defined only where both self-HSICs are positive: the unbiased estimate of a degenerate kernel (e.g. every
    // channel active on one sample) is zero up to rounding, of either sign, and its ratio would be noise.
    private static double Ratio(Func<Tensor, Tensor, double> hsic, Tensor k, Tensor l)
    {
        var (kk, ll) = (hsic(k, k), hsic(l, l));
        return kk > 0 && ll > 0 ? hsic(k, l) / Math.Sqrt(kk * ll) : double.NaN;
    }

    // Centre each channel over (N, H, W), then scale it to unit norm (a constant channel becomes zero).
    private static Tensor Normalised(Tensor maps)
    {
        var centred = maps - maps.mean([0, 2, 3], keepdim: true);
        var norms = centred.square().sum([0, 2, 3], keepdim: true).sqrt();
        return centred / norms.where(norms.gt(0), ones_like(norms));
    }

    private static Tensor LinearKernel(Tensor maps) => SymmetricGram.Linear(maps.reshape(maps.shape[0], -1));

    // (C, N, H·W) contiguous once, then every channel's Gram at once per block of samples, reduced by max.
    private static Tensor MaxChannelKernel(Tensor maps) =>
        SymmetricGram.MaxOverChannels(maps.transpose(0, 1).reshape(maps.shape[1], maps.shape[0], -1).contiguous());
}
