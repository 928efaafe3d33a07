using Symmetry.Core.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Pruning;

/// <summary>
/// Pruning by a <see cref="KeepCriterion"/> (deconstructing-LT, get_weight_init.py): in every prunable layer, among the
/// weights the current mask still keeps, the ⌊q·remaining⌋ lowest-scoring ones are removed, q = 1 − (1 − p)^rounds
/// (the original's <c>1 − prune_base^prune_power</c>), ties broken by a seeded draw. The combined criteria keep a weight
/// only when both of its scores rank above one shared threshold; the threshold is found by bisection over ranks, and
/// the count is exact (the original's bisection over percentiles may stop short of it). Neither model nor mask is
/// changed; the caller owns the returned mask.
/// </summary>
public static class CriterionPruning
{
    /// <summary>The new mask of <paramref name="final"/> under <paramref name="criterion"/>, w_i taken from
    /// <paramref name="initial"/> (same architecture).</summary>
    /// <param name="initial">The network at the rewind point (w_i).</param>
    /// <param name="final">The trained network (w_f), whose mask <paramref name="current"/> is.</param>
    /// <param name="current">The mask in force (null: dense).</param>
    /// <param name="criterion">The keep score.</param>
    /// <param name="fraction">Per-round fraction of a hidden (Linear) layer's remaining weights to remove.</param>
    /// <param name="outputFraction">The output layer's (null: <paramref name="fraction"/>).</param>
    /// <param name="convFraction">Conv layers' (null: <paramref name="fraction"/>).</param>
    /// <param name="rounds">Rounds compounded into one step (the original's <c>prune_power</c>).</param>
    /// <param name="seed">Seed of tie-breaking and of the random criterion.</param>
    /// <exception cref="ArgumentException">Models that differ, a fraction outside [0, 1], rounds below 0.</exception>
    public static ModelMask Prune(nn.Module initial, nn.Module final, ModelMask? current, KeepCriterion criterion, double fraction,
        double? outputFraction = null, double? convFraction = null, int rounds = 1, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(initial);
        if (rounds < 0) throw new ArgumentException($"rounds must be 0 or more, got {rounds}");
        var layers = MagnitudePruning.Prepare(final, current);
        var initialLayers = PrunableLayers.All(initial);
        if (initialLayers.Count != layers.Count || initialLayers.Zip(layers).Any(p => !p.First.Shape.SequenceEqual(p.Second.Shape)))
            throw new ArgumentException("the initial and final networks must have the same prunable layers");
        using var generator = Symmetry.Torch.Generators.ForPurpose(seed, "criterion-pruning");
        var pruned = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < layers.Count; i++)
            {
                var p = i == layers.Count - 1 ? outputFraction ?? fraction : layers[i].Shape.Length == 4 ? convFraction ?? fraction : fraction;
                if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentException($"pruning fraction must be in [0, 1], got {p}");
                using var scope = NewDisposeScope();
                var held = MagnitudePruning.MaskOf(current, layers[i]);
                var kept = held?.ne(0);
                var remaining = kept is null ? layers[i].Size : kept.sum().item<long>();
                var remove = (long)Math.Floor((1 - Math.Pow(1 - p, rounds)) * remaining);
                var scores = KeepScores.Of(criterion, initialLayers[i].Weight.cpu(), layers[i].Weight.cpu(), generator);
                var keep = LayerKeep(scores, kept?.cpu(), remove, generator);
                pruned[layers[i].WeightName] = keep.to(ScalarType.Float32).DetachFromDisposeScope();
            }
            return MagnitudePruning.Assemble(final, current, pruned);
        }
        finally
        {
            foreach (var t in pruned.Values) t.Dispose();
        }
    }

    /// <summary>One layer's keep mask (bool, the scores' shape): of the weights <paramref name="kept"/> still keeps
    /// (null: all), exactly <paramref name="remove"/> more are removed. One score: the lowest ones. Two scores: the
    /// weights below a shared rank threshold in either score, the threshold the largest whose removals do not exceed
    /// the target, and — when one short, since one step of the threshold removes at most two — the next weight in the
    /// first score's order. Ties are broken by <paramref name="ties"/>.</summary>
    /// <exception cref="ArgumentException">No score, more than two, or <paramref name="remove"/> beyond what is kept.</exception>
    public static Tensor LayerKeep(IReadOnlyList<Tensor> scores, Tensor? kept, long remove, Generator ties)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count is not (1 or 2)) throw new ArgumentException($"a criterion has one or two scores, got {scores.Count}");
        var shape = scores[0].shape;
        var n = scores[0].numel();
        var alive = kept?.flatten().to(ScalarType.Bool) ?? ones(n, ScalarType.Bool);
        var alreadyPruned = n - alive.sum().item<long>();
        if (remove < 0 || remove > n - alreadyPruned)
            throw new ArgumentException($"cannot remove {remove} of {n - alreadyPruned} kept weights");
        // Rank of each weight in ascending score order (ties in a seeded random order), pruned weights first.
        Tensor Ranks(Tensor score)
        {
            var flat = score.flatten().to(ScalarType.Float64).masked_fill(alive.logical_not(), double.NegativeInfinity);
            var shuffle = randperm(n, generator: ties);
            var (_, order) = flat.index_select(0, shuffle).sort(0, descending: false, stable: true);
            var sorted = shuffle.index_select(0, order);
            return zeros(n, ScalarType.Int64).index_copy(0, sorted, arange(n, ScalarType.Int64));
        }
        var target = alreadyPruned + remove;
        if (scores.Count == 1) return Ranks(scores[0]).ge(target).reshape(shape);
        var (r1, r2) = (Ranks(scores[0]), Ranks(scores[1]));
        long Removed(long k) => r1.lt(k).logical_or(r2.lt(k)).sum().item<long>();
        // Largest k with Removed(k) ≤ target; Removed(alreadyPruned) = alreadyPruned ≤ target, Removed(n) = n.
        long low = alreadyPruned, high = n;
        while (low < high)
        {
            var middle = low + (high - low + 1) / 2;
            if (Removed(middle) <= target) low = middle;
            else high = middle - 1;
        }
        var keep = r1.ge(low).logical_and(r2.ge(low));
        if (Removed(low) < target) keep = keep.logical_and(r1.ne(low));
        return keep.reshape(shape);
    }
}
