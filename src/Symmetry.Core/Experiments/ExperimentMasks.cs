using Symmetry.Core.Masks;
using Symmetry.Torch.NN;

namespace Symmetry.Core.Experiments;

/// <summary>Applies a <see cref="MaskRecipe"/> to a model: draws the mask from the recipe's seed, propagates it when
/// asked, and sets it on the parameters (replacing any earlier mask of those layers).</summary>
internal static class ExperimentMasks
{
    internal static void Apply(Module model, MaskRecipe recipe)
    {
        using var drawn = ModelMasks.Create(model, recipe.MaskType, recipe.Sparsity, recipe.Seed);
        if (!recipe.Propagate)
        {
            drawn.ApplyTo(model);
            return;
        }
        using var propagated = MaskPropagation.Propagate(model, drawn);
        propagated.ApplyTo(model);
    }
}
