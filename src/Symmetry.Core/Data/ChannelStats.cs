using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>Per-channel mean and standard deviation of images (N, C, …), used to normalise them:
/// x' = (x − mean[c]) / std[c].</summary>
/// <param name="Mean">One mean per channel.</param>
/// <param name="Std">One standard deviation per channel; each must be positive.</param>
public sealed record ChannelStats(double[] Mean, double[] Std)
{
    /// <summary>Number of channels.</summary>
    public int Channels => Mean.Length;

    /// <summary>The mean and the population standard deviation (no Bessel correction) of each channel of
    /// <paramref name="images"/> (N, C, …), over all samples and positions. Compute it on the training set only
    /// and apply it to every split.</summary>
    public static ChannelStats Compute(Tensor images)
    {
        if (images.dim() < 2) throw new ArgumentException($"images need a channel dimension (N, C, …); got rank {images.dim()}", nameof(images));
        using var scope = NewDisposeScope();
        // One channel at a time: libtorch reduces a whole (strided) channel several times faster than it reduces over
        // dimensions (0, 2, 3) at once. Its cascade sums and Welford variance keep float32 accurate: no float64 copy.
        var channels = images.size(1);
        var mean = new double[channels];
        var std = new double[channels];
        for (var c = 0; c < channels; c++)
        {
            var channel = images.select(1, c);
            mean[c] = channel.mean().ToDouble();
            std[c] = channel.std(unbiased: false).ToDouble();
        }
        return new ChannelStats(mean, std);
    }

    /// <summary>Checks that there is one positive standard deviation per mean.</summary>
    /// <exception cref="ArgumentException">The lengths differ or a standard deviation is not positive.</exception>
    public void Validate()
    {
        if (Mean.Length == 0 || Mean.Length != Std.Length)
            throw new ArgumentException($"channel statistics need one mean and one std per channel; got {Mean.Length} means and {Std.Length} stds");
        for (var c = 0; c < Std.Length; c++)
            if (!(Std[c] > 0) || !double.IsFinite(Std[c]) || !double.IsFinite(Mean[c]))
                throw new ArgumentException($"channel {c}: mean {Mean[c]} and std {Std[c]} cannot normalise (std must be positive and finite)");
    }

    /// <summary>(<paramref name="images"/> − mean) / std per channel, as a new tensor in the current dispose scope.</summary>
    public Tensor Apply(Tensor images)
    {
        Validate();
        var shape = images.shape;
        if (shape.Length < 2 || shape[1] != Channels)
            throw new ArgumentException($"images of shape [{string.Join(", ", shape)}] do not have {Channels} channels in dimension 1", nameof(images));
        using var scope = NewDisposeScope();
        var broadcast = new long[shape.Length];
        Array.Fill(broadcast, 1L);
        broadcast[1] = Channels;
        var mean = tensor(Mean, broadcast, device: images.device).to(images.dtype);
        var std = tensor(Std, broadcast, device: images.device).to(images.dtype);
        return (images - mean).div_(std).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"mean [{string.Join(", ", Mean.Select(m => m.ToString("G6")))}], std [{string.Join(", ", Std.Select(s => s.ToString("G6")))}]";
}
