using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Torch.Optimizers;

/// <summary>The moment update and parameter step Adam and AdamW share, as TorchSharp computes them, with every Scalar
/// held until its call returns.</summary>
internal static class AdaptiveMoments
{
    /// <summary>
    /// exp_avg ← β₁·exp_avg + (1 − β₁)·g; exp_avg_sq ← β₂·exp_avg_sq + (1 − β₂)·g²; θ ← θ − lr/(1 − β₁ᵗ) · exp_avg /
    /// (√v / √(1 − β₂ᵗ) + ε) for t = <c>step</c>, with v = exp_avg_sq, or with AMSGrad its running maximum kept in
    /// <c>amsgrad</c>, the parameter's Adam or AdamW state (null without AMSGrad).
    /// </summary>
    public static void Update(Tensor param, Tensor grad, long step, double beta1, double beta2, double eps, double lr,
        Tensor expAvg, Tensor expAvgSq, object? amsgrad)
    {
        var biasCorrection1 = 1 - Math.Pow(beta1, step);
        var biasCorrection2 = 1 - Math.Pow(beta2, step);
        using (var b1 = beta1.ToScalar())
        using (var oneMinusB1 = (1 - beta1).ToScalar())
            expAvg.mul_(b1).add_(grad, alpha: oneMinusB1);
        using (var b2 = beta2.ToScalar())
        using (var oneMinusB2 = (1 - beta2).ToScalar())
            expAvgSq.mul_(b2).addcmul_(grad, grad, value: oneMinusB2);
        var second = amsgrad switch
        {
            TorchSharp.Modules.Adam.State a => a.max_exp_avg_sq = Maximum(a.max_exp_avg_sq, expAvgSq),
            TorchSharp.Modules.AdamW.State w => w.max_exp_avg_sq = Maximum(w.max_exp_avg_sq, expAvgSq),
            _ => expAvgSq,
        };
        using var root = second.sqrt();
        using var correction = Math.Sqrt(biasCorrection2).ToScalar();
        using var denominator = root.div(correction);
        using (var epsilon = eps.ToScalar()) denominator.add_(epsilon);
        using var stepSize = (-(lr / biasCorrection1)).ToScalar();
        param.addcdiv_(expAvg, denominator, value: stepSize);
    }

    // TorchSharp starts max_exp_avg_sq at zeros; the new maximum replaces it (detached: it outlives the step's scope).
    private static Tensor Maximum(Tensor previous, Tensor expAvgSq)
    {
        var next = torch.maximum(previous, expAvgSq).DetachFromDisposeScope();
        previous.Dispose();
        return next;
    }
}
