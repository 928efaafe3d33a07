using Symmetry.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Masks;

/// <summary>
/// One Linear or Conv2d layer of a model, as masks see it: its weight is viewed as (<see cref="Units"/>,
/// <see cref="FanIn"/>), one row per neuron (output feature or filter).
/// </summary>
/// <param name="WeightName">The weight's parameter name, e.g. <c>layers.1.weight</c>.</param>
/// <param name="Layer">The Linear or Conv2d module (TorchSharp's <see cref="Linear"/> or <see cref="Conv2d"/>).</param>
/// <param name="Shape">The weight's shape: (out, in) or (out, in, kh, kw).</param>
/// <param name="InputBlock">In a chain (<see cref="PrunableLayers.Chain"/>), how many consecutive fan-in positions of
/// this layer each unit of the previous prunable layer feeds: 1 after a Linear or after global pooling, kh·kw after a
/// conv, H·W after the flatten of a C×H×W activation; 0 for the first layer (its inputs are the model's).</param>
public sealed record PrunableLayer(string WeightName, nn.Module Layer, long[] Shape, long InputBlock)
{
    /// <summary>Number of neurons (rows of the (out, L) view): dim 0 of the weight.</summary>
    public long Units => Shape[0];

    /// <summary>Fan-in L of each neuron: the product of the weight's other dimensions.</summary>
    public long FanIn => Shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>Weights in the layer.</summary>
    public long Size => Units * FanIn;

    /// <summary>The layer's weight parameter (owned by the layer).</summary>
    public Parameter Weight => PrunableLayers.WeightOf(Layer)
        ?? throw new InvalidOperationException($"'{WeightName}': {Layer.GetType().Name} is not a Linear or Conv2d layer");
}

/// <summary>Finds the Linear and Conv2d layers of a model, the layers masks apply to. Any TorchSharp module works:
/// a <see cref="ZooModel"/> or a researcher's own <c>nn.Sequential</c>.</summary>
public static class PrunableLayers
{
    /// <summary>
    /// Every Linear and Conv2d layer of <paramref name="model"/> in definition order (any architecture, residual ones
    /// included; <paramref name="model"/> itself when it is one), with <see cref="PrunableLayer.InputBlock"/> 0 (not
    /// worked out).
    /// </summary>
    public static IReadOnlyList<PrunableLayer> All(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = new List<PrunableLayer>();
        foreach (var (name, module) in ModuleTree.Modules(model))
        {
            if (WeightOf(module) is not { } weight) continue;
            result.Add(new PrunableLayer(ModuleTree.Join(name, "weight"), module, weight.shape, 0));
        }
        return result;
    }

    /// <summary>The weight of a Linear or Conv2d module, else null.</summary>
    internal static Parameter? WeightOf(nn.Module module) => module switch
    {
        Linear linear => linear.weight,
        Conv2d conv => conv.weight,
        _ => null,
    };

    /// <summary>
    /// The prunable layers of a model that is a plain chain (a <see cref="ZooModel"/> other than the ResNets, or any
    /// module whose children run in definition order, such as an <c>nn.Sequential</c>), each with the block of its
    /// fan-in that one unit of the previous layer feeds. The layers between two prunable layers must act per unit or
    /// per channel (ReLU, BatchNorm, dropout, pooling, flatten): unit u of a layer with C units then feeds positions
    /// [u·b, (u+1)·b) of the next layer's fan-in, b = L_next / C — one column after a Linear or a global pool, the
    /// kh×kw slice of input channel u in a following conv, the H·W columns of channel u after a flatten of C×H×W.
    /// </summary>
    /// <exception cref="NotSupportedException">A residual or branching model (<see cref="Residual"/>,
    /// <see cref="BasicBlock"/>), a grouped convolution, a conv after a Linear, or consecutive layers whose sizes do not
    /// chain; the message names the layers.</exception>
    public static IReadOnlyList<PrunableLayer> Chain(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (name, module) in ModuleTree.Modules(model))
        {
            if (module is Residual or BasicBlock)
                throw new NotSupportedException(
                    $"'{(name.Length == 0 ? module.GetType().Name : name)}' is a residual block ({module.GetType().Name}): mask propagation and " +
                    "permutation statistics need a plain chain of layers, and residual (branching) models are not supported");
            if (module is Conv2d { groups: not 1 } grouped)
                throw new NotSupportedException($"'{name}' is a grouped convolution (groups = {grouped.groups}); only groups = 1 is supported");
        }
        var layers = All(model);
        var chain = new List<PrunableLayer>(layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (i == 0)
            {
                chain.Add(layer);
                continue;
            }
            var previous = layers[i - 1];
            var units = previous.Units;
            long block = layer.Layer switch
            {
                Conv2d when previous.Layer is Linear =>
                    throw new NotSupportedException($"'{layer.WeightName}' is a convolution after the Linear '{previous.WeightName}'; not supported"),
                Conv2d conv when conv.in_channels != units =>
                    throw new NotSupportedException($"'{layer.WeightName}' takes {conv.in_channels} channels but '{previous.WeightName}' has {units} filters: not a plain chain"),
                Conv2d => layer.Shape[2] * layer.Shape[3],
                Linear linear when previous.Layer is Linear && linear.in_features != units =>
                    throw new NotSupportedException($"'{layer.WeightName}' takes {linear.in_features} features but '{previous.WeightName}' has {units} outputs: not a plain chain"),
                Linear linear when linear.in_features % units != 0 =>
                    throw new NotSupportedException($"'{layer.WeightName}' takes {linear.in_features} features, not a multiple of the {units} channels of '{previous.WeightName}': not a plain chain"),
                Linear linear => linear.in_features / units,
                _ => throw new NotSupportedException($"'{layer.WeightName}': unexpected layer type {layer.Layer.GetType().Name}"),
            };
            chain.Add(layer with { InputBlock = block });
        }
        return chain;
    }
}
