using Symmetry.Core.Models;
using Symmetry.Core.Training;

namespace Symmetry.Core.Experiments.Zoo;

/// <summary>
/// Named recipes a <see cref="SeedZoo"/> trains its members with: the papers' zoo recipes, stated here once, and every
/// <see cref="TrainingRecipes"/> preset as a plain train recipe. A recipe's <see cref="Recipe.Seed"/> is a placeholder:
/// each member trains with its own seed.
/// </summary>
public static class ZooRecipes
{
    /// <summary>The stitching paper's model zoo (ALGORITHMS §3; pnnl/modelsym zoo.py and train.py): Adam lr 1e-3,
    /// coupled L2 1e-4 on every parameter named <c>weight</c> (BatchNorm γ included), StepLR ×0.5 every 12 epochs
    /// (the original's <c>epochs/4</c>), batch 32, 50 epochs, the best-test epoch kept. The original also augments
    /// CIFAR-10 and trains in mixed precision on a GPU; here there is no augmentation and float32.</summary>
    public static TrainRecipe Modelsym { get; } = new()
    {
        Training = new TrainingSettings
        {
            Optimizer = new AdamSettings { LearningRate = 1e-3 },
            Schedule = new StepDecaySchedule { Every = 12, Gamma = 0.5 },
            BatchSize = 32,
            Epochs = 50,
        },
        WeightDecayOnWeights = 1e-4,
        KeepBestTest = true,
    };

    /// <summary>Git Re-Basin's MLP (ALGORITHMS §6; samuela/git-re-basin mnist_mlp_train.py): Adam lr 1e-3, batch 500,
    /// 100 epochs, constant rate, no weight decay, the final weights kept.</summary>
    public static TrainRecipe GitRebasinMlp { get; } = new()
    {
        Training = new TrainingSettings { Optimizer = new AdamSettings { LearningRate = 1e-3 }, BatchSize = 500, Epochs = 100 },
    };

    /// <summary>The name that means "the model's own training recipe" (<see cref="TrainingRecipes.For"/>).</summary>
    public const string ModelDefault = "model-default";

    private static readonly Dictionary<string, TrainRecipe> byName = new(StringComparer.Ordinal)
    {
        ["modelsym"] = Modelsym,
        ["git-rebasin-mlp"] = GitRebasinMlp,
    };

    /// <summary>Every name <see cref="Named"/> takes: the zoo recipes, <see cref="ModelDefault"/>, then the training
    /// presets.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. byName.Keys, ModelDefault, .. TrainingRecipes.Names];

    /// <summary>The recipe named <paramref name="name"/> for <paramref name="model"/>: a zoo recipe, the model's
    /// default, or a training preset as a plain train recipe.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static TrainRecipe Named(string name, string model)
    {
        if (byName.TryGetValue(name, out var recipe)) return recipe;
        if (name == ModelDefault) return new TrainRecipe { Training = TrainingRecipes.For(model) };
        if (TrainingRecipes.Names.Contains(name)) return new TrainRecipe { Training = TrainingRecipes.Named(name) };
        throw new ArgumentException($"unknown zoo recipe '{name}'; known recipes: {string.Join(", ", Names)}");
    }
}
