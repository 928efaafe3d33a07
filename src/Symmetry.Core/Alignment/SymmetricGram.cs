using static TorchSharp.torch;

namespace Symmetry.Core.Alignment;

/// <summary>
/// Gram matrices of samples, computed on the upper block triangle only and mirrored: about half the multiply-adds of
/// a plain <c>x·xᵀ</c> (what BLAS's <c>syrk</c> gives NumPy's <c>x @ x.T</c>; libtorch's matmul computes every entry),
/// and exactly symmetric. The CKA kernels on 10⁴ samples are dominated by these products.
/// </summary>
internal static class SymmetricGram
{
    /// <summary>Rows per block: large enough for efficient products, small enough that a block stays in cache.</summary>
    private const long BlockRows = 256;

    /// <summary>Channels multiplied at once in <see cref="MaxOverChannels"/>: their 4 × 256 × 256 float64 products
    /// (2 MB) stay in cache for the max. All 128 channels at once made a 64 MB product per block that the max then
    /// streamed from memory: 8.7 s per (2000, 128, 64) kernel against 1.0 s in chunks of 4 (1 thread; chunks of 1–8
    /// and blocks of 128–384 measured 1.0–1.7 s).</summary>
    private const long ChannelChunk = 4;

    /// <summary>K = x·xᵀ for x of shape (N, D).</summary>
    public static Tensor Linear(Tensor x) =>
        Blocks(x.shape[0], x.dtype, x.device, (i, ni, j, nj) => x.narrow(0, i, ni).matmul(x.narrow(0, j, nj).t()));

    /// <summary>K_ab = max over c of ⟨x[c, a], x[c, b]⟩ for x of shape (C, N, D): the G_ReLU-CKA kernel.</summary>
    public static Tensor MaxOverChannels(Tensor x) =>
        Blocks(x.shape[1], x.dtype, x.device, (i, ni, j, nj) =>
        {
            Tensor? max = null;
            for (long c = 0; c < x.shape[0]; c += ChannelChunk)
            {
                var channels = x.narrow(0, c, Math.Min(ChannelChunk, x.shape[0] - c));
                using var products = channels.narrow(1, i, ni).bmm(channels.narrow(1, j, nj).transpose(1, 2));
                var chunkMax = products.amax([0L]);
                if (max is null) max = chunkMax;
                else
                {
                    using (chunkMax)
                    using (var larger = max.maximum(chunkMax))
                        max.copy_(larger);
                }
            }
            return max!;
        });

    private static Tensor Blocks(long n, ScalarType dtype, Device device, Func<long, long, long, long, Tensor> block)
    {
        var result = empty([n, n], dtype, device);
        for (long i = 0; i < n; i += BlockRows)
        {
            var ni = Math.Min(BlockRows, n - i);
            for (var j = i; j < n; j += BlockRows)
            {
                var nj = Math.Min(BlockRows, n - j);
                using var scope = NewDisposeScope();
                var product = block(i, ni, j, nj);
                result.narrow(0, i, ni).narrow(1, j, nj).copy_(product);
                if (j != i) result.narrow(0, j, nj).narrow(1, i, ni).copy_(product.t());
            }
        }
        return result;
    }
}
