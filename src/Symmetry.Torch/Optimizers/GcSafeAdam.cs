using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch.Optimizers;

/// <summary>
/// <c>torch.optim.Adam</c> with TorchSharp's own update, operation for operation, but every <see cref="Scalar"/> it
/// passes to libtorch held in a <c>using</c> until the call returns. TorchSharp's step converts doubles to Scalars
/// implicitly and drops them at once; a Scalar's finalizer frees its native value, so a garbage collection during the
/// native call can free the value libtorch is reading ("Unknown scalar type", or a wrong number). Seen here in
/// AdamW's <c>mul_</c> under load; TorchSharp PRs 1434 and 1496 (open) are about the same objects. State, options,
/// parameter groups and schedulers are TorchSharp's: checkpoints and learning-rate schedules work unchanged.
/// </summary>
public sealed class GcSafeAdam(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay), IExternalAdaptiveMoments
{
    /// <inheritdoc/>
    public AdaptiveMomentStep CountStep()
    {
        if (_parameter_groups.Count != 1) throw new NotSupportedException($"an external step takes one parameter group, not {_parameter_groups.Count}");
        var group = _parameter_groups[0];
        var options = (Options)group.Options;
        if (options.amsgrad!.Value || options.maximize!.Value) throw new NotSupportedException("an external step takes neither AMSGrad nor maximize");
        long step = 0;
        foreach (var param in group.Parameters) step = ++((State)_state[param.Handle]).step;
        return new AdaptiveMomentStep(step, options.LearningRate!.Value, options.beta1!.Value, options.beta2!.Value, options.eps!.Value,
            options.weight_decay!.Value, Decoupled: false);
    }

    /// <inheritdoc/>
    public (Tensor ExpAvg, Tensor ExpAvgSq) Moments(Parameter param)
    {
        var state = (State)_state[param.Handle];
        return (state.exp_avg, state.exp_avg_sq);
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        foreach (var param in group.Parameters)
        {
            if (param.grad is not { } grad) continue;
            var state = (State)_state[param.Handle];
            if (options.maximize!.Value) grad = -grad;
            state.step += 1;
            var weightDecay = options.weight_decay!.Value;
            if (weightDecay != 0)
            {
                using var decay = weightDecay.ToScalar();
                grad = grad.add(param, alpha: decay);
            }
            AdaptiveMoments.Update(param, grad, state.step, options.beta1!.Value, options.beta2!.Value, options.eps!.Value,
                options.LearningRate!.Value, state.exp_avg, state.exp_avg_sq, options.amsgrad!.Value ? state : null);
        }
    }, closure);
}
