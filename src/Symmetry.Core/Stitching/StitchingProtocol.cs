namespace Symmetry.Core.Stitching;

/// <summary>How the stitched accuracy of a run is chosen among its evaluations (ALGORITHMS §3).</summary>
public enum PenaltySelection
{
    /// <summary>Ours: the stitcher trains on 80 % of the training set; the epoch with the best accuracy on the held-out
    /// 20 % is kept, and its test accuracy reported.</summary>
    Validation,

    /// <summary>The original (plotting.py 126–153): the stitcher trains on the whole training set and the stitched
    /// accuracy is the best test accuracy over epochs and phases (model selection on the test set).</summary>
    Test,
}

/// <summary>
/// How a stitcher is trained and evaluated (ALGORITHMS §3, pnnl/modelsym cifar10_stitching.py and train.py): plain
/// SGD without momentum on the stitcher's parameters only, coupled weight decay on its
/// <see cref="Stitcher.DecayedParameters"/>, one or two phases (the Birkhoff stitcher trains without its diagonal in
/// phase 1), each phase a fresh optimizer that ends by loading its best epoch's state. After every epoch: optionally
/// save the whole state, refresh A's and B's BatchNorm statistics with a no-grad pass over the training data in
/// training mode through the evaluated (rounded) stitcher, evaluate, and restore the saved state (the refresh serves
/// that evaluation only). Each default is stated once, here; the named protocols are <see cref="StitchingPreset"/>s.
/// </summary>
public sealed record StitchingProtocol
{
    /// <summary>1 or 2 phases.</summary>
    public int Phases { get; init; } = 1;

    /// <summary>Epochs in each phase (the original's stitch_epochs / 2 with two phases).</summary>
    public int EpochsPerPhase { get; init; } = 20;

    /// <summary>SGD learning rate of phase 1.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Phase 2's rate is phase 1's times this (the original: 1/16 with its schedule, else 1).</summary>
    public double SecondPhaseFactor { get; init; } = 1;

    /// <summary>StepLR within each phase: ×0.5 every max(1, ⌊epochs / 4⌋) epochs (the original's default); off: constant.</summary>
    public bool StepSchedule { get; init; }

    /// <summary>Coupled L2 weight decay on the stitcher's decayed parameters.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Training batch size.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Refresh BatchNorm statistics before each evaluation, then restore the state (the original's bn_epoch).</summary>
    public bool RefreshBatchNorm { get; init; }

    /// <summary>A's and B's BatchNorm mode while the stitcher trains.</summary>
    public StitchingBatchNorm BatchNorm { get; init; } = StitchingBatchNorm.TrainModeBn;

    /// <summary>How the stitched accuracy is chosen.</summary>
    public PenaltySelection Selection { get; init; } = PenaltySelection.Validation;

    /// <summary>The share of the training set held out for <see cref="PenaltySelection.Validation"/>.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Train the stitcher on at most this many (shuffled) training images, the validation split cut in
    /// proportion (null: all); a budget knob for CPU reproductions, not part of the original protocol.</summary>
    public long? TrainSamples { get; init; }

    /// <summary>This protocol with the given fields replaced (null: kept), for script flags (F# cannot copy C# records).</summary>
    public StitchingProtocol Override(int? epochsPerPhase = null, PenaltySelection? selection = null, StitchingBatchNorm? batchNorm = null,
        long? trainSamples = null) =>
        this with
        {
            EpochsPerPhase = epochsPerPhase ?? EpochsPerPhase, Selection = selection ?? Selection, BatchNorm = batchNorm ?? BatchNorm,
            TrainSamples = trainSamples ?? TrainSamples,
        };

    /// <summary>Checks every field; the message names the field and its range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range.</exception>
    public void Validate()
    {
        if (Phases is < 1 or > 2) throw new ArgumentOutOfRangeException(nameof(Phases), Phases, $"stitching has 1 or 2 phases, got {Phases}");
        if (EpochsPerPhase < 1) throw new ArgumentOutOfRangeException(nameof(EpochsPerPhase), EpochsPerPhase, $"epochs per phase must be ≥ 1, got {EpochsPerPhase}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, $"the learning rate must be a finite number > 0, got {LearningRate}");
        if (!(SecondPhaseFactor > 0) || double.IsInfinity(SecondPhaseFactor)) throw new ArgumentOutOfRangeException(nameof(SecondPhaseFactor), SecondPhaseFactor, $"the second phase's rate factor must be a finite number > 0, got {SecondPhaseFactor}");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, $"weight decay must be a finite number ≥ 0, got {WeightDecay}");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"the batch size must be ≥ 1, got {BatchSize}");
        if (!(ValidationFraction > 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, $"the validation fraction must be in (0, 1), got {ValidationFraction}");
        if (TrainSamples is < 1) throw new ArgumentOutOfRangeException(nameof(TrainSamples), TrainSamples, $"the training sample budget must be ≥ 1, got {TrainSamples}");
    }

    /// <summary>A one-line summary.</summary>
    public string Describe()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var second = Phases == 2 && SecondPhaseFactor != 1 ? string.Create(c, $" (phase 2 ×{SecondPhaseFactor:G3})") : "";
        var refresh = RefreshBatchNorm ? ", BN refresh before each evaluation" : "";
        var budget = TrainSamples is { } n ? string.Create(c, $", {n} training images") : "";
        return string.Create(c, $"{Phases}×{EpochsPerPhase} epochs, SGD lr {LearningRate:G3}{second}, {(StepSchedule ? "StepLR ×0.5" : "no schedule")}, ")
            + string.Create(c, $"wd {WeightDecay:G3}, batch {BatchSize}, {BatchNorm}{refresh}, selection on {Selection.ToString().ToLowerInvariant()}{budget}");
    }
}
