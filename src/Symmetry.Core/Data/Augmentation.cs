using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>
/// Random augmentation of image batches (N, C, H, W), drawn per sample from an explicit <see cref="Generator"/>
/// (design rule 4): first an affine warp as Keras' <c>ImageDataGenerator</c> makes it (a rotation of up to
/// <see cref="RotationDegrees"/>, a shift of up to <see cref="Shift"/> of the height and width, a zoom by a factor in
/// [1 − <see cref="Zoom"/>, 1 + <see cref="Zoom"/>] per axis; bilinear, edges replicated as its default 'nearest'
/// fill), then a random crop of the image padded with <see cref="CropPadding"/> black pixels on each side (the output
/// keeps the input's size), then a horizontal flip with probability <see cref="FlipProbability"/>.
/// </summary>
/// <remarks>The padding is zero in raw pixel space (black), as in torchvision's <c>RandomCrop(32, padding=4)</c>
/// before <c>Normalize</c>: for normalised images pass their <see cref="ChannelStats"/> and the padding becomes
/// (0 − mean) / std per channel. <see cref="DataLoader"/> does this from <see cref="TensorDataset.Normalization"/>.
/// The affine settings are left out of the JSON while zero, so state keys written before they existed still stand.</remarks>
/// <param name="CropPadding">Zero padding on each side before a random H×W crop; 0 turns cropping off.</param>
/// <param name="FlipProbability">Probability that a sample is mirrored left–right; 0 turns flipping off.</param>
public sealed record Augmentation(int CropPadding = 0, double FlipProbability = 0)
{
    /// <summary>The largest rotation in degrees; each sample turns by an angle drawn uniformly from ±this. 0: none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double RotationDegrees { get; init; }

    /// <summary>The largest shift as a fraction of the image's height (rows) and width (columns), drawn uniformly
    /// and independently per axis from ±this (Keras' <c>height_shift_range</c> = <c>width_shift_range</c>). 0: none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double Shift { get; init; }

    /// <summary>The zoom range: each axis is scaled by a factor drawn uniformly and independently from
    /// [1 − this, 1 + this] (Keras' <c>zoom_range</c>; a factor above 1 samples a larger field, so the content shrinks).
    /// 0: none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double Zoom { get; init; }

    /// <summary>No augmentation.</summary>
    public static Augmentation None { get; } = new();

    /// <summary>The standard CIFAR recipe: 4-pixel zero padding with a random 32×32 crop, and a flip with p = 0.5.</summary>
    public static Augmentation Cifar { get; } = new(CropPadding: 4, FlipProbability: 0.5);

    /// <summary>True when this augmentation leaves every batch unchanged.</summary>
    public bool IsIdentity => CropPadding == 0 && FlipProbability == 0 && !HasAffine;

    /// <summary>True when batches get the affine warp (a rotation, shift or zoom range is set).</summary>
    public bool HasAffine => RotationDegrees != 0 || Shift != 0 || Zoom != 0;

    /// <summary>The augmented batch, a new tensor in the current dispose scope. Draws the affine parameters first (when
    /// set; see <see cref="AffineParameters.Draw"/>), then the crop offsets (N × 2 integers), then the flips (N
    /// uniforms), so a generator in a given state always gives the same result.</summary>
    /// <param name="images">A batch (N, C, H, W).</param>
    /// <param name="generator">The source of every random draw.</param>
    /// <param name="normalization">The statistics <paramref name="images"/> were normalised with, if any: the crop
    /// then pads with the normalised value of a black pixel instead of 0.</param>
    /// <exception cref="ArgumentException">The batch is not (N, C, H, W) or a setting is out of range.</exception>
    public Tensor Apply(Tensor images, Generator generator, ChannelStats? normalization = null)
    {
        if (CropPadding < 0) throw new ArgumentException($"crop padding must be non-negative, not {CropPadding}");
        if (FlipProbability is < 0 or > 1) throw new ArgumentException($"flip probability must be in [0, 1], not {FlipProbability}");
        if (!(RotationDegrees is >= 0 and <= 180)) throw new ArgumentException($"rotation range must be in [0°, 180°], not {RotationDegrees}");
        if (!(Shift is >= 0 and < 1)) throw new ArgumentException($"shift range must be a fraction in [0, 1), not {Shift}");
        if (!(Zoom is >= 0 and < 1)) throw new ArgumentException($"zoom range must be in [0, 1) (factors 1 ± zoom), not {Zoom}");
        using var scope = NewDisposeScope();
        var fill = normalization?.Mean.Zip(normalization.Std, (mean, std) => -mean / std).ToArray();
        var shape = RequireBatch(images);
        var result = HasAffine
            ? Affine(images, AffineParameters.Draw(shape[0], shape[2], shape[3], RotationDegrees, Shift, Zoom, generator))
            : images.alias();
        if (CropPadding > 0) result = RandomCrop(result, CropPadding, generator, fill);
        if (FlipProbability > 0) result = RandomHorizontalFlip(result, generator, FlipProbability);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Warps each image of <paramref name="images"/> (N, C, H, W) by its own affine map, as Keras'
    /// <c>apply_affine_transform</c> does: output pixel p (row, column) reads the input at
    /// c + R(θ)·Z·(p − c) + R(θ)·t, where c is the image centre ((H − 1)/2, (W − 1)/2), R the rotation by θ, Z =
    /// diag(row zoom, column zoom) and t the (row, column) shift in pixels; bilinear interpolation, coordinates outside
    /// the image clamped to its edge (Keras' default fill 'nearest'). A new tensor in the current dispose scope.</summary>
    /// <exception cref="ArgumentException">Not a batch of images at least 2×2, or parameters for another batch size.</exception>
    public static Tensor Affine(Tensor images, AffineParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var shape = RequireBatch(images);
        long n = shape[0], h = shape[2], w = shape[3];
        if (parameters.Count != n) throw new ArgumentException($"affine parameters for {parameters.Count} images, the batch has {n}", nameof(parameters));
        if (h < 2 || w < 2) throw new ArgumentException($"an affine warp needs images of at least 2×2 pixels, got {h}×{w}", nameof(images));
        // affine_grid works in (x = column, y = row) coordinates normalised to [−1, 1] between the corner pixels'
        // centres (align_corners): column = cx + sx·x, row = cy + sy·y with s = c = (size − 1) / 2.
        double sx = (w - 1) / 2.0, sy = (h - 1) / 2.0;
        var theta = new double[n * 6];
        for (var i = 0; i < n; i++)
        {
            var radians = parameters.Degrees[i] * Math.PI / 180;
            double cos = Math.Cos(radians), sin = Math.Sin(radians), zr = parameters.RowZoom[i], zc = parameters.ColumnZoom[i];
            double tr = parameters.RowShift[i], tc = parameters.ColumnShift[i];
            // A = R·Z in (row, column) order; b = R·t.
            double arr = cos * zr, arc = -sin * zc, acr = sin * zr, acc = cos * zc;
            double br = cos * tr - sin * tc, bc = sin * tr + cos * tc;
            theta[i * 6 + 0] = acc;
            theta[i * 6 + 1] = acr * sy / sx;
            theta[i * 6 + 2] = bc / sx;
            theta[i * 6 + 3] = arc * sx / sy;
            theta[i * 6 + 4] = arr;
            theta[i * 6 + 5] = br / sy;
        }
        using var scope = NewDisposeScope();
        var matrices = tensor(theta, [n, 2, 3], dtype: images.dtype, device: images.device);
        var grid = nn.functional.affine_grid(matrices, [.. shape], align_corners: true);
        var warped = nn.functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: true);
        return warped.MoveToOuterDisposeScope();
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
