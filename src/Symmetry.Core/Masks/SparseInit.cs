using Symmetry.Torch;
using Symmetry.Torch.NN;
using static Symmetry.Torch.Torch;

namespace Symmetry.Core.Masks;

/// <summary>Sparse-aware initialisation (ALGORITHMS §1): each neuron drawn from its fan-in after masking.</summary>
public static class SparseInit
{
    /// <summary>
    /// Re-initialises every masked Linear/Conv2d weight of <paramref name="model"/> with <see cref="Init.SparseFanIn"/>:
    /// Kaiming normal with fan_in = the number of connections the neuron keeps, masked entries and fully masked neurons
    /// zero. The mask is the parameter's own (<see cref="Parameter.Mask"/>) or, when <paramref name="mask"/> is given,
    /// its entry (which is then also set on the parameter, as <see cref="ModelMask.ApplyTo"/>). Layers without a mask
    /// keep their values unless <paramref name="includeDenseLayers"/>, which draws them as Kaiming normal (all kept).
    /// Biases are not touched. Draws come from <paramref name="generator"/> layer by layer in definition order (null:
    /// libtorch's global generator).
    /// </summary>
    /// <returns>The names of the weights re-initialised, in order.</returns>
    /// <exception cref="ArgumentException">A mask entry for a parameter the model does not have, or of another shape.</exception>
    public static IReadOnlyList<string> Apply(Module model, Generator? generator, ModelMask? mask = null,
        bool includeDenseLayers = false, double negativeSlope = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        mask?.ApplyTo(model);
        var done = new List<string>();
        foreach (var layer in PrunableLayers.All(model))
        {
            var weight = layer.Layer switch
            {
                Linear linear => linear.Weight,
                Conv2d conv => conv.Weight,
                _ => throw new InvalidOperationException("unexpected layer (internal error)"),
            };
            using var scope = NewScope();
            var layerMask = weight.Mask ?? (includeDenseLayers ? OnesLike(weight.Value) : null);
            if (layerMask is null) continue;
            Init.SparseFanIn(weight.Value, layerMask, generator, negativeSlope);
            weight.ApplyMask();
            done.Add(layer.WeightName);
        }
        return done;
    }
}
