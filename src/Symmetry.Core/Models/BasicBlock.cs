using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Models;

/// <summary>
/// The ResNet v1 basic block (He et al. 2016): y = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)), with 3×3
/// convolutions without bias. The shortcut is the identity, or, when the stride or the channel count changes, a 1×1
/// convolution (no bias) followed by BatchNorm (option B). Children, as in the usual PyTorch CIFAR ResNets:
/// <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c> and, when present, <c>shortcut</c> (<c>shortcut.0</c> the
/// convolution, <c>shortcut.1</c> the BatchNorm).
/// </summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    internal BasicBlock(LayerStack stack, long inChannels, long outChannels, long stride) : base(nameof(BasicBlock))
    {
        (InChannels, OutChannels, Stride) = (inChannels, outChannels, stride);
        // Created (and so initialised) in this order: conv1, conv2, then the shortcut's conv.
        Conv1 = stack.NewConv(inChannels, outChannels, 3, stride, 1, bias: false);
        register_module("conv1", Conv1);
        Bn1 = nn.BatchNorm2d(outChannels);
        register_module("bn1", Bn1);
        Conv2 = stack.NewConv(outChannels, outChannels, 3, 1, 1, bias: false);
        register_module("conv2", Conv2);
        Bn2 = nn.BatchNorm2d(outChannels);
        register_module("bn2", Bn2);
        if (stride != 1 || inChannels != outChannels)
        {
            Shortcut = nn.Sequential(stack.NewConv(inChannels, outChannels, 1, stride, 0, bias: false), nn.BatchNorm2d(outChannels));
            register_module("shortcut", Shortcut);
        }
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Stride of the first convolution (and of the projection shortcut).</summary>
    public long Stride { get; }

    /// <summary>First 3×3 convolution (carries the stride).</summary>
    public Conv2d Conv1 { get; }

    /// <summary>BatchNorm after <see cref="Conv1"/>.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Second 3×3 convolution.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>BatchNorm after <see cref="Conv2"/>, before the addition.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>The projection shortcut (1×1 conv, BatchNorm), or null for the identity.</summary>
    public Sequential? Shortcut { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var body = Bn2.call(Conv2.call(Bn1.call(Conv1.call(input)).relu()));
        var skip = Shortcut is null ? input : Shortcut.call(input);
        return (body + skip).relu().MoveToOuterDisposeScope();
    }
}
