using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.LaPerm;

/// <summary>
/// LaPerm's weight-agnostic initialisation (ALGORITHMS §2, weight_utils.agnosticize): every parameter (biases
/// included) becomes one shared value, then each entry is kept with probability a/b, so every weight is 0 or that
/// value. LaPerm then only ever rearranges these.
/// </summary>
public static class Agnosticize
{
    /// <summary>Overwrites <paramref name="model"/>'s parameters in place. For each parameter, in the model's order,
    /// draws integers uniform in {1, …, b} (CPU, from <paramref name="generator"/>) and keeps the entries whose draw is
    /// ≤ a.</summary>
    /// <param name="model">The model (its parameters are written; no mask is set).</param>
    /// <param name="value">The shared value; null keeps each weight's own value (a plain random prune of every tensor).</param>
    /// <param name="keep">One ratio for every parameter, or one per parameter in the model's order.</param>
    /// <param name="generator">The source of the draws.</param>
    /// <exception cref="ArgumentException">No ratios, or a count that is neither 1 nor the number of parameters; a
    /// ratio out of range; a non-finite value.</exception>
    public static void Apply(nn.Module model, double? value, IReadOnlyList<KeepRatio> keep, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(keep);
        ArgumentNullException.ThrowIfNull(generator);
        var parameters = model.named_parameters().ToList();
        if (keep.Count != 1 && keep.Count != parameters.Count)
            throw new ArgumentException($"agnosticize takes one keep ratio or one per parameter ({parameters.Count} here: {string.Join(", ", parameters.Select(p => p.name))}), got {keep.Count}");
        foreach (var ratio in keep) ratio.Validate();
        if (value is { } v && !double.IsFinite(v)) throw new ArgumentException($"agnosticize's value must be finite, got {v}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Count; i++)
        {
            var (_, parameter) = parameters[i];
            var ratio = keep.Count == 1 ? keep[0] : keep[i];
            var kept = randint(1, ratio.Of + 1, parameter.shape, dtype: ScalarType.Int64, generator: generator) <= ratio.Kept;
            var source = value is { } shared ? full_like(parameter, shared) : parameter.detach();
            parameter.copy_(source * kept.to(parameter.dtype).to(parameter.device));
        }
    }

    /// <summary><see cref="Apply(nn.Module, double?, IReadOnlyList{KeepRatio}, Generator)"/> with the draws from
    /// (<paramref name="seed"/>, "agnosticize").</summary>
    public static void Apply(nn.Module model, double? value, IReadOnlyList<KeepRatio> keep, ulong seed)
    {
        using var generator = Generators.ForPurpose(seed, "agnosticize");
        Apply(model, value, keep, generator);
    }
}
