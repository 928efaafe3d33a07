using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch.Optimizers;

/// <summary><c>torch.optim.SGD</c> with every Scalar kept alive through its native call (see
/// <see cref="GcSafeAdam"/>); TorchSharp's update otherwise: L2 decay into the gradient, (Nesterov) momentum.</summary>
public sealed class GcSafeSgd(IEnumerable<Parameter> parameters, double lr, double momentum, bool nesterov, double weightDecay)
    : SGD(parameters, lr, momentum, weight_decay: weightDecay, nesterov: nesterov)
{
    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        var momentum = options.momentum!.Value;
        foreach (var param in group.Parameters)
        {
            if (param.grad is not { } grad) continue;
            var state = (State)_state[param.Handle];
            var weightDecay = options.weight_decay!.Value;
            if (weightDecay != 0)
            {
                using var decay = weightDecay.ToScalar();
                grad = grad.add(param, alpha: decay);
            }
            if (momentum != 0)
            {
                using var m = momentum.ToScalar();
                if (state.momentum_buffer is not { } buffer)
                    state.momentum_buffer = buffer = grad.clone().detach().DetachFromDisposeScope();
                else
                {
                    using var keep = (1 - options.dampening!.Value).ToScalar();
                    buffer.mul_(m).add_(grad, alpha: keep);
                }
                grad = options.nesterov!.Value ? grad.add(buffer, alpha: m) : buffer;
            }
            var lr = options.LearningRate!.Value;
            using var alpha = (options.maximize!.Value ? lr : -lr).ToScalar();
            param.add_(grad, alpha: alpha);
        }
    }, closure);
}
