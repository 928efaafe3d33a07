using Symmetry.Core.Training;

namespace Symmetry.Core.Deconstructing;

/// <summary>A trained supermask (deconstructing-LT masked_networks.py 170–239 and train_supermask.py): each default
/// stated here once.</summary>
public sealed record SupermaskSettings
{
    /// <summary>Every logit's initial value (the original's <c>sigmoid_bias</c>; 0 ⇒ keep probability 0.5).</summary>
    public double InitialLogit { get; init; }

    /// <summary>Replace each frozen weight by the whole layer's std × its sign (<c>--signed_constant</c>).</summary>
    public bool SignedConstant { get; init; }

    /// <summary>Multiply each sampled layer by size / Σm on every forward (<c>--dynamic_scaling</c>).</summary>
    public bool DynamicScaling { get; init; }

    /// <summary>The final test accuracy is the mean over this many sampled masks, each held for a whole pass over the
    /// test set (the original evaluates the full test set in one batch, ten times).</summary>
    public int EvaluationSamples { get; init; } = 10;

    /// <summary>Optimisation of the logits: the README's SGD momentum 0.9, lr 100, batch 250; the epochs are ours (the
    /// original gives none).</summary>
    public TrainingSettings Training { get; init; } = new()
    {
        Optimizer = new SgdSettings { LearningRate = 100, Momentum = 0.9 },
        BatchSize = 250,
        Epochs = 10,
    };

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A bad field, named.</exception>
    public void Validate()
    {
        if (!double.IsFinite(InitialLogit)) throw new ArgumentException($"the initial logit must be finite, got {InitialLogit}");
        if (EvaluationSamples < 1) throw new ArgumentException($"evaluation samples must be 1 or more, got {EvaluationSamples}");
        Training.Validate();
    }
}
