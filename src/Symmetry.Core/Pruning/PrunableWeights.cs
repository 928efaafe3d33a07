using Symmetry.Core.Masks;
using TorchSharp;
using TorchSharp.Modules;

namespace Symmetry.Core.Pruning;

/// <summary>The weights pruning acts on: every Linear and Conv2d weight of a model, in definition order. Biases,
/// BatchNorm parameters and buffers are never pruned. Any TorchSharp module works (a zoo model or an
/// <c>nn.Sequential</c> of one's own).</summary>
public static class PrunableWeights
{
    /// <summary>(name, parameter) of every Linear/Conv2d weight; the last one is the output layer. The parameters stay
    /// owned by the model.</summary>
    public static IReadOnlyList<(string Name, Parameter Weight)> Of(torch.nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return PrunableLayers.All(model).Select(l => (l.WeightName, l.Weight)).ToList();
    }
}
