using Symmetry.Core.Training;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>The stitcher's part of each training step: its regularization term's gradient and coupled weight decay
/// on its decayed parameters before the optimizer step (the trainer's loss stays the cross-entropy), its projection
/// after it.</summary>
public sealed class StitcherTraining(Stitcher stitcher, double weightDecay) : ITrainingCallback
{
    /// <inheritdoc />
    public void OnGradients(Trainer trainer)
    {
        using var scope = NewDisposeScope();
        stitcher.Regularization()?.backward();
        if (weightDecay == 0) return;
        using var noGrad = no_grad();
        foreach (var parameter in stitcher.DecayedParameters())
            if (parameter.grad is { } grad) grad.add_(parameter.detach(), alpha: weightDecay);
    }

    /// <inheritdoc />
    public void OnStep(Trainer trainer, Tensor loss) => stitcher.Project();
}
