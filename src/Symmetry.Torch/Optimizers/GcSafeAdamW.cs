using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch.Optimizers;

/// <summary><c>torch.optim.AdamW</c> with every Scalar kept alive through its native call (see
/// <see cref="GcSafeAdam"/>); TorchSharp's update otherwise, decoupled weight decay first.</summary>
public sealed class GcSafeAdamW(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
    : AdamW(parameters, lr, beta1, beta2, eps, weightDecay)
{
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
