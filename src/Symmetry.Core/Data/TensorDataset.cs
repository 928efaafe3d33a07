using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>
/// An in-memory data set: images (N, …) and int64 labels (N) held as two tensors that this object owns and frees
/// on <see cref="Dispose"/>. Operations that change the data (<see cref="Normalize(ChannelStats)"/>,
/// <see cref="To(Device)"/>, <see cref="Take"/>) return a new data set and leave this one as it is.
/// </summary>
public sealed class TensorDataset : IDisposable
{
    /// <summary>A data set named <paramref name="name"/> that takes ownership of <paramref name="images"/>
    /// (N, …) and <paramref name="labels"/> (N): both are detached from their dispose scope and freed with the data set.</summary>
    /// <exception cref="ArgumentException">The labels are not a vector of int64 with one entry per image.</exception>
    public TensorDataset(string name, Tensor images, Tensor labels, ChannelStats? normalization = null)
    {
        var imageShape = images.shape;
        var labelShape = labels.shape;
        if (imageShape.Length < 1) throw new ArgumentException("images need a sample dimension (N, …)", nameof(images));
        if (labelShape.Length != 1 || labelShape[0] != imageShape[0])
            throw new ArgumentException($"{name}: labels of shape [{string.Join(", ", labelShape)}] do not match {imageShape[0]} images", nameof(labels));
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"{name}: labels must be int64 (class indices), not {labels.dtype}", nameof(labels));
        Name = name;
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        Normalization = normalization;
        Count = imageShape[0];
        SampleShape = imageShape[1..];
    }

    /// <summary>A short name, e.g. <c>fashion-mnist/train</c>.</summary>
    public string Name { get; }

    /// <summary>All images (N, …), e.g. (N, C, H, W). Owned by the data set: do not dispose.</summary>
    public Tensor Images { get; }

    /// <summary>All labels (N) as int64. Owned by the data set: do not dispose.</summary>
    public Tensor Labels { get; }

    /// <summary>Number of samples N.</summary>
    public long Count { get; }

    /// <summary>The shape of one sample, e.g. [C, H, W].</summary>
    public long[] SampleShape { get; }

    /// <summary>The shape of <see cref="Images"/>: N followed by <see cref="SampleShape"/>.</summary>
    public long[] ImageShape => [Count, .. SampleShape];

    /// <summary>The statistics the images were normalised with, or null when they are raw.</summary>
    public ChannelStats? Normalization { get; }

    /// <summary>Where the tensors live.</summary>
    public Device Device => Images.device;

    /// <summary>Per-channel mean and standard deviation of the images (channel = dimension 1).</summary>
    public ChannelStats ComputeChannelStats() => ChannelStats.Compute(Images);

    /// <summary>A new data set with images normalised per channel by <paramref name="stats"/> (for example the
    /// statistics of the training set, applied to both splits). The labels are copied; this data set is unchanged.</summary>
    /// <exception cref="ArgumentException">The channel count differs or a standard deviation is not positive.</exception>
    public TensorDataset Normalize(ChannelStats stats)
    {
        using var scope = NewDisposeScope();
        return new TensorDataset(Name, stats.Apply(Images), Labels.clone(), stats);
    }

    /// <summary>A new data set normalised by its own per-channel statistics (see <see cref="ComputeChannelStats"/>).</summary>
    public TensorDataset Normalize() => Normalize(ComputeChannelStats());

    /// <summary>A copy on <paramref name="device"/>.</summary>
    public TensorDataset To(Device device)
    {
        using var scope = NewDisposeScope();
        return new TensorDataset(Name, Images.to(device).clone(), Labels.to(device).clone(), Normalization);
    }

    /// <summary>A copy of the first <paramref name="count"/> samples (all of them when there are fewer).</summary>
    public TensorDataset Take(long count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "sample count cannot be negative");
        using var scope = NewDisposeScope();
        var n = Math.Min(count, Count);
        return new TensorDataset(Name, Images.narrow(0, 0, n).clone(), Labels.narrow(0, 0, n).clone(), Normalization);
    }

    /// <summary>Copies of the samples at <paramref name="indices"/> (int64, on <see cref="Device"/>), created in the
    /// current dispose scope.</summary>
    public (Tensor Images, Tensor Labels) Gather(Tensor indices) => (Images.index_select(0, indices), Labels.index_select(0, indices));

    /// <summary>Frees the images and labels.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {Count} samples of [{string.Join(", ", SampleShape)}] on {Device}{(Normalization is null ? "" : ", normalised")}";
}
