using static TorchSharp.torch;

namespace Symmetry.Core.Training.Batched;

/// <summary>
/// Images that are bytes divided by 255 (MNIST, Fashion-MNIST, CIFAR-10 as loaded, not normalised) kept as those bytes,
/// so that a batch is gathered at a quarter of the memory traffic and converted after the gather, by the loader's own
/// arithmetic (<c>to(float32).div_(255)</c>): the same floats, bit for bit.
/// </summary>
public static class PixelBytes
{
    /// <summary>The images as bytes (N, features), or null when some value is not exactly a byte over 255 (normalised or
    /// synthetic data: those are gathered as floats).</summary>
    public static Tensor? Of(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (images.dtype != ScalarType.Float32) return null;
        var flat = images.flatten(1);
        var bytes = flat.mul(255.0).round_().clamp_(0, 255).to(ScalarType.Byte);
        return ToFloats(bytes).eq(flat).all().item<bool>() ? bytes.MoveToOuterDisposeScope() : null;
    }

    /// <summary>Gathered bytes back to the loader's floats.</summary>
    public static Tensor ToFloats(Tensor bytes) => bytes.to(ScalarType.Float32).div_(255.0);
}
