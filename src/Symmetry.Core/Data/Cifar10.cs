using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>Loads CIFAR-10 from its binary distribution (<c>cifar-10-binary.tar.gz</c>, unpacked).</summary>
/// <remarks>Each batch file is a sequence of 3073-byte records: one label byte (0–9), then 3072 pixel bytes, the
/// 32×32 red plane, then green, then blue (channel-major, rows top to bottom): exactly the (3, 32, 32) CHW layout.</remarks>
public static class Cifar10
{
    /// <summary>Image side in pixels.</summary>
    public const int Side = 32;

    /// <summary>Colour channels.</summary>
    public const int Channels = 3;

    /// <summary>Pixel bytes per image (3 × 32 × 32).</summary>
    public const int ImageBytes = Channels * Side * Side;

    /// <summary>Bytes per record: the label byte and the pixels.</summary>
    public const int RecordBytes = 1 + ImageBytes;

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>The folder the official archive unpacks to; <see cref="FindDirectory"/> looks inside it too.</summary>
    public const string ArchiveFolder = "cifar-10-batches-bin";

    /// <summary>The five training batch files, in the order their records are concatenated.</summary>
    public static IReadOnlyList<string> TrainFiles { get; } =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>The test batch file.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>The directory holding the batch files: <paramref name="directory"/> itself when it holds a
    /// <c>data_batch_*.bin</c> file, else its <see cref="ArchiveFolder"/> subfolder when that does; null otherwise.</summary>
    public static string? FindDirectory(string directory)
    {
        foreach (var candidate in new[] { directory, System.IO.Path.Combine(directory, ArchiveFolder) })
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "data_batch_*.bin").Any())
                return candidate;
        return null;
    }

    /// <summary>One split: images (N, 3, 32, 32) as float32 in [0, 1] and labels (N) as int64. The training split
    /// concatenates <see cref="TrainFiles"/> in order (50000 images); the test split is <see cref="TestFile"/>
    /// (10000). <paramref name="directory"/> may also be the parent of <see cref="ArchiveFolder"/>.
    /// The caller owns both tensors.</summary>
    /// <exception cref="DataFormatException">A batch file is missing, truncated (its size is not a whole number of
    /// records) or holds a label above 9. The message names the file.</exception>
    public static (Tensor Images, Tensor Labels) Load(string directory, bool train)
    {
        var folder = FindDirectory(directory) ?? directory;
        var files = train ? TrainFiles : [TestFile];
        var parts = files.Select(name => ReadRecords(System.IO.Path.Combine(folder, name))).ToList();
        var count = parts.Sum(p => p.Labels.Length);
        var pixels = new byte[(long)count * ImageBytes];
        var labels = new byte[count];
        var offset = 0;
        foreach (var part in parts)
        {
            part.Pixels.CopyTo(pixels, (long)offset * ImageBytes);
            part.Labels.CopyTo(labels, offset);
            offset += part.Labels.Length;
        }
        return ToTensors(pixels, labels);
    }

    /// <summary>A single batch file as images (N, 3, 32, 32) float32 in [0, 1] and labels (N) int64. The caller owns both tensors.</summary>
    /// <exception cref="DataFormatException">The file is missing, truncated or holds a label above 9.</exception>
    public static (Tensor Images, Tensor Labels) ReadBatch(string path)
    {
        var (pixels, labels) = ReadRecords(path);
        return ToTensors(pixels, labels);
    }

    /// <summary>Splits a batch file into its pixel bytes (N × 3072) and label bytes (N), validating it.</summary>
    private static (byte[] Pixels, byte[] Labels) ReadRecords(string path)
    {
        if (!File.Exists(path))
            throw new DataFormatException(path, $"file not found; a CIFAR-10 binary directory holds {string.Join(", ", TrainFiles)} and {TestFile}");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new DataFormatException(path, "empty file: no CIFAR-10 records");
        if (bytes.Length % RecordBytes != 0)
            throw new DataFormatException(path,
                $"truncated: {bytes.Length} bytes is not a whole number of {RecordBytes}-byte records (1 label byte + {ImageBytes} pixel bytes); " +
                $"the last record has only {bytes.Length % RecordBytes} bytes");
        var count = bytes.Length / RecordBytes;
        var pixels = new byte[(long)count * ImageBytes];
        var labels = new byte[count];
        for (var i = 0; i < count; i++)
        {
            var label = bytes[(long)i * RecordBytes];
            if (label >= ClassCount)
                throw new DataFormatException(path, $"record {i} has label {label}, outside 0..{ClassCount - 1}");
            labels[i] = label;
            Array.Copy(bytes, (long)i * RecordBytes + 1, pixels, (long)i * ImageBytes, ImageBytes);
        }
        return (pixels, labels);
    }

    private static (Tensor Images, Tensor Labels) ToTensors(byte[] pixels, byte[] labels)
    {
        TorchRuntime.Ensure();
        using var scope = NewDisposeScope();
        var raw = tensor(pixels, [labels.Length, Channels, Side, Side]);
        var images = raw.to(ScalarType.Float32).div_(255.0);
        var targets = tensor(labels).to(ScalarType.Int64);
        return (images.DetachFromDisposeScope(), targets.DetachFromDisposeScope());
    }
}
