using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Masks;

/// <summary>Draws the mask of a whole model (ALGORITHMS §1, "mask types").</summary>
public static class ModelMasks
{
    /// <summary>
    /// A mask of <paramref name="type"/> at <paramref name="sparsity"/> for every Linear and Conv2d weight of
    /// <paramref name="model"/> in definition order (biases are never masked), optionally leaving the output layer (the
    /// last Linear/Conv2d in definition order) dense. Each layer draws from its own stream,
    /// <c>Generators.ForPurpose(maskSeed, "mask/{parameter name}")</c>, so a layer's mask depends only on the seed, its
    /// name, shape, type and sparsity — not on the other layers. The masks are float32 CPU tensors. The model is not
    /// changed (see <see cref="ModelMask.ApplyTo"/>, or <c>ZooModel.SetMask</c> to keep the mask through training).
    /// Any TorchSharp module works (a zoo model or an <c>nn.Sequential</c> of one's own).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Sparsity NaN or outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A no-input-ablation mask impossible for a layer (the message names the layer
    /// and the largest sparsity that works); no Linear/Conv2d layer to mask.</exception>
    public static ModelMask Create(nn.Module model, MaskType type, double sparsity, ulong maskSeed, bool excludeOutputLayer = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        MaskSparsity.Validate(sparsity);
        TorchRuntime.Ensure();
        var layers = MaskedLayers(model, excludeOutputLayer);
        var result = new ModelMask();
        try
        {
            foreach (var layer in layers)
            {
                using var scope = NewDisposeScope();
                using var generator = Generators.ForPurpose(maskSeed, StreamLabel(layer.WeightName));
                var mask = LayerMasks.Draw(type, layer.Shape, sparsity, generator, layer.WeightName);
                result.SetOwned(layer.WeightName, mask.DetachFromDisposeScope());
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary><see cref="Create(nn.Module, MaskType, double, ulong, bool)"/> with the type given by name
    /// (<see cref="MaskTypes.Parse"/>).</summary>
    /// <exception cref="ArgumentException">Unknown mask type name (the message lists the known ones), or as the other overload.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Sparsity NaN or outside [0, 1].</exception>
    public static ModelMask Create(nn.Module model, string type, double sparsity, ulong maskSeed, bool excludeOutputLayer = false) =>
        Create(model, MaskTypes.Parse(type), sparsity, maskSeed, excludeOutputLayer);

    /// <summary>The label of a layer's mask stream under the mask seed: <c>mask/{parameter name}</c>.</summary>
    public static string StreamLabel(string parameterName) => $"mask/{parameterName}";

    /// <summary>The layers <see cref="Create(nn.Module, MaskType, double, ulong, bool)"/> masks, in definition order.</summary>
    /// <exception cref="ArgumentException">The model has no Linear or Conv2d layer.</exception>
    public static IReadOnlyList<PrunableLayer> MaskedLayers(nn.Module model, bool excludeOutputLayer = false)
    {
        var layers = PrunableLayers.All(model);
        if (layers.Count == 0) throw new ArgumentException($"{model.GetType().Name} has no Linear or Conv2d layer to mask", nameof(model));
        return excludeOutputLayer ? layers.Take(layers.Count - 1).ToArray() : layers;
    }
}
