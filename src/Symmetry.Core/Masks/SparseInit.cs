using Symmetry.Core.Models;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Masks;

/// <summary>Sparse-aware initialisation (ALGORITHMS §1): each neuron drawn from its fan-in after masking.</summary>
public static class SparseInit
{
    /// <summary>
    /// Re-initialises every masked Linear/Conv2d weight of <paramref name="model"/> with
    /// <see cref="SeededInit.SparseFanIn"/>: Kaiming normal with fan_in = the number of connections the neuron keeps,
    /// masked entries and fully masked neurons zero. The mask is <paramref name="mask"/> or, when it is null, the one
    /// the model holds (<see cref="ZooModel.Mask"/>; none for other modules). The mask is first applied
    /// (<see cref="ModelMask.ApplyTo"/>: every entry is checked and its masked weights zeroed) and applied again after
    /// the draws; it is not stored on the model (use <c>ZooModel.SetMask</c> to keep it through training). Layers
    /// without a mask entry keep their values unless <paramref name="includeDenseLayers"/>, which draws them as
    /// Kaiming normal (all kept). Biases are not touched. Draws come from <paramref name="generator"/> layer by layer
    /// in definition order (null: libtorch's global generator). Any TorchSharp module works (a zoo model or an
    /// <c>nn.Sequential</c> of one's own).
    /// </summary>
    /// <returns>The names of the weights re-initialised, in order.</returns>
    /// <exception cref="ArgumentException">A mask entry for a parameter the model does not have, or of another shape.</exception>
    public static IReadOnlyList<string> Apply(nn.Module model, Generator? generator, ModelMask? mask = null,
        bool includeDenseLayers = false, double negativeSlope = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.Ensure();
        mask ??= (model as ZooModel)?.Mask;
        mask?.ApplyTo(model);
        var done = new List<string>();
        foreach (var layer in PrunableLayers.All(model))
        {
            var weight = layer.Weight;
            using var scope = NewDisposeScope();
            Tensor? layerMask = mask is not null && mask.TryGet(layer.WeightName, out var entry)
                ? entry.to(weight.dtype, weight.device)
                : includeDenseLayers ? ones_like(weight) : null;
            if (layerMask is null) continue;
            SeededInit.SparseFanIn(weight, layerMask, generator, negativeSlope);
            done.Add(layer.WeightName);
        }
        mask?.ApplyTo(model);
        return done;
    }
}
