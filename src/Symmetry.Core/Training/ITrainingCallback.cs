namespace Symmetry.Core.Training;

/// <summary>Extends the training loop (design rule 9: callbacks, not experiment-specific branches). Every method has
/// a no-op default.</summary>
public interface ITrainingCallback
{
    /// <summary>After each optimizer step.</summary>
    void OnStep(Trainer trainer, double loss) { }

    /// <summary>After each evaluation.</summary>
    void OnEvaluation(Trainer trainer, TrainingMetrics metrics) { }

    /// <summary>After each epoch (and its evaluation and checkpoint).</summary>
    void OnEpochEnd(Trainer trainer, int epoch) { }

    /// <summary>Asked after each evaluation; true ends training early.</summary>
    bool ShouldStop(Trainer trainer) => false;
}
