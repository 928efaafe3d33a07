namespace Symmetry.Torch.NN;

/// <summary>y = x·Wᵀ + b with W of shape (out, in). Parameters <c>weight</c> and <c>bias</c>.</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer with PyTorch's default initialisation drawn from <paramref name="generator"/>.</summary>
    public Linear(long inFeatures, long outFeatures, bool bias = true, Generator? generator = null)
    {
        if (inFeatures < 1 || outFeatures < 1) throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear needs positive sizes, got {inFeatures}→{outFeatures}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        using var scope = Torch.NewScope();
        Weight = RegisterParameter("weight", Torch.Empty([outFeatures, inFeatures]));
        Bias = bias ? RegisterParameter("bias", Torch.Empty([outFeatures])) : null;
        Init.PyTorchDefault(Weight.Value, Bias?.Value, generator);
    }

    /// <summary>Input features.</summary>
    public long InFeatures { get; }
    /// <summary>Output features.</summary>
    public long OutFeatures { get; }
    /// <summary>Weight (out, in).</summary>
    public Parameter Weight { get; }
    /// <summary>Bias (out), or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight.Effective, Bias?.Effective);
}
