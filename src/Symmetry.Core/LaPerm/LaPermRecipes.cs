using Symmetry.Core.Data;
using Symmetry.Core.Experiments;
using Symmetry.Core.Models;
using Symmetry.Core.Training;

namespace Symmetry.Core.LaPerm;

/// <summary>
/// One LaPerm reference run (ALGORITHMS §2's recipe table, from the notebooks): model, training, k, L2, augmentation,
/// the weight-agnostic start where the run has one, and the published top-1 accuracy.
/// </summary>
public sealed record LaPermRecipe
{
    /// <summary>The name <see cref="LaPermRecipes.Named"/> takes.</summary>
    public required string Name { get; init; }
    /// <summary>Zoo model.</summary>
    public required string Model { get; init; }
    /// <summary>The data set the reference run used (ours trains on whatever <c>--data</c> names).</summary>
    public required string ReferenceData { get; init; }
    /// <summary>The inner optimizer (Adam with Keras' ε 1e-7), its schedule, batch size and epochs.</summary>
    public required TrainingSettings Training { get; init; }
    /// <summary>k and what is synchronised.</summary>
    public required LaPermSettings LaPerm { get; init; }
    /// <summary>Keras-style L2 on every layer but the output (0: none).</summary>
    public double L2 { get; init; }
    /// <summary>The reference augmentation (Keras' ImageDataGenerator settings of the notebook). Null: none.</summary>
    public Augmentation? Augmentation { get; init; }
    /// <summary>The weight-agnostic start (F1, F2). Null: the model's own init.</summary>
    public AgnosticizeRecipe? Agnosticize { get; init; }
    /// <summary>The init scheme, when the recipe's differs from the zoo model's own (null: the model's).</summary>
    public InitScheme? Init { get; init; }
    /// <summary>The published top-1 test accuracy (null: not a published run).</summary>
    public double? PublishedAccuracy { get; init; }
    /// <summary>How it departs from the reference (shortened, our choice of k…); empty when it does not.</summary>
    public string Note { get; init; } = "";

    /// <summary>The model config for data of this shape (LaPerm's ResNet-50 is <c>cifar-resnet</c> of depth 50).</summary>
    public ModelConfig ConfigFor(int channels, int imageSize, int classes) => Model switch
    {
        "cifar-resnet" => new ResNetConfig(channels, imageSize, classes) { Depth = 50, Init = Init },
        _ => new ModelConfig(channels, imageSize, classes) { Init = Init },
    };

    /// <summary>A copy with k (a constant period: any schedule is dropped) and/or the epochs replaced; null keeps this
    /// one's. <paramref name="augment"/> false drops the augmentation (for short comparisons).</summary>
    public LaPermRecipe Override(int? syncPeriod = null, int? epochs = null, bool augment = true) => this with
    {
        LaPerm = syncPeriod is { } k ? LaPerm with { SyncPeriod = k, SyncSchedule = null } : LaPerm,
        Training = Training.Override(epochs: epochs),
        Augmentation = augment ? Augmentation : null,
    };

    /// <summary>The train recipe: LaPerm when <paramref name="laPerm"/>, else its inner optimizer alone (the same
    /// training, L2, augmentation and evaluation steps: the sibling to compare with).</summary>
    public TrainRecipe Train(ulong seed, bool laPerm = true, long? evaluateEverySteps = null) => new()
    {
        Seed = seed, Training = Training, LaPerm = laPerm ? LaPerm : null, L2 = L2, Augmentation = Augmentation,
        EvaluateEverySteps = evaluateEverySteps,
    };
}

/// <summary>The LaPerm recipes by name: the reference runs of ALGORITHMS §2 (the notebooks' settings; the seed README's
/// table says k 1200 for Conv7 and 400 for ResNet-50 p = 0, the notebooks 20 and 800) and short variants for CPU runs.</summary>
public static class LaPermRecipes
{
    private static AdamSettings KerasAdam => new() { LearningRate = 1e-3, Eps = 1e-7 };

    /// <summary>Conv7 on MNIST: batch 50, 45 epochs, 1e-3·0.95^epoch, k 20, biases synchronised, rotation 10°, zoom 0.1
    /// and shift 0.1; 99.72%.</summary>
    public static LaPermRecipe Conv7 { get; } = new()
    {
        Name = "conv7", Model = "conv7", ReferenceData = "MNIST",
        Training = new() { Optimizer = KerasAdam, Schedule = new ExponentialSchedule { Gamma = 0.95 }, BatchSize = 50, Epochs = 45 },
        LaPerm = new() { SyncPeriod = 20, SynchroniseBiases = true },
        Augmentation = new() { RotationDegrees = 10, Zoom = 0.1, Shift = 0.1 },
        PublishedAccuracy = 0.9972,
    };

    /// <summary>F1 agnosticized on MNIST: Linear 784→10 without bias, every weight 0.08 kept with probability 4/7;
    /// batch 128, 10 epochs, 1e-3·0.95^epoch, k 250; 85.46%.</summary>
    public static LaPermRecipe F1 { get; } = new()
    {
        Name = "f1", Model = "f1", ReferenceData = "MNIST",
        Training = new() { Optimizer = KerasAdam, Schedule = new ExponentialSchedule { Gamma = 0.95 }, BatchSize = 128, Epochs = 10 },
        LaPerm = new() { SyncPeriod = 250, SynchroniseBiases = true },
        Agnosticize = new() { Value = 0.08, Keep = [new(4, 7)] },
        PublishedAccuracy = 0.8546,
    };

