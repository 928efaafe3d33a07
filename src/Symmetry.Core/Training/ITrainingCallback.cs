namespace Symmetry.Core.Training;

/// <summary>Extends the training loop (design rule 9: callbacks, not experiment-specific branches). Every method has
/// a no-op default.</summary>
public interface ITrainingCallback
{
    /// <summary>After each optimizer step, with the step's loss as a 0-d tensor on the training device, valid only
    /// during the call: reading it (<c>loss.item&lt;float&gt;()</c>) is a host sync, so only callbacks that need it pay.</summary>
    void OnStep(Trainer trainer, TorchSharp.torch.Tensor loss) { }

    /// <summary>After each backward pass (and the mask's zeroing of masked gradients), before the optimizer step: the
    /// place to change gradients, e.g. to add a penalty's (<see cref="L2Penalty"/>).</summary>
    void OnGradients(Trainer trainer) { }

    /// <summary>After each evaluation.</summary>
    void OnEvaluation(Trainer trainer, TrainingMetrics metrics) { }

    /// <summary>After each epoch and its evaluation, in list order (a checkpointing callback goes after any callback
    /// that changes the model at epoch ends, such as a pruning schedule).</summary>
    void OnEpochEnd(Trainer trainer, int epoch) { }

    /// <summary>Asked after each evaluation; true ends training early.</summary>
    bool ShouldStop(Trainer trainer) => false;
}
