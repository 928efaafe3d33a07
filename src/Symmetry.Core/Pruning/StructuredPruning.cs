using Symmetry.Torch;
using Symmetry.Torch.NN;
using static Symmetry.Torch.Torch;

namespace Symmetry.Core.Pruning;

/// <summary>Structured L1 pruning (ALGORITHMS §4, §5): in every prunable layer, removes the fraction of its remaining
/// input channels (conv) or input features (linear) whose weights have the smallest L1 norm. The whole input slice
/// is masked.</summary>
public static class StructuredPruning
{
    /// <summary>Prunes <paramref name="fraction"/> of each layer's remaining input channels/features.</summary>
    public static void InputChannels(Module model, double fraction)
    {
        if (fraction is < 0 or > 1 || double.IsNaN(fraction))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "pruning fraction must be in [0, 1]");
        foreach (var (_, weight) in PrunableWeights.Of(model))
        {
            using var scope = NewScope();
            var effective = weight.Effective.Detach();
            // (out, in, …) → per input channel: Σ |w| over out and the kernel.
            var perInput = effective.Abs().Transpose(0, 1).Flatten(1).Sum(1L);
            var alive = weight.Mask is null
                ? OnesLike(perInput).Ne(0)
                : weight.Mask.Transpose(0, 1).Flatten(1).Ne(0).Any([1L]);
            var remaining = alive.Sum().ToInt64();
            var remove = (long)Math.Round(fraction * remaining, MidpointRounding.AwayFromZero);
            if (remove == 0) continue;
            var scores = perInput.MaskedFill(alive.LogicalNot(), double.PositiveInfinity);
            var (_, indices) = scores.TopK(remove, largest: false, sorted: false);
            var keepInputs = OnesLike(perInput).Scatter(0, indices, 0.0);
            var shape = new long[weight.Value.Rank];
            Array.Fill(shape, 1L);
            shape[1] = keepInputs.Size(0);
            var mask = OnesLike(weight.Value) * keepInputs.Reshape(shape);
            weight.SetMask(weight.Mask is null ? mask : mask * weight.Mask);
        }
    }
}
