using Symmetry.Torch.NN;

namespace Symmetry.Core.Experiments;

/// <summary>Applies a <see cref="MaskRecipe"/> to a model.</summary>
internal static class ExperimentMasks
{
    internal static void Apply(Module model, MaskRecipe recipe) =>
        throw new NotSupportedException("mask recipes arrive with the mask generators");
}
