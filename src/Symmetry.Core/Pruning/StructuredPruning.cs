using Symmetry.Core.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Pruning;

/// <summary>Structured L1 pruning (ALGORITHMS §4, §5), open_lth style <c>prune(model, current mask) → new mask</c>: in
/// every prunable layer, removes the fraction of its remaining input channels (conv) or input features (linear) whose
/// weights have the smallest L1 norm. The whole input slice is masked. Neither the model nor the current mask is
/// changed; the caller applies the result (<c>model.SetMask(newMask)</c>) and owns it. Any TorchSharp module works (a
/// zoo model or an <c>nn.Sequential</c> of one's own).</summary>
public static class StructuredPruning
{
    /// <summary>The mask that prunes <paramref name="fraction"/> of each layer's remaining input channels/features.
    /// Norms are taken over the masked weights (w·mask). Layers where nothing is removed keep their entry of
    /// <paramref name="current"/> (none when dense); the others get a new entry. Entries are in the model's parameter
    /// order, float32 on the CPU.</summary>
    /// <param name="model">The model whose weights decide.</param>
    /// <param name="current">The mask in force (null: dense; for a zoo model pass its <c>Mask</c>).</param>
    /// <param name="fraction">Fraction in [0, 1] of each layer's remaining inputs to remove.</param>
    /// <exception cref="ArgumentOutOfRangeException">Fraction NaN or outside [0, 1].</exception>
    /// <exception cref="ArgumentException">An entry of <paramref name="current"/> the model does not have, or of
    /// another shape.</exception>
    public static ModelMask InputChannels(nn.Module model, ModelMask? current, double fraction)
    {
        if (fraction is < 0 or > 1 || double.IsNaN(fraction))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "pruning fraction must be in [0, 1]");
        var layers = MagnitudePruning.Prepare(model, current);
        var pruned = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var layer in layers)
            {
                using var scope = NewDisposeScope();
                var weight = layer.Weight;
                var held = MagnitudePruning.MaskOf(current, layer);
                var effective = held is null ? weight.detach() : weight.detach() * held;
                // (out, in, …) → per input channel: Σ |w| over out and the kernel.
                var perInput = effective.abs().transpose(0, 1).flatten(1).sum(1L);
                var alive = held is null
                    ? ones_like(perInput).ne(0)
                    : held.transpose(0, 1).flatten(1).ne(0).any(1L);
                var remaining = alive.sum().item<long>();
                var remove = (long)Math.Round(fraction * remaining, MidpointRounding.AwayFromZero);
                if (remove == 0) continue;
                var scores = perInput.masked_fill(alive.logical_not(), double.PositiveInfinity);
                var (_, indices) = scores.topk(checked((int)remove), largest: false, sorted: false);
                var keepInputs = ones_like(perInput).index_fill(0, indices, 0.0);
                var shape = new long[weight.dim()];
                Array.Fill(shape, 1L);
                shape[1] = keepInputs.size(0);
                var mask = ones_like(weight) * keepInputs.reshape(shape);
                if (held is not null) mask = mask * held;
                pruned[layer.WeightName] = mask.to(ScalarType.Float32, CPU, copy: true).DetachFromDisposeScope();
            }
            return MagnitudePruning.Assemble(model, current, pruned);
        }
        finally
        {
            foreach (var t in pruned.Values) t.Dispose();
        }
    }
}
