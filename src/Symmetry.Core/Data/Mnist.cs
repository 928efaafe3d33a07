using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>Loads MNIST-format data sets (MNIST, Fashion-MNIST) from a directory of IDX files.</summary>
public static class Mnist
{
    /// <summary>Where Debian's dataset-fashion-mnist package puts Fashion-MNIST.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Number of classes (digits 0–9, or the ten Fashion-MNIST garment classes).</summary>
    public const int ClassCount = 10;

    /// <summary>True when <paramref name="directory"/> holds an MNIST-format training image file
    /// (<c>train-images-idx3-ubyte</c>, optionally <c>.gz</c>).</summary>
    public static bool IsPresent(string directory) =>
        File.Exists(System.IO.Path.Combine(directory, "train-images-idx3-ubyte")) ||
        File.Exists(System.IO.Path.Combine(directory, "train-images-idx3-ubyte.gz"));

    /// <summary>One split: images (N, 1, 28, 28) as float32 in [0, 1] and labels (N) as int64.
    /// The caller owns both tensors.</summary>
    public static (Tensor Images, Tensor Labels) Load(string directory, bool train)
    {
        var prefix = train ? "train" : "t10k";
        var imagePath = IdxFile.Locate(directory, $"{prefix}-images-idx3-ubyte");
        var labelPath = IdxFile.Locate(directory, $"{prefix}-labels-idx1-ubyte");
        var (imageDims, pixels) = IdxFile.Read(imagePath, expectedRank: 3);
        var (labelDims, labels) = IdxFile.Read(labelPath, expectedRank: 1);
        if (imageDims[0] != labelDims[0])
            throw new DataFormatException(labelPath, $"{labelDims[0]} labels for {imageDims[0]} images in {imagePath}");
        var outOfRange = labels.FirstOrDefault(l => l > 9);
        if (outOfRange > 9) throw new DataFormatException(labelPath, $"label {outOfRange} is outside 0..9");
        TorchRuntime.Ensure();
        using var scope = NewDisposeScope();
        var raw = tensor(pixels, [imageDims[0], 1, imageDims[1], imageDims[2]]);
        var images = raw.to(ScalarType.Float32).div_(255.0);
        var targets = tensor(labels).to(ScalarType.Int64);
        return (images.DetachFromDisposeScope(), targets.DetachFromDisposeScope());
    }
}
