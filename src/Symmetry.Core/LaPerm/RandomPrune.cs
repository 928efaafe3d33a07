using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.LaPerm;

/// <summary>
/// LaPerm's random pruning (ALGORITHMS §2, weight_utils.random_prune): every weight of rank ≥ 2 is kept with
/// probability <c>keep</c> (the fraction KEPT: "p = 30%" is keep 0.7), the model's first parameter with probability
/// max(keep, inputKeep) as the original clamps it; 1-D parameters (biases, BatchNorm) are left alone. Pruned weights
/// are zeroed in place and no mask is set: under LaPerm the zeros move within their rows.
/// </summary>
public static class RandomPrune
{
    /// <summary>The default kept fraction of the first weight tensor (the original's input_prune_rate).</summary>
    public const double DefaultInputKeep = 0.8;

    /// <summary>Zeroes weights of <paramref name="model"/> in place: for each parameter of rank ≥ 2, in the model's
    /// order, draws uniforms in [0, 1) (CPU, from <paramref name="generator"/>) and keeps the entries below the rate.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A fraction outside [0, 1].</exception>
    public static void Apply(nn.Module model, double keep, Generator generator, double inputKeep = DefaultInputKeep)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(generator);
        if (!(keep is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(keep), keep, $"the kept fraction must be in [0, 1], got {keep}");
        if (!(inputKeep is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(inputKeep), inputKeep, $"the input layer's kept fraction must be in [0, 1], got {inputKeep}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var index = 0;
        foreach (var (_, parameter) in model.named_parameters())
        {
            var rate = index++ == 0 ? Math.Max(keep, inputKeep) : keep;
            if (parameter.dim() <= 1) continue;
            var kept = rand(parameter.shape, generator: generator) < rate;
            parameter.mul_(kept.to(parameter.dtype).to(parameter.device));
        }
    }

    /// <summary><see cref="Apply(nn.Module, double, Generator, double)"/> with the draws from (<paramref name="seed"/>,
    /// "random-prune").</summary>
    public static void Apply(nn.Module model, double keep, ulong seed, double inputKeep = DefaultInputKeep)
    {
        using var generator = Generators.ForPurpose(seed, "random-prune");
        Apply(model, keep, generator, inputKeep);
    }
}
