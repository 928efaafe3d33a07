using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Training;

namespace Symmetry.Core.Deconstructing;

/// <summary>One deconstructing-LT experiment (ALGORITHMS §4): the network, its dense training, the layer-wise pruning
/// rates, and which criteria and actions to compare. Each default is stated here once (FC 300-100 of the paper:
/// glorot-normal weights, zero biases, Adam 1.2e-3, batch 60; hidden 20% / output 10% per round).</summary>
public sealed record DeconstructingSettings
{
    /// <summary>Zoo model name.</summary>
    public string Model { get; init; } = "lenet-300-100";

    /// <summary>Model config (a plain config asks for the family's defaults; the paper's FC net is glorot-normal).</summary>
    public ModelConfig Config { get; init; } = new(1, 28, 10) { Init = InitScheme.GlorotNormal };

    /// <summary>Seed of θ₀.</summary>
    public ulong InitSeed { get; init; }

    /// <summary>Seed of the data order of every training.</summary>
    public ulong DataSeed { get; init; } = 1;

    /// <summary>Training of the dense network and of every retraining.</summary>
    public TrainingSettings Training { get; init; } = TrainingRecipes.DeconstructingFc;

    /// <summary>Per-round fraction of a hidden layer's remaining weights to remove.</summary>
    public double Fraction { get; init; } = 0.2;

    /// <summary>The output layer's per-round fraction.</summary>
    public double OutputFraction { get; init; } = 0.1;

    /// <summary>The criteria to compare.</summary>
    public IReadOnlyList<KeepCriterion> Criteria { get; init; } = [KeepCriterion.LargeFinal];

    /// <summary>The mask-1 actions to compare (with their rescaling flag).</summary>
    public IReadOnlyList<(MaskOneAction Action, bool Rescale)> MaskOne { get; init; } = [(MaskOneAction.Rewind, false)];

    /// <summary>The mask-0 action of every branch.</summary>
    public MaskZeroAction MaskZero { get; init; } = MaskZeroAction.Zero;

    /// <summary>Pruning levels: the number of compounded rounds k (one-shot to 1 − (1 − p)^k) or IMP rounds.</summary>
    public IReadOnlyList<int> Rounds { get; init; } = [1, 2, 4, 6, 8, 10, 12, 14];

    /// <summary>Data directory (null: the default Fashion-MNIST).</summary>
    public string? Data { get; init; }

    /// <summary>Checks every field before anything runs.</summary>
    /// <exception cref="ArgumentException">A bad field, named.</exception>
    public void Validate()
    {
        if (Fraction is < 0 or > 1 || double.IsNaN(Fraction)) throw new ArgumentException($"fraction must be in [0, 1], got {Fraction}");
        if (OutputFraction is < 0 or > 1 || double.IsNaN(OutputFraction)) throw new ArgumentException($"output fraction must be in [0, 1], got {OutputFraction}");
        if (Rounds.Count == 0 || Rounds.Any(r => r < 1)) throw new ArgumentException("rounds must be a non-empty list of counts ≥ 1");
        if (Criteria.Count == 0) throw new ArgumentException("name at least one criterion");
        if (MaskOne.Count == 0) throw new ArgumentException("name at least one mask-1 action");
        Training.Validate();
        ModelZoo.Configure(Model, Config);
    }
}
