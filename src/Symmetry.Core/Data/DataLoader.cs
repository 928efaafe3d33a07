using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>
/// Splits a <see cref="TensorDataset"/> into mini-batches, epoch by epoch.
/// </summary>
/// <remarks>
/// <para>With <see cref="Shuffle"/>, the order of epoch e is <c>torch.randperm(N)</c> drawn from a generator seeded with
/// <c>Seeds.Derive(seed, "data-order/epoch-e")</c>: it depends only on (seed, e), so a resumed run sees the same
/// order. Without it (test sets) the order is 0 … N−1. Augmentation, when configured, draws from a generator
/// seeded with <c>Seeds.Derive(seed, "augment/epoch-e")</c>, consumed batch after batch.</para>
/// <para>Each batch (x, y) is created in the dispose scope that is current when the enumeration moves to it, and is
/// released when the enumeration moves on or ends: open a scope in the loop body for the tensors computed from it,
/// and take <c>alias()</c> or <c>clone()</c> of a batch (detached from its scope) to keep it longer.</para>
/// <code>
/// foreach (var (x, y) in loader.Epoch(epoch))
/// {
///     using var scope = torch.NewDisposeScope();
///     var loss = torch.nn.functional.cross_entropy(model.call(x), y);
///     …
/// }
/// </code>
/// </remarks>
public sealed class DataLoader
{
    /// <summary>A loader over <paramref name="dataset"/> (which stays owned by the caller and must outlive the loader's use).</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch (the last batch may be smaller unless <paramref name="dropLast"/>).</param>
    /// <param name="shuffle">Reshuffle every epoch from (seed, epoch); false gives the sequential order 0 … N−1.</param>
    /// <param name="seed">The run's master seed; sub-seeds are derived from it per epoch.</param>
    /// <param name="dropLast">Leave out the last batch when it would be smaller than <paramref name="batchSize"/>.</param>
    /// <param name="augmentation">Random augmentation applied to each image batch; null for none. Crop padding is
    /// black in raw pixels, also when the data set is normalised (see <see cref="Data.Augmentation"/>).</param>
    /// <param name="device">Moves each batch to this device (before augmenting); null keeps the data set's device.</param>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle, ulong seed = 0, bool dropLast = false,
        Augmentation? augmentation = null, Device? device = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        ArgumentNullException.ThrowIfNull(dataset);
        TorchRuntime.Ensure();
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Augmentation = augmentation is { IsIdentity: false } ? augmentation : null;
        Device = device;
    }

    /// <summary>The data set the batches come from.</summary>
    public TensorDataset Dataset { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch has its own random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The master seed the order and augmentation generators are derived from.</summary>
    public ulong Seed { get; }

    /// <summary>Whether a final incomplete batch is left out.</summary>
    public bool DropLast { get; }

    /// <summary>The augmentation applied to images, or null.</summary>
    public Augmentation? Augmentation { get; }

    /// <summary>The device batches are moved to, or null for the data set's device.</summary>
    public Device? Device { get; }

    /// <summary>Number of batches per epoch.</summary>
    public long BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Number of samples an epoch visits (<see cref="TensorDataset.Count"/> unless the last batch is dropped).</summary>
    public long SamplesPerEpoch => DropLast ? BatchCount * BatchSize : Dataset.Count;

    /// <summary>The seed of epoch <paramref name="epoch"/>'s order generator.</summary>
    public static ulong OrderSeed(ulong seed, int epoch) => Seeds.Derive(seed, $"data-order/epoch-{epoch}");

    /// <summary>The seed of epoch <paramref name="epoch"/>'s augmentation generator.</summary>
    public static ulong AugmentSeed(ulong seed, int epoch) => Seeds.Derive(seed, $"augment/epoch-{epoch}");

    /// <summary>The sample indices of epoch <paramref name="epoch"/> in visiting order (all N, including any that
    /// <see cref="DropLast"/> leaves out at the end).</summary>
    public long[] Order(int epoch)
    {
        if (!Shuffle)
        {
            var sequential = new long[Dataset.Count];
            for (var i = 0L; i < sequential.LongLength; i++) sequential[i] = i;
            return sequential;
        }
        using var scope = NewDisposeScope();
        using var generator = Generators.Create(OrderSeed(Seed, epoch));
        return randperm(Dataset.Count, dtype: ScalarType.Int64, generator: generator).data<long>().ToArray();
    }

    /// <summary>The batches (x, y) of epoch <paramref name="epoch"/>: images (B, …) as float and labels (B) as
    /// int64, on <see cref="Device"/>. Each batch lives in the scope current at the step that produced it, and is
    /// released when the enumeration moves on (see the remarks on <see cref="DataLoader"/>).</summary>
    public IEnumerable<(Tensor X, Tensor Y)> Epoch(int epoch)
    {
        var order = Order(epoch);
        var batches = BatchCount;
        using var augmentGenerator = Augmentation is null ? null : Generators.Create(AugmentSeed(Seed, epoch));
        (Tensor X, Tensor Y)? previous = null;
        try
        {
            for (var b = 0L; b < batches; b++)
            {
                Release(previous);
                previous = null;
                var start = b * BatchSize;
                var length = Math.Min(BatchSize, Dataset.Count - start);
                var batch = MakeBatch(order.AsSpan((int)start, (int)length).ToArray(), augmentGenerator);
                previous = batch;
                yield return batch;
            }
        }
        finally
        {
            Release(previous);
        }
    }

    private (Tensor X, Tensor Y) MakeBatch(long[] indices, Generator? augmentGenerator)
    {
        using var scope = NewDisposeScope();
        var index = tensor(indices, device: Dataset.Device);
        var (x, y) = Dataset.Gather(index);
        if (Device is { } device)
        {
            x = x.to(device);
            y = y.to(device);
        }
        if (Augmentation is not null && augmentGenerator is not null) x = Augmentation.Apply(x, augmentGenerator, Dataset.Normalization);
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    private static void Release((Tensor X, Tensor Y)? batch)
    {
        if (batch is not { } b) return;
        b.X.Dispose();
        b.Y.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Dataset.Name}: {BatchCount} batches of {BatchSize}{(Shuffle ? ", shuffled" : ", sequential")}" +
        $"{(DropLast ? ", last dropped" : "")}{(Augmentation is null ? "" : $", augmented ({Augmentation})")}";
}
