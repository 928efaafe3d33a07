using System.Text.Json.Serialization;
using Symmetry.Core.Data;
using Symmetry.Core.Deconstructing;
using Symmetry.Core.LaPerm;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Training;

namespace Symmetry.Core.Experiments;

/// <summary>How a state is made from its parent. Every field, defaults included, enters the child's content key.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(InitRecipe), "init")]
[JsonDerivedType(typeof(TrainRecipe), "train")]
[JsonDerivedType(typeof(PruneRecipe), "prune")]
[JsonDerivedType(typeof(ReinitRecipe), "reinit")]
[JsonDerivedType(typeof(MaskRecipe), "mask")]
[JsonDerivedType(typeof(RewindRecipe), "rewind")]
[JsonDerivedType(typeof(AgnosticizeRecipe), "agnosticize")]
[JsonDerivedType(typeof(RandomPruneRecipe), "random-prune")]
[JsonDerivedType(typeof(CriterionPruneRecipe), "criterion-prune")]
[JsonDerivedType(typeof(MaskActionRecipe), "mask-action")]
public abstract record Recipe
{
    /// <summary>Seed of the recipe's own random draws (init, data order, mask positions…).</summary>
    public ulong Seed { get; init; }

    /// <summary>A short label for logs and graphs.</summary>
    public abstract string Describe();
}

/// <summary>The root: a freshly initialised model drawn from <see cref="Recipe.Seed"/>.</summary>
public sealed record InitRecipe : Recipe
{
    /// <inheritdoc />
    public override string Describe() => $"init(seed {Seed})";
}

/// <summary>Train with <see cref="Training"/> (cross-entropy; data order from the recipe's seed).</summary>
public sealed record TrainRecipe : Recipe
{
    /// <summary>Optimizer, schedule, batch size and epochs.</summary>
    public TrainingSettings Training { get; init; } = TrainingRecipes.Generic;

    /// <summary>Magnitude pruning during training (seed 000's prune driver): at each step's epoch (0 = before
    /// training) every prunable layer is pruned to the step's sparsity. Null: none.</summary>
    public IReadOnlyList<PruneStep>? PruneSchedule { get; init; }

    /// <summary>Prune as the original code does: only the epoch-0 steps fire (prune.py 115–130 compares epoch
    /// numbers with step boundaries, so it prunes the random init and never again).</summary>
    public bool PruneScheduleOriginal { get; init; }

    /// <summary>The optimizer step training starts at (0: the beginning). Above 0 the parent is taken to stand at this
    /// step of the same schedule: the learning-rate schedule and the data order resume there (the rest of that epoch's
    /// batches, then the following epochs), with a fresh optimizer state, as open_lth retrains from a rewind point.</summary>
    public long StartStep { get; init; }

    /// <summary>The optimizer step training stops at (null: the end of <see cref="TrainingSettings.Epochs"/>); the
    /// state is then the network at that step, e.g. the rewind point k of a dense run.</summary>
    public long? StopStep { get; init; }

    // The fields below are left out of the key while unset, so the keys of states recorded before they existed stand.

    /// <summary>Train by reconnecting: LaPerm around <see cref="Training"/>'s optimizer (ALGORITHMS §2). Null: plain
    /// training.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LaPermSettings? LaPerm { get; init; }

    /// <summary>Keras-style L2 (<see cref="L2Penalty"/>): λ·Σw² on every Linear/Conv2d weight but the output layer's,
    /// added to the loss. 0: none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double L2 { get; init; }

    /// <summary>Evaluate every this many steps instead of at epoch ends (and once more at the end). Null: at epoch
    /// ends, or, under LaPerm, right after the first sync at or past each epoch's worth of steps
    /// (<see cref="LaPermSettings.AlignedEvaluationPeriod"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? EvaluateEverySteps { get; init; }

    /// <summary>Training-set augmentation, drawn from the data-order seed. Null: none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Augmentation? Augmentation { get; init; }