    /// <summary>F2 agnosticized on MNIST: 784→128→64→10 without biases, value 0.03 kept 1/15, 1/7, 1/3; L2 1e-4 on the
    /// hidden layers; batch 128, 25 epochs, 1e-3·0.95^epoch, k 250; 78.14%.</summary>
    public static LaPermRecipe F2 { get; } = new()
    {
        Name = "f2", Model = "f2", ReferenceData = "MNIST",
        Training = new() { Optimizer = KerasAdam, Schedule = new ExponentialSchedule { Gamma = 0.95 }, BatchSize = 128, Epochs = 25 },
        LaPerm = new() { SyncPeriod = 250, SynchroniseBiases = true }, L2 = 1e-4,
        Agnosticize = new() { Value = 0.03, Keep = [new(1, 15), new(1, 7), new(1, 3)] },
        PublishedAccuracy = 0.7814,
    };

    private static LaPermRecipe CifarConv(string name, string model, double published) => new()
    {
        Name = name, Model = model, ReferenceData = "CIFAR-10",
        Training = new() { Optimizer = KerasAdam, Schedule = new StepDecaySchedule { Every = 10, Gamma = 0.6 }, BatchSize = 50, Epochs = 125 },
        LaPerm = new() { SyncPeriod = 1000 }, L2 = 1e-4,
        Augmentation = new(FlipProbability: 0.5) { RotationDegrees = 15, Shift = 0.1 },
        PublishedAccuracy = published,
        Note = "inputs normalised (the original notebook feeds raw 0–255 pixels)",
    };

    /// <summary>Conv2 on CIFAR-10: batch 50, 125 epochs, 1e-3·0.6^(epoch//10), k 1000, L2 1e-4; 78.21%.</summary>
    public static LaPermRecipe Conv2 { get; } = CifarConv("conv2", "laperm-conv2", 0.7821);

    /// <summary>Conv4 on CIFAR-10, as Conv2; 89.17%.</summary>
    public static LaPermRecipe Conv4 { get; } = CifarConv("conv4", "laperm-conv4", 0.8917);

    /// <summary>Conv13 on CIFAR-10, as Conv2; 92.21%.</summary>
    public static LaPermRecipe Conv13 { get; } = CifarConv("conv13", "conv13", 0.9221);

    /// <summary>ResNet-50 (6n+2, n = 8) on CIFAR-10: batch 50, 200 epochs, 1e-3 ×0.1/0.01/0.001/5e-4 after 80/120/160/180,
    /// k 800, L2 1e-4, shift 0.1 and flips; 92.53% (unpruned).</summary>
    public static LaPermRecipe ResNet50 { get; } = new()
    {
        Name = "resnet-50", Model = "cifar-resnet", ReferenceData = "CIFAR-10",
        Training = new()
        {
            Optimizer = KerasAdam, BatchSize = 50, Epochs = 200,
            Schedule = new PiecewiseSchedule { Steps = [new(80, 0.1), new(120, 0.01), new(160, 0.001), new(180, 5e-4)] },
        },
        LaPerm = new() { SyncPeriod = 800 }, L2 = 1e-4,
        Augmentation = new(FlipProbability: 0.5) { Shift = 0.1 },
        PublishedAccuracy = 0.9253,
    };

    /// <summary>LeNet-300-100 (not in the reference table): Conv7's optimizer and schedule at batch 128, 10 epochs, k 20,
    /// Keras' default Dense init (Glorot-uniform weights, zero biases) with the biases left to Adam (the loop's default)
    /// — our choice, for the LaPerm-vs-Adam comparison.</summary>
    public static LaPermRecipe Lenet300100 { get; } = new()
    {
        Name = "lenet-300-100", Model = "lenet-300-100", ReferenceData = "MNIST", Init = InitScheme.GlorotUniform,
        Training = new() { Optimizer = KerasAdam, Schedule = new ExponentialSchedule { Gamma = 0.95 }, BatchSize = 128, Epochs = 10 },
        LaPerm = new() { SyncPeriod = 20 },
        Note = "not a reference run: Keras' Glorot init, k 20 and 10 epochs are our choice",
    };

    /// <summary><see cref="Lenet300100"/> with PyTorch's default init (weights and biases U(±1/√fan_in), half
    /// Glorot's scale) and the biases synchronised too.</summary>
    public static LaPermRecipe Lenet300100PyTorchInit { get; } = Lenet300100 with
    {
        Name = "lenet-300-100-pytorch-init", Init = null, LaPerm = new() { SyncPeriod = 20, SynchroniseBiases = true },
        Note = "not a reference run: PyTorch's default init, biases synced, k 20 and 10 epochs are our choice",
    };

    /// <summary>Conv7 shortened for a CPU: 3 epochs, no augmentation, otherwise as <see cref="Conv7"/>.</summary>
    public static LaPermRecipe Conv7Short { get; } = Conv7 with
    {
        Name = "conv7-short", Training = Conv7.Training with { Epochs = 3 }, Augmentation = null,
        PublishedAccuracy = null, Note = "Conv7 shortened for a CPU: 3 of 45 epochs, no augmentation",
    };

    private static readonly Dictionary<string, LaPermRecipe> byName =
        new[] { Conv7, Conv7Short, F1, F2, Conv2, Conv4, Conv13, ResNet50, Lenet300100, Lenet300100PyTorchInit }.ToDictionary(r => r.Name, StringComparer.Ordinal);

    /// <summary>Every recipe name.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. byName.Keys];

    /// <summary>The recipe named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static LaPermRecipe Named(string name) =>
        byName.TryGetValue(name, out var recipe)
            ? recipe
            : throw new ArgumentException($"unknown LaPerm recipe '{name}'; known recipes: {string.Join(", ", Names)}");
}
