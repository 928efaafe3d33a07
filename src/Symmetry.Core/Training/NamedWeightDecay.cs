using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training;

/// <summary>
/// Coupled L2 weight decay on the parameters whose name contains <c>weight</c> (Linear and conv weights and BatchNorm's
/// γ; biases and BatchNorm's β excluded): λ·w added to each such gradient before the optimizer step, as the model-zoo
/// code of the stitching paper does with two Adam parameter groups (ALGORITHMS §3, modelsym train.py: a
/// <c>re.search('weight', name)</c> group with <c>weight_decay</c> λ, the rest with 0). With Adam this is exactly
/// <c>torch.optim.Adam</c>'s own <c>weight_decay</c> restricted to that group.
/// </summary>
public sealed class NamedWeightDecay : ITrainingCallback
{
    /// <summary>The substring a parameter's name must contain to be decayed (the original's pattern).</summary>
    public const string Pattern = "weight";

    private readonly double coefficient;

    /// <summary>Decays <paramref name="model"/>'s parameters named <c>…weight…</c> by <paramref name="coefficient"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ negative or not finite.</exception>
    public NamedWeightDecay(nn.Module model, double coefficient)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(coefficient >= 0) || double.IsInfinity(coefficient))
            throw new ArgumentOutOfRangeException(nameof(coefficient), coefficient, $"the weight decay must be a finite number ≥ 0, got {coefficient}");
        this.coefficient = coefficient;
        Decayed = Names(model);
    }

    /// <summary>The parameters decayed, in the model's order.</summary>
    public IReadOnlyList<string> Decayed { get; }

    /// <summary>The parameter names of <paramref name="model"/> that the decay applies to.</summary>
    public static IReadOnlyList<string> Names(nn.Module model) =>
        model.named_parameters().Select(p => p.name).Where(n => n.Contains(Pattern, StringComparison.Ordinal)).ToList();

    /// <inheritdoc />
    public void OnGradients(Trainer trainer)
    {
        if (coefficient == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Looked up on every step: the trainer's model may have new parameter objects after a move to a device.
        foreach (var (name, parameter) in trainer.Model.named_parameters())
            if (name.Contains(Pattern, StringComparison.Ordinal) && parameter.grad is { } grad) grad.add_(parameter.detach(), alpha: coefficient);
    }
}