    /// <summary>Coupled L2 weight decay λ on every parameter whose name contains <c>weight</c> (BatchNorm γ included,
    /// biases not; <see cref="NamedWeightDecay"/>), the stitching paper's model-zoo recipe. 0: none (the optimizer's own
    /// <see cref="OptimizerSettings.WeightDecay"/> acts on every parameter).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double WeightDecayOnWeights { get; init; }

    /// <summary>The state is the network at the evaluation with the highest test accuracy (the earliest of equals), not
    /// at the end of training: the model zoo's "best-test epoch kept" (ALGORITHMS §3). Evaluations must fall at epoch
    /// ends, where the run's epoch checkpoints hold the weights.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool KeepBestTest { get; init; }

    /// <summary>A copy with <paramref name="training"/> as its training settings (for F#, which cannot copy a C# record
    /// with <c>with</c>).</summary>
    public TrainRecipe WithTraining(TrainingSettings training) => this with { Training = training };

    /// <inheritdoc />
    public override string Describe() =>
        $"train({Training.Epochs} ep, {(LaPerm is { } l ? $"LaPerm k {l.SyncPeriod} over " : "")}{Training.Optimizer.Name} lr {Training.Optimizer.LearningRate:G3}, seed {Seed}" +
        $"{(StartStep > 0 ? $", from step {StartStep}" : "")}{(StopStep is { } stop ? $", to step {stop}" : "")})";
}

/// <summary>Prune the state's model with <see cref="Strategy"/> (its mask becomes the pruned one).</summary>
public sealed record PruneRecipe : Recipe
{
    /// <summary>How to prune (default: layer-wise by magnitude, 20% of what remains).</summary>
    public PruningStrategy Strategy { get; init; } = new LayerWisePruning();

    /// <inheritdoc />
    public override string Describe() => Strategy.Describe();
}

/// <summary>Re-initialise the kept weights: rewind to an ancestor's values (lottery ticket) or draw afresh.</summary>
public sealed record ReinitRecipe : Recipe
{
    /// <summary><c>rewind</c> (to the root state's weights) or <c>random</c> (fresh draw from <see cref="Recipe.Seed"/>).</summary>
    public string Mode { get; init; } = "rewind";

    /// <inheritdoc />
    public override string Describe() => $"reinit({Mode})";
}

/// <summary>Rewind every parameter and buffer (biases and BatchNorm included) to the state's ancestor at training step
/// <see cref="Step"/>: the root for 0 (θ₀), else the nearest ancestor made by a <see cref="TrainRecipe"/> whose
/// <see cref="TrainRecipe.StopStep"/> is <see cref="Step"/> (the dense run's step-k state). The state's own mask stays
/// and is applied to the rewound weights (open_lth lottery/runner.py 108–120).</summary>
public sealed record RewindRecipe : Recipe
{
    /// <summary>The training step to rewind to.</summary>
    public long Step { get; init; }

    /// <inheritdoc />
    public override string Describe() => $"rewind(step {Step})";
}

/// <summary>Replace the mask by a generated one (ALGORITHMS §1 mask types) at a fixed sparsity.</summary>
public sealed record MaskRecipe : Recipe
{
    /// <summary>Mask type name, e.g. <c>per-neuron</c>.</summary>
    public string MaskType { get; init; } = "random";
    /// <summary>Fraction of zeros.</summary>
    public double Sparsity { get; init; }
    /// <summary>Remove dead units' connections after masking.</summary>
    public bool Propagate { get; init; } = true;

    /// <summary>Mask the output layer too (the original never does).</summary>
    public bool MaskOutputLayer { get; init; }

    /// <summary>Re-initialise the masked layers from each neuron's kept fan-in (sparse-aware init), drawing from this
    /// recipe's seed.</summary>
    public bool SparseInit { get; init; }

    /// <inheritdoc />
    public override string Describe() => $"mask({MaskType} {Sparsity:P0})";
}

