using Symmetry.Torch.NN;

namespace Symmetry.Torch.Optim;

/// <summary>Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, as
/// <c>torch.optim.SGD</c>: d = g + λθ; b ← μb + (1 − dampening)d (b = d on the first step); d ← d + μb (Nesterov) or b;
/// θ ← θ − lr·d.</summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double weightDecay = 0,
        bool nesterov = false, double dampening = 0) : base(parameters, learningRate)
    {
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum needs momentum > 0 and zero dampening", nameof(nesterov));
        (Momentum, WeightDecay, Nesterov, Dampening) = (momentum, weightDecay, nesterov, dampening);
    }

    /// <summary>Momentum factor μ.</summary>
    public double Momentum { get; }
    /// <summary>L2 penalty λ.</summary>
    public double WeightDecay { get; }
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }
    /// <summary>Dampening of the momentum.</summary>
    public double Dampening { get; }

    /// <inheritdoc />
    protected override void Update(int index, Tensor value, Tensor grad)
    {
        var d = WeightDecay != 0 ? grad.Add(value, WeightDecay) : grad;
        if (Momentum != 0)
        {
            var first = !HasBuffer(index, "momentum_buffer");
            var buffer = Buffer(index, "momentum_buffer", value);
            if (first) buffer.CopyFrom(d);
            else buffer.MulInPlace(Momentum).AddInPlace(d, 1 - Dampening);
            d = Nesterov ? d.Add(buffer, Momentum) : buffer;
        }
        value.AddInPlace(d, -LearningRate);
    }
}
