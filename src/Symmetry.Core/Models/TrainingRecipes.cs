using Symmetry.Core.Training;

namespace Symmetry.Core.Models;

/// <summary>
/// Named training recipes: the original papers' presets, selectable as a whole (<see cref="Named"/>) and the default
/// of the models they were written for (<see cref="For"/>). Each is stated here once.
/// </summary>
public static class TrainingRecipes
{
    /// <summary>Seed 000's original (rigl weight-symmetry train.py 47–82): AdamW-style decoupled weight decay, lr 0.01,
    /// decay 1e-5, batch 128, 100 epochs, the rate ×0.01 from epoch 50, ×0.001 from 70, ×1e-4 from 90.</summary>
    public static TrainingSettings Seed000 { get; } = new()
    {
        Optimizer = new AdamWSettings { LearningRate = 0.01, WeightDecay = 1e-5 },
        Schedule = new PiecewiseSchedule { Steps = [new(50, 0.01), new(70, 0.001), new(90, 1e-4)] },
        BatchSize = 128,
        Epochs = 100,
    };

    /// <summary>open_lth's LeNet-300-100 on MNIST: SGD lr 0.1, batch 128, 40 epochs, no schedule.</summary>
    public static TrainingSettings OpenLthLenet { get; } = new()
    {
        Optimizer = new SgdSettings { LearningRate = 0.1 },
        BatchSize = 128,
        Epochs = 40,
    };

    /// <summary>MNIST_CNN on Fashion-MNIST (measured in the README: ≥ 0.90): Adam 0.01, batch 64, cosine, 15 epochs.</summary>
    public static TrainingSettings MnistCnn { get; } = new()
    {
        Optimizer = new AdamSettings { LearningRate = 0.01 },
        Schedule = new CosineSchedule(),
        BatchSize = 64,
        Epochs = 15,
    };

    /// <summary>Deconstructing-LT's FC 300-100 (Zhou et al.): Adam 1.2e-3, batch 60, 55 epochs, constant rate.</summary>
    public static TrainingSettings DeconstructingFc { get; } = new()
    {
        Optimizer = new AdamSettings { LearningRate = 1.2e-3 },
        BatchSize = 60,
        Epochs = 55,
    };

    /// <summary>The generic default: Adam 1e-3, batch 128, constant rate, 10 epochs.</summary>
    public static TrainingSettings Generic { get; } = new();

    private static readonly Dictionary<string, TrainingSettings> byName = new(StringComparer.Ordinal)
    {
        ["seed-000"] = Seed000,
        ["open-lth-lenet"] = OpenLthLenet,
        ["mnist-cnn"] = MnistCnn,
        ["deconstructing-fc"] = DeconstructingFc,
        ["generic"] = Generic,
    };

    /// <summary>Every recipe name.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. byName.Keys];

    /// <summary>The recipe named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static TrainingSettings Named(string name) =>
        byName.TryGetValue(name, out var recipe)
            ? recipe
            : throw new ArgumentException($"unknown training recipe '{name}'; known recipes: {string.Join(", ", Names)}");

    /// <summary>The recipe a zoo model trains with unless told otherwise.</summary>
    public static TrainingSettings For(string model) => model switch
    {
        "mnist-cnn" => MnistCnn,
        _ => Generic,
    };
}
