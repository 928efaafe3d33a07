using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>
/// Random augmentation of image batches (N, C, H, W), drawn per sample from an explicit <see cref="Generator"/>
/// (design rule 4): a random crop of the image padded with <see cref="CropPadding"/> black pixels on each side (the
/// output keeps the input's size), then a horizontal flip with probability <see cref="FlipProbability"/>.
/// </summary>
/// <remarks>The padding is zero in raw pixel space (black), as in torchvision's <c>RandomCrop(32, padding=4)</c>
/// before <c>Normalize</c>: for normalised images pass their <see cref="ChannelStats"/> and the padding becomes
/// (0 − mean) / std per channel. <see cref="DataLoader"/> does this from <see cref="TensorDataset.Normalization"/>.</remarks>
/// <param name="CropPadding">Zero padding on each side before a random H×W crop; 0 turns cropping off.</param>
/// <param name="FlipProbability">Probability that a sample is mirrored left–right; 0 turns flipping off.</param>
public sealed record Augmentation(int CropPadding = 0, double FlipProbability = 0)
{
    /// <summary>No augmentation.</summary>
    public static Augmentation None { get; } = new();

    /// <summary>The standard CIFAR recipe: 4-pixel zero padding with a random 32×32 crop, and a flip with p = 0.5.</summary>
    public static Augmentation Cifar { get; } = new(CropPadding: 4, FlipProbability: 0.5);

    /// <summary>True when this augmentation leaves every batch unchanged.</summary>
    public bool IsIdentity => CropPadding == 0 && FlipProbability == 0;

    /// <summary>The augmented batch, a new tensor in the current dispose scope. Draws the crop offsets (N × 2 integers)
    /// first, then the flips (N uniforms), so a generator in a given state always gives the same result.</summary>
    /// <param name="images">A batch (N, C, H, W).</param>
    /// <param name="generator">The source of every random draw.</param>
    /// <param name="normalization">The statistics <paramref name="images"/> were normalised with, if any: the crop
    /// then pads with the normalised value of a black pixel instead of 0.</param>
    /// <exception cref="ArgumentException">The batch is not (N, C, H, W) or a setting is out of range.</exception>
    public Tensor Apply(Tensor images, Generator generator, ChannelStats? normalization = null)
    {
        if (CropPadding < 0) throw new ArgumentException($"crop padding must be non-negative, not {CropPadding}");
        if (FlipProbability is < 0 or > 1) throw new ArgumentException($"flip probability must be in [0, 1], not {FlipProbability}");
        using var scope = NewDisposeScope();
        var fill = normalization?.Mean.Zip(normalization.Std, (mean, std) => -mean / std).ToArray();
        var result = CropPadding > 0 ? RandomCrop(images, CropPadding, generator, fill) : images.alias();
        if (FlipProbability > 0) result = RandomHorizontalFlip(result, generator, FlipProbability);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Pads each image of <paramref name="images"/> (N, C, H, W) with <paramref name="padding"/> pixels on
    /// every side and crops an H×W window at an offset drawn uniformly per sample from {0, …, 2·padding}² (rows,
    /// then columns). The result has the input's shape and is a new tensor in the current dispose scope.</summary>
    /// <param name="images">A batch (N, C, H, W).</param>
    /// <param name="padding">Pixels of padding on each side; 0 returns the images unchanged (and draws nothing).</param>
    /// <param name="generator">The source of the offsets.</param>
    /// <param name="fill">The padding value of each channel; null pads with zeros.</param>
    public static Tensor RandomCrop(Tensor images, int padding, Generator generator, double[]? fill = null)
    {
        var shape = RequireBatch(images);
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "crop padding must be non-negative");
        if (fill is not null && fill.Length != shape[1])
            throw new ArgumentException($"{fill.Length} fill values for {shape[1]} channels", nameof(fill));
        if (padding == 0) return images.alias();
        long n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        using var scope = NewDisposeScope();
        var device = images.device;
        var padded = zeros([n, c, h + 2 * padding, w + 2 * padding], dtype: images.dtype, device: device);
        if (fill is not null) padded.copy_(tensor(fill, [1, c, 1, 1], device: device).to(images.dtype));
        padded.narrow(2, padding, h).narrow(3, padding, w).copy_(images);
        var offsets = randint(0, 2 * padding + 1, [n, 2], dtype: ScalarType.Int64, device: device, generator: generator);
        // Row r of sample i reads padded row offsets[i, 0] + r; column q reads padded column offsets[i, 1] + q.
        var rows = offsets.select(1, 0).view(n, 1) + arange(h, dtype: ScalarType.Int64, device: device).view(1, h);
        var columns = offsets.select(1, 1).view(n, 1) + arange(w, dtype: ScalarType.Int64, device: device).view(1, w);
        var rowIndex = rows.view(n, 1, h, 1).expand(n, c, h, w + 2 * padding);
        var columnIndex = columns.view(n, 1, 1, w).expand(n, c, h, w);
        var cropped = padded.gather(2, rowIndex).gather(3, columnIndex);
        return cropped.MoveToOuterDisposeScope();
    }

    /// <summary>Mirrors each image of <paramref name="images"/> (N, C, H, W) left–right with probability
    /// <paramref name="p"/>, drawn per sample (N uniforms; a sample flips when its draw is below p).
    /// The result is a new tensor in the current dispose scope.</summary>
    public static Tensor RandomHorizontalFlip(Tensor images, Generator generator, double p = 0.5)
    {
        var shape = RequireBatch(images);
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "flip probability must be in [0, 1]");
        using var scope = NewDisposeScope();
        var flip = rand([shape[0]], dtype: ScalarType.Float32, device: images.device, generator: generator).lt(p).view(shape[0], 1, 1, 1);
        return where(flip, images.flip(3), images).MoveToOuterDisposeScope();
    }

    private static long[] RequireBatch(Tensor images)
    {
        var shape = images.shape;
        if (shape.Length != 4)
            throw new ArgumentException($"augmentation expects a batch of images (N, C, H, W), got shape [{string.Join(", ", shape)}]", nameof(images));
        return shape;
    }
}