/// <summary>LaPerm's weight-agnostic start (<see cref="LaPerm.Agnosticize"/>): every parameter set to
/// <see cref="Value"/>, then kept with probability a/b, drawn from the recipe's seed.</summary>
public sealed record AgnosticizeRecipe : Recipe
{
    /// <summary>The shared value (null keeps each weight's own value).</summary>
    public double? Value { get; init; } = 0.01;

    /// <summary>One ratio for every parameter or one per parameter, in the model's order.</summary>
    public IReadOnlyList<KeepRatio> Keep { get; init; } = [new(1, 4)];

    /// <inheritdoc />
    public override string Describe() => $"agnosticize({Value?.ToString("G3") ?? "own values"}, keep {string.Join(",", Keep)})";
}

/// <summary>LaPerm's random pruning (<see cref="LaPerm.RandomPrune"/>): weights zeroed with probability 1 − keep,
/// drawn from the recipe's seed; no mask.</summary>
public sealed record RandomPruneRecipe : Recipe
{
    /// <summary>The fraction of weights KEPT.</summary>
    public double Keep { get; init; } = 1;

    /// <summary>The first weight tensor keeps max(<see cref="Keep"/>, this).</summary>
    public double InputKeep { get; init; } = LaPerm.RandomPrune.DefaultInputKeep;

    /// <inheritdoc />
    public override string Describe() => $"random-prune(keep {Keep:P0})";
}

/// <summary>Deconstructing-LT pruning (<see cref="CriterionPruning"/>): the state's mask pruned by a keep criterion of
/// w_i (the ancestor at training step <see cref="Step"/>, θ₀ for 0) and w_f (this state's weights), layer-wise,
/// ⌊(1 − (1 − p)^rounds)·remaining⌋ per layer; ties and the random criterion drawn from the recipe's seed.</summary>
public sealed record CriterionPruneRecipe : Recipe
{
    /// <summary>The keep score.</summary>
    public KeepCriterion Criterion { get; init; } = KeepCriterion.LargeFinal;

    /// <summary>Per-round fraction of a hidden layer's remaining weights to remove (deconstructing-LT FC: 20%).</summary>
    public double Fraction { get; init; } = 0.2;

    /// <summary>The output layer's (deconstructing-LT FC: 10%; null: <see cref="Fraction"/>).</summary>
    public double? OutputFraction { get; init; } = 0.1;

    /// <summary>Conv layers' (null: <see cref="Fraction"/>).</summary>
    public double? ConvFraction { get; init; }

    /// <summary>Rounds compounded into this one pruning (the original's <c>prune_power</c>).</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>The training step w_i is taken at (0: θ₀).</summary>
    public long Step { get; init; }

    /// <inheritdoc />
    public override string Describe() => $"prune({KeepCriteria.Name(Criterion)}, {Fraction:P0}{(OutputFraction is { } o ? $", out {o:P0}" : "")}{(Rounds != 1 ? $", ×{Rounds}" : "")})";
}

/// <summary>Deconstructing-LT's mask actions on a pruned state: the kept weights start from <see cref="MaskOne"/> of
/// w_i (the ancestor at training step <see cref="Step"/>), the pruned ones are held at <see cref="MaskZero"/>'s values
/// (<see cref="Models.ZooModel.SetFrozen"/>) through training; every other parameter and buffer is rewound to w_i's
/// state. Shuffles drawn from the recipe's seed.</summary>
public sealed record MaskActionRecipe : Recipe
{
    /// <summary>What the kept weights start from.</summary>
    public MaskOneAction MaskOne { get; init; } = MaskOneAction.Rewind;

    /// <summary>Multiply the kept weights by size / kept (the <c>_rescaling</c> variants).</summary>
    public bool Rescaling { get; init; }

    /// <summary>What the pruned weights are held at.</summary>
    public MaskZeroAction MaskZero { get; init; } = MaskZeroAction.Zero;

    /// <summary>The training step w_i is taken at (0: θ₀).</summary>
    public long Step { get; init; }

    /// <inheritdoc />
    public override string Describe() => $"{MaskActions.Name(MaskOne, Rescaling)} / {MaskActions.Name(MaskZero)}";
}
