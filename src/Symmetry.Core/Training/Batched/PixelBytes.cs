using static TorchSharp.torch;

namespace Symmetry.Core.Training.Batched;

/// <summary>
/// Images that are bytes divided by 255 (MNIST, Fashion-MNIST, CIFAR-10 as loaded, not normalised) kept as those bytes,
/// so that a batch is gathered at a quarter of the memory traffic and converted after the gather, by the loader's own
/// arithmetic (<c>to(float32).div_(255)</c>): the same floats, bit for bit.
/// </summary>
public static class PixelBytes
{
    /// <summary>Rows converted and checked at a time: a few MiB, so that the check's passes stay in cache and no
    /// dataset-sized temporary is allocated (whole-tensor passes took ≈ 0.66 s CPU for Fashion-MNIST's 47 M pixels).</summary>
    private const long BlockElements = 1L << 16;

    /// <summary>The images as bytes (N, features), or null when some value is not exactly a byte over 255 (normalised or
    /// synthetic data: those are gathered as floats).</summary>
    public static Tensor? Of(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dtype != ScalarType.Float32 || images.dim() < 1) return null;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = images.flatten(1);
        var (rows, features) = (flat.size(0), flat.size(1));
        var bytes = empty([rows, features], ScalarType.Byte, images.device);
        var step = Math.Max(1, BlockElements / Math.Max(1, features));
        for (var start = 0L; start < rows; start += step)
        {
            using var block = NewDisposeScope();
            var source = flat.narrow(0, start, Math.Min(step, rows - start));
            // Whole numbers 0…255 as floats are what to(float32) makes of the bytes, so dividing them is ToFloats exactly;
            // a difference, or a NaN (max is then NaN), means these images are not bytes.
            var whole = source.mul(255.0).round_().clamp_(0, 255);
            var largestDifference = whole.div(255.0).sub_(source).abs_().max().item<float>();
            if (!(largestDifference == 0)) return null;
            bytes.narrow(0, start, whole.size(0)).copy_(whole);
        }
        return bytes.MoveToOuterDisposeScope();
    }

    /// <summary>Gathered bytes back to the loader's floats.</summary>
    public static Tensor ToFloats(Tensor bytes) => bytes.to(ScalarType.Float32).div_(255.0);
}
