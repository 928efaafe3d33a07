using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>The format of a data directory.</summary>
public enum DataFormat
{
    /// <summary>MNIST-format IDX files (MNIST, Fashion-MNIST).</summary>
    Idx,
    /// <summary>CIFAR-10 binary batches.</summary>
    Cifar10Binary,
}

/// <summary>The training and test splits of one data set, with what a model needs to know about it.
/// Owns both splits.</summary>
public sealed class DataSplits : IDisposable
{
    /// <summary>Bundles two splits; takes ownership of both.</summary>
    public DataSplits(string name, string directory, DataFormat format, TensorDataset train, TensorDataset test, int classCount)
    {
        if (!train.SampleShape.SequenceEqual(test.SampleShape))
            throw new ArgumentException($"{name}: training samples [{string.Join(", ", train.SampleShape)}] and test samples " +
                $"[{string.Join(", ", test.SampleShape)}] differ in shape");
        Name = name;
        Directory = directory;
        Format = format;
        Train = train;
        Test = test;
        ClassCount = classCount;
    }

    /// <summary>The <see cref="DataFingerprint"/> of the files the splits were read from; null for splits made in
    /// memory. It enters run ids and state keys, so changed data never reuses a result.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>The data set's name: <c>fashion-mnist</c>, <c>mnist</c> or <c>cifar10</c>.</summary>
    public string Name { get; }

    /// <summary>The directory the files were read from.</summary>
    public string Directory { get; }

    /// <summary>The file format found there.</summary>
    public DataFormat Format { get; }

    /// <summary>The training split.</summary>
    public TensorDataset Train { get; }

    /// <summary>The test split.</summary>
    public TensorDataset Test { get; }

    /// <summary>The shape of one input, (C, H, W): [1, 28, 28] for MNIST-format data, [3, 32, 32] for CIFAR-10.</summary>
    public long[] InputShape => Train.SampleShape;

    /// <summary>Number of values in one input (C·H·W), the width of a dense network's first layer.</summary>
    public long InputSize => InputShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>Frees both splits.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} ({Directory}): {Train.Count} train / {Test.Count} test, input [{string.Join("×", InputShape)}], {ClassCount} classes";
}

/// <summary>Finds and loads a data set from a directory: the embedded default (Fashion-MNIST), MNIST-format IDX
/// files, or CIFAR-10 binary batches.</summary>
public static class DataSets
{
    /// <summary>
    /// Loads both splits. With <paramref name="path"/> null (no <c>--data</c> argument), Fashion-MNIST from
    /// <see cref="Mnist.FashionMnistDirectory"/>. Otherwise the directory decides: MNIST-format IDX files
    /// (<c>train-images-idx3-ubyte[.gz]</c>) load as MNIST (named <c>fashion-mnist</c> when the directory's name says
    /// so), CIFAR-10 binary batches (<c>data_batch_*.bin</c>, directly or in a <c>cifar-10-batches-bin</c>
    /// subfolder) as CIFAR-10.
    /// </summary>
    /// <param name="path">The data directory, or null for the default.</param>
    /// <param name="normalize">Normalise both splits per channel with the training set's mean and standard deviation.</param>
    /// <param name="device">Where to put the tensors; null keeps them on the CPU.</param>
    /// <exception cref="DataFormatException">The directory does not exist or holds neither format (the message names
    /// the directory and what was looked for), or a file is missing, truncated or malformed (the message names the file).</exception>
    public static DataSplits Load(string? path = null, bool normalize = false, Device? device = null)
    {
        var directory = path ?? Mnist.FashionMnistDirectory;
        var (format, folder) = Detect(directory, isDefault: path is null);
        TorchRuntime.Ensure();
        var name = format == DataFormat.Cifar10Binary ? "cifar10" : IdxName(directory, isDefault: path is null);
        var classCount = format == DataFormat.Cifar10Binary ? Cifar10.ClassCount : Mnist.ClassCount;
        TensorDataset? train = null, test = null;
        try
        {
            train = LoadSplit(format, folder, name, trainSplit: true);
            test = LoadSplit(format, folder, name, trainSplit: false);
            // An empty split would train nothing or evaluate to NaN, and still look like a finished run.
            if (train.Count == 0 || test.Count == 0)
                throw new DataFormatException(folder, $"holds {train.Count} training and {test.Count} test samples: both splits need at least one");
            if (normalize)
            {
                var stats = train.ComputeChannelStats();
                train = Replace(train, train.Normalize(stats));
                test = Replace(test, test.Normalize(stats));
            }
            if (device is { } d && d.type != DeviceType.CPU)
            {
                train = Replace(train, train.To(d));
                test = Replace(test, test.To(d));
            }
            return new DataSplits(name, folder, format, train, test, classCount) { Fingerprint = DataFingerprint.Of(Files(format, folder)) };
        }
        catch
        {
            train?.Dispose();
            test?.Dispose();
            throw;
        }
    }

    /// <summary>Which format <paramref name="directory"/> holds, and the folder with the files (for CIFAR-10 possibly
    /// its <c>cifar-10-batches-bin</c> subfolder).</summary>
    /// <exception cref="DataFormatException">The directory is missing or holds neither format.</exception>
    public static (DataFormat Format, string Folder) Detect(string directory) => Detect(directory, isDefault: false);

    private static (DataFormat Format, string Folder) Detect(string directory, bool isDefault)
    {
        const string expected = "MNIST-format IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, " +
            "t10k-labels-idx1-ubyte, each optionally .gz) or CIFAR-10 binary batches (data_batch_1.bin … data_batch_5.bin and " +
            "test_batch.bin, directly or in a cifar-10-batches-bin subfolder)";
        var hint = isDefault ? ". Install Debian's dataset-fashion-mnist (dotnet fsi build.fsx setup) or pass --data DIR" : "";
        if (!System.IO.Directory.Exists(directory))
            throw new DataFormatException(directory, $"data directory not found; expected a directory holding {expected}{hint}");
        if (Mnist.IsPresent(directory)) return (DataFormat.Idx, directory);
        if (Cifar10.FindDirectory(directory) is { } folder) return (DataFormat.Cifar10Binary, folder);
        throw new DataFormatException(directory, $"no data set found in this directory; expected {expected}{hint}");
    }

    private static string IdxName(string directory, bool isDefault)
    {
        if (isDefault) return "fashion-mnist";
        var leaf = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(directory)));
        return leaf.Contains("fashion", StringComparison.OrdinalIgnoreCase) ? "fashion-mnist" : "mnist";
    }

    /// <summary>The files a data set in <paramref name="format"/> is read from, in a fixed order.</summary>
    private static IEnumerable<string> Files(DataFormat format, string folder) => format == DataFormat.Cifar10Binary
        ? Cifar10.TrainFiles.Append(Cifar10.TestFile).Select(name => System.IO.Path.Combine(folder, name))
        : new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" }
            .Select(name => IdxFile.Locate(folder, name));

    private static TensorDataset LoadSplit(DataFormat format, string folder, string name, bool trainSplit)
    {
        var (images, labels) = format == DataFormat.Cifar10Binary ? Cifar10.Load(folder, trainSplit) : Mnist.Load(folder, trainSplit);
        try
        {
            return new TensorDataset($"{name}/{(trainSplit ? "train" : "test")}", images, labels);
        }
        catch
        {
            images.Dispose();
            labels.Dispose();
            throw;
        }
    }

    private static TensorDataset Replace(TensorDataset old, TensorDataset replacement)
    {
        old.Dispose();
        return replacement;
    }
}
