using Symmetry.Torch.NN;

namespace Symmetry.Torch.Optim;

/// <summary>Adam (and AdamW with <c>decoupled</c>), as <c>torch.optim.Adam</c>/<c>AdamW</c>:
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
/// Adam adds λθ to the gradient; AdamW first multiplies θ by (1 − lr·λ).</summary>
public class Adam : Optimizer
{
    private readonly bool decoupled;

    /// <summary>Creates Adam (L2 weight decay in the gradient).</summary>
    public Adam(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0) : this(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false) { }

    /// <summary>Creates Adam or AdamW.</summary>
    protected Adam(IEnumerable<Parameter> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), "betas must be in [0, 1)");
        (Beta1, Beta2, Eps, WeightDecay) = (beta1, beta2, eps, weightDecay);
        this.decoupled = decoupled;
    }

    /// <summary>First-moment decay β₁.</summary>
    public double Beta1 { get; }
    /// <summary>Second-moment decay β₂.</summary>
    public double Beta2 { get; }
    /// <summary>Denominator term ε.</summary>
    public double Eps { get; }
    /// <summary>Weight decay λ.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc />
    protected override void Update(int index, Tensor value, Tensor grad)
    {
        if (WeightDecay != 0)
        {
            if (decoupled) value.MulInPlace(1 - LearningRate * WeightDecay);
            else grad = grad.Add(value, WeightDecay);
        }
        var m = Buffer(index, "exp_avg", value);
        var v = Buffer(index, "exp_avg_sq", value);
        m.MulInPlace(Beta1).AddInPlace(grad, 1 - Beta1);
        v.MulInPlace(Beta2).AddcmulInPlace(grad, grad, 1 - Beta2);
        var step = (double)StepCount;
        var biasCorrection1 = 1 - Math.Pow(Beta1, step);
        var biasCorrection2 = 1 - Math.Pow(Beta2, step);
        var denominator = (v.Sqrt() / Math.Sqrt(biasCorrection2)).AddInPlace(Eps);
        value.AddcdivInPlace(m, denominator, -LearningRate / biasCorrection1);
    }
}

/// <summary>AdamW: Adam with decoupled weight decay (default λ = 0.01, as PyTorch).</summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double eps = 1e-8, double weightDecay = 0.01)
    : Adam(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true);
