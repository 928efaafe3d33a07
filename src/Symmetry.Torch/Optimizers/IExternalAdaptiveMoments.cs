using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch.Optimizers;

/// <summary>One step's scalars of Adam or AdamW, for a caller that applies the update itself.</summary>
/// <param name="Step">t, the step being taken (1 for the first).</param>
/// <param name="LearningRate">The group's current rate (after any schedule).</param>
/// <param name="Beta1">β₁.</param>
/// <param name="Beta2">β₂.</param>
/// <param name="Eps">ε.</param>
/// <param name="WeightDecay">Weight decay.</param>
/// <param name="Decoupled">AdamW's decoupled decay (θ ← θ·(1 − lr·wd) first); else Adam's L2 (g ← g + wd·θ).</param>
public readonly record struct AdaptiveMomentStep(long Step, double LearningRate, double Beta1, double Beta2, double Eps, double WeightDecay, bool Decoupled);

/// <summary>
/// An Adam-family optimizer whose update a caller may apply itself, fused with its own work (the batched trainer's CPU
/// step updates each network's slice while it is in cache), the optimizer still holding the state — moments and step
/// counts — that checkpoints and schedules read.
/// </summary>
public interface IExternalAdaptiveMoments
{
    /// <summary>Counts one step for every parameter, as <c>step()</c> would, and returns its scalars; updates nothing.</summary>
    /// <exception cref="NotSupportedException">More than one parameter group, AMSGrad or maximize.</exception>
    AdaptiveMomentStep CountStep();

    /// <summary>The first and second moment tensors of <paramref name="param"/>.</summary>
    (Tensor ExpAvg, Tensor ExpAvgSq) Moments(Parameter param);
}
