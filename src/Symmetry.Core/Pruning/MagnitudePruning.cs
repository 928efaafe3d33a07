using Symmetry.Torch;
using Symmetry.Torch.NN;
using static Symmetry.Torch.Torch;

namespace Symmetry.Core.Pruning;

/// <summary>
/// Magnitude pruning (ALGORITHMS §4): removes the smallest-magnitude weights among those still kept, layer by layer
/// (each layer loses the same fraction of its remaining weights) or globally (one threshold over all prunable tensors);
/// the output layer may use its own rate. Exactly round(fraction · kept) weights go per layer (or overall), ties broken
/// by position. Masks are set on the parameters (<see cref="Parameter.SetMask"/>), so pruned weights are zero from now on.
/// </summary>
public static class MagnitudePruning
{
    /// <summary>Prunes <paramref name="fraction"/> of the remaining weights of every prunable layer
    /// (<paramref name="outputFraction"/> for the last one, when given).</summary>
    public static void LayerWise(Module model, double fraction, double? outputFraction = null)
    {
        var layers = PrunableWeights.Of(model);
        for (var i = 0; i < layers.Count; i++)
            PruneSmallest([layers[i].Weight], i == layers.Count - 1 ? outputFraction ?? fraction : fraction);
    }

    /// <summary>Prunes <paramref name="fraction"/> of all remaining hidden weights with one threshold (the output layer
    /// separately at <paramref name="outputFraction"/> when given, else included in the global pool).</summary>
    public static void Global(Module model, double fraction, double? outputFraction = null)
    {
        var layers = PrunableWeights.Of(model).Select(l => l.Weight).ToList();
        if (outputFraction is { } output && layers.Count > 1)
        {
            PruneSmallest(layers[..^1], fraction);
            PruneSmallest([layers[^1]], output);
        }
        else PruneSmallest(layers, fraction);
    }

    /// <summary>Prunes every prunable layer by magnitude until exactly ⌈<paramref name="sparsity"/>·size⌉ of its weights are
    /// zero (layers already sparser are left alone).</summary>
    public static void ToSparsity(Module model, double sparsity)
    {
        if (sparsity is < 0 or > 1 || double.IsNaN(sparsity))
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "sparsity must be in [0, 1]");
        foreach (var (_, weight) in PrunableWeights.Of(model))
        {
            long size = weight.Value.NumEl, kept;
            using (NewScope()) kept = weight.Mask is null ? size : weight.Mask.Ne(0).Sum().ToInt64();
            var target = (long)Math.Ceiling(sparsity * size - 1e-9);
            var remove = target - (size - kept);
            if (remove > 0) PruneCount(weight, remove);
        }
    }

    /// <summary>Fraction of prunable weights still kept (1 for a dense model).</summary>
    public static double RemainingFraction(Module model)
    {
        using var scope = NewScope();
        long kept = 0, total = 0;
        foreach (var (_, weight) in PrunableWeights.Of(model))
        {
            total += weight.Value.NumEl;
            kept += weight.Mask is null ? weight.Value.NumEl : weight.Mask.Ne(0).Sum().ToInt64();
        }
        return total == 0 ? 1 : (double)kept / total;
    }

    private static void PruneSmallest(IReadOnlyList<Parameter> weights, double fraction)
    {
        if (fraction is < 0 or > 1 || double.IsNaN(fraction))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "pruning fraction must be in [0, 1]");
        using var scope = NewScope();
        var scores = weights.Select(Scores).ToList();
        var all = scores.Count == 1 ? scores[0] : Cat(scores);
        var kept = all.Ne(double.PositiveInfinity).Sum().ToInt64();
        SetMasks(weights, all, (long)Math.Round(fraction * kept, MidpointRounding.AwayFromZero));
    }

    private static void PruneCount(Parameter weight, long remove)
    {
        using var scope = NewScope();
        SetMasks([weight], Scores(weight), remove);
    }

    // |w| where kept, +∞ where already pruned (never chosen again), flattened.
    private static Tensor Scores(Parameter weight)
    {
        var magnitude = weight.Value.Detach().Abs().Flatten();
        return weight.Mask is null ? magnitude : magnitude.MaskedFill(weight.Mask.Flatten().Eq(0), double.PositiveInfinity);
    }

    // Zeroes the `remove` lowest-scoring entries of the concatenated scores (pruned entries score +∞).
    private static void SetMasks(IReadOnlyList<Parameter> weights, Tensor all, long remove)
    {
        var keep = OnesLike(all);
        if (remove > 0)
        {
            var (_, indices) = all.TopK(remove, largest: false, sorted: false);
            keep = keep.Scatter(0, indices, 0.0);
        }
        long offset = 0;
        foreach (var w in weights)
        {
            var size = w.Value.NumEl;
            var layerKeep = keep.Narrow(0, offset, size).Reshape(w.Value.Shape);
            offset += size;
            var mask = w.Mask is null ? layerKeep : layerKeep * w.Mask;
            w.SetMask(mask);
        }
    }
}
