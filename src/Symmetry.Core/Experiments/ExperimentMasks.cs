using Symmetry.Core.Masks;
using Symmetry.Core.Models;

namespace Symmetry.Core.Experiments;

/// <summary>Applies a <see cref="MaskRecipe"/> to a model: draws the mask from the recipe's seed, propagates it when
/// asked, and sets it as the model's mask (its entries replace any earlier mask of those layers; other layers keep
/// theirs).</summary>
internal static class ExperimentMasks
{
    internal static void Apply(ZooModel model, MaskRecipe recipe)
    {
        using var drawn = Draw(model, recipe);
        using var used = recipe.Propagate ? MaskPropagation.Propagate(model, drawn) : drawn.Clone();
        SetMerged(model, used);
        if (recipe.SparseInit)
        {
            using var generator = Symmetry.Torch.Generators.ForPurpose(recipe.Seed, "sparse-init");
            SparseInit.Apply(model, generator, model.Mask);
        }
    }

    /// <summary>The mask the recipe draws, before propagation (the caller owns it).</summary>
    internal static ModelMask Draw(ZooModel model, MaskRecipe recipe) =>
        ModelMasks.Create(model, recipe.MaskType, recipe.Sparsity, recipe.Seed, excludeOutputLayer: !recipe.MaskOutputLayer);

    /// <summary>Sets the model's mask to its current one with <paramref name="entries"/>' layers replaced.</summary>
    internal static void SetMerged(ZooModel model, ModelMask entries)
    {
        using var merged = model.Mask?.Clone() ?? new ModelMask();
        foreach (var (name, mask) in entries) merged.Add(name, mask);
        model.SetMask(merged);
    }
}
