using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>What a convolution's kernel choice depends on: channels, kernel, stride, padding, dilation, groups.</summary>
public sealed record ConvShape(long InChannels, long OutChannels, long[] Kernel, long[] Stride, long[] Padding, long[] Dilation, long Groups)
{
    /// <summary>The shape of a TorchSharp 2-D convolution module.</summary>
    /// <exception cref="NotSupportedException">Not a 2-D, non-transposed convolution.</exception>
    public static ConvShape Of(Convolution conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        if (conv.kernel_size.Length != 2 || conv.transposed)
            throw new NotSupportedException($"{nameof(ConvGradientGuard)} probes 2-D convolutions; got a {conv.kernel_size.Length}-D{(conv.transposed ? " transposed" : "")} one");
        var padding = conv.padding_type switch
        {
            TorchSharp.Padding.Valid => [0L, 0L],
            TorchSharp.Padding.Same => conv.kernel_size.Select((k, i) => (k - 1) * conv.dilation[i] / 2).ToArray(),
            _ => conv.padding ?? [0L, 0L],
        };
        return new ConvShape(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, padding, conv.dilation, conv.groups);
    }

    /// <summary>conv2d of <paramref name="input"/> with <paramref name="weight"/>, no bias (it does not reach the input gradient).</summary>
    public Tensor Apply(Tensor input, Tensor weight) =>
        nn.functional.conv2d(input, weight, strides: Stride, padding: Padding, dilation: Dilation, groups: Groups);

    /// <summary>Two square input sizes, the smallest valid one (at least 4) and a larger odd one.</summary>
    public long[] ProbeSizes()
    {
        var smallest = Enumerable.Range(0, 2).Max(i => Dilation[i] * (Kernel[i] - 1) + 1 - 2 * Padding[i]);
        var size = Math.Max(4, smallest);
        return [size, 2 * size + 3];
    }

    /// <inheritdoc />
    public bool Equals(ConvShape? other) => other is not null && InChannels == other.InChannels && OutChannels == other.OutChannels &&
        Groups == other.Groups && Kernel.SequenceEqual(other.Kernel) && Stride.SequenceEqual(other.Stride) &&
        Padding.SequenceEqual(other.Padding) && Dilation.SequenceEqual(other.Dilation);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(InChannels, OutChannels, Groups, Kernel[0], Kernel[1], Stride[0], Padding[0], Dilation[0]);

    /// <inheritdoc />
    public override string ToString() =>
        $"{InChannels}→{OutChannels} channels, kernel {string.Join("×", Kernel)}, stride {string.Join("×", Stride)}, padding {string.Join("×", Padding)}" +
        (Dilation.Any(d => d != 1) ? $", dilation {string.Join("×", Dilation)}" : "") + (Groups != 1 ? $", {Groups} groups" : "");
}
