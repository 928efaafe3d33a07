using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch.Optimizers;

/// <summary><c>torch.optim.AdamW</c> with every Scalar kept alive through its native call (see
/// <see cref="GcSafeAdam"/>); TorchSharp's update otherwise, decoupled weight decay first.</summary>
public sealed class GcSafeAdamW(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
    : AdamW(parameters, lr, beta1, beta2, eps, weightDecay), IExternalAdaptiveMoments
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
            options.weight_decay!.Value, Decoupled: true);
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
            var lr = options.LearningRate!.Value;
            using (var decay = (1 - lr * options.weight_decay!.Value).ToScalar()) param.mul_(decay);
            AdaptiveMoments.Update(param, grad, state.step, options.beta1!.Value, options.beta2!.Value, options.eps!.Value,
                lr, state.exp_avg, state.exp_avg_sq, options.amsgrad!.Value ? state : null);
        }
    }, closure);
}
