using static TorchSharp.torch;

namespace Symmetry.Core.Alignment;

/// <summary>
/// The sums both Procrustes metrics need from two (N, C, H, W) activations, without forming the (N·H·W, C) column
/// matrices: <see cref="Inner"/>[i, j] = Σ over samples and positions of a[·, i, ·, ·]·b[·, j, ·, ·], and each side's
/// squared channel norms. Accumulated over chunks of samples whose channel-major copies stay in cache: one pass over
/// each side (N = 2000, C = 128, 8×8, one thread: 0.19 s, against 1.9 s for the column copies, their squares and
/// one big product).
/// </summary>
internal sealed record ChannelProducts(Tensor Inner, Tensor SquaredFirst, Tensor SquaredSecond)
{
    /// <summary>Values per channel in one chunk (samples × positions): about 1024 keeps a chunk of 128 channels
    /// in float64 at 1 MB per side.</summary>
    private const long ValuesPerChunk = 1024;

    /// <summary>The sums for <paramref name="a"/> and <paramref name="b"/> (same N, H and W; the tensors join the
    /// caller's dispose scope).</summary>
    public static ChannelProducts Of(Tensor a, Tensor b)
    {
        var (n, c1, c2) = (a.shape[0], a.shape[1], b.shape[1]);
        var positions = a.shape[2] * a.shape[3];
        var inner = zeros([c1, c2], a.dtype, a.device);
        var squared1 = zeros([c1], a.dtype, a.device);
        var squared2 = zeros([c2], b.dtype, b.device);
        var chunk = Math.Max(1, ValuesPerChunk / positions);
        for (long i = 0; i < n; i += chunk)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(chunk, n - i);
            var x = a.narrow(0, i, count).transpose(0, 1).reshape(c1, -1);
            var y = b.narrow(0, i, count).transpose(0, 1).reshape(c2, -1);
            inner.addmm_(x, y.t());
            squared1.add_(x.square().sum(1));
            squared2.add_(y.square().sum(1));
        }
        return new ChannelProducts(inner, squared1, squared2);
    }
}
