using Symmetry.Core.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training;

/// <summary>
/// Keras' <c>kernel_regularizer=l2(λ)</c>: λ·Σw² added to the loss for the weights of every Linear and Conv2d layer
/// except the last (the output layer), biases excluded — the LaPerm reference nets' L2 (ALGORITHMS §2), not decoupled
/// weight decay. Applied as its gradient, 2λ·w added to each weight's gradient before the optimizer step, which is
/// what adding the term to the loss does to the update; the loss the trainer reports stays the cross-entropy.
/// </summary>
public sealed class L2Penalty : ITrainingCallback
{
    private readonly double coefficient;
    private readonly IReadOnlyList<string> names;

    /// <summary>λ·Σw² over <paramref name="model"/>'s Linear and Conv2d weights but the last layer's.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ negative or not finite.</exception>
    public L2Penalty(nn.Module model, double coefficient)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(coefficient >= 0) || double.IsInfinity(coefficient))
            throw new ArgumentOutOfRangeException(nameof(coefficient), coefficient, $"the L2 coefficient must be a finite number ≥ 0, got {coefficient}");
        this.coefficient = coefficient;
        var layers = PrunableLayers.All(model);
        names = layers.Take(Math.Max(0, layers.Count - 1)).Select(l => l.WeightName).ToList();
    }

    /// <summary>The weights penalised.</summary>
    public IReadOnlyList<string> Penalised => names;

    /// <inheritdoc />
    public void OnGradients(Trainer trainer)
    {
        if (coefficient == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parameters = trainer.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        foreach (var name in names)
        {
            var weight = parameters[name];
            if (weight.grad is { } grad) grad.add_(weight.detach(), alpha: 2 * coefficient);
        }
    }
}
