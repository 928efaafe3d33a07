using Symmetry.Core.Models;
using Symmetry.Torch;
using TorchSharp.Modules;

namespace Symmetry.Core.Training.Batched;

/// <summary>One dense layer of an <see cref="MlpLayout"/>: <c>y = x·Wᵀ + b</c>, then ReLU when <see cref="Relu"/>.</summary>
/// <param name="WeightName">The weight's parameter name, e.g. <c>layers.1.weight</c>.</param>
/// <param name="BiasName">The bias's parameter name, or null for a layer without bias.</param>
/// <param name="In">Input features.</param>
/// <param name="Out">Output features.</param>
/// <param name="Relu">A ReLU follows the layer.</param>
public sealed record DenseLayer(string WeightName, string? BiasName, long In, long Out, bool Relu);

/// <summary>
/// The shape of a zoo MLP as the batched trainer computes it, read from the built model's modules: Flatten, then
/// Linear layers each optionally followed by ReLU, with Dropout(0) (the identity) allowed anywhere. Anything else —
/// dropout with p &gt; 0 (its draws cannot be matched per network), BatchNorm, convolutions — has no layout, and such a
/// model trains sequentially.
/// </summary>
public sealed record MlpLayout(IReadOnlyList<DenseLayer> Layers)
{
    /// <summary>A text that is equal for two models exactly when they can be stacked together.</summary>
    public string Signature => string.Join(" ", Layers.Select(l => $"{l.In}>{l.Out}{(l.BiasName is null ? "" : "+b")}{(l.Relu ? "r" : "")}"));

    /// <summary>The layout of <paramref name="model"/>, or null (with the reason) when it cannot be batched.</summary>
    public static MlpLayout? Of(ZooModel model, out string reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = new List<DenseLayer>();
        var flattened = false;
        foreach (var (name, module) in model.Layers.named_children())
        {
            switch (module)
            {
                case Flatten when !flattened && layers.Count == 0:
                    flattened = true;
                    break;
                case Linear linear when flattened:
                    var prefix = $"layers.{name}.";
                    layers.Add(new(prefix + "weight", linear.bias is null ? null : prefix + "bias", linear.in_features, linear.out_features, false));
                    break;
                case ReLU when layers.Count > 0 && !layers[^1].Relu:
                    layers[^1] = layers[^1] with { Relu = true };
                    break;
                case SeededDropout { P: 0 }:
                    break;
                default:
                    reason = $"layer {name} ({module.GetType().Name}) is not part of a stackable MLP (Flatten, Linear, ReLU, Dropout(0))";
                    return null;
            }
        }
        if (layers.Count == 0)
        {
            reason = "the model has no Linear layer";
            return null;
        }
        reason = "";
        return new MlpLayout(layers);
    }
}
