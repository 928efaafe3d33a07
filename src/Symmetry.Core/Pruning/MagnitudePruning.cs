using Symmetry.Core.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Pruning;

/// <summary>
/// Magnitude pruning (ALGORITHMS §4), open_lth style: <c>prune(model, current mask) → new mask</c>. Removes the
/// smallest-magnitude weights among those the current mask still keeps, layer by layer (each layer loses its own
/// fraction of its remaining weights: ⌊p·remaining⌋, the deconstructing-LT rule) or globally (one threshold over all
/// prunable tensors: ⌈p·remaining⌉, open_lth's sparse_global). Among equal magnitudes the weights to remove are drawn
/// at random from the given seed, so a tie never depends on memory order. Neither the model nor the current mask is
/// changed: the caller applies the returned mask (<c>model.SetMask(newMask)</c> for a zoo model,
/// <see cref="ModelMask.ApplyTo"/> for any module) and owns it.
/// </summary>
/// <remarks>
/// The new mask has an entry for every weight that was pruned (or, for <see cref="LayerWise"/> and
/// <see cref="Global"/>, every prunable weight) and copies the other entries of the current mask; entries
/// are in the model's parameter order, float32 on the CPU. A null current mask means dense (no weight
/// pruned yet): for a zoo model pass its <c>Mask</c>. Any TorchSharp module works (a zoo model or an
/// <c>nn.Sequential</c> of one's own).
/// </remarks>
public static class MagnitudePruning
{
    /// <summary>The mask that removes ⌊p·remaining⌋ of every prunable layer's remaining weights, p being
    /// <paramref name="fraction"/> for hidden Linear layers, <paramref name="convFraction"/> for Conv2d layers and
    /// <paramref name="outputFraction"/> for the last layer (each defaulting to <paramref name="fraction"/>).</summary>
    /// <param name="model">The model whose weight magnitudes decide.</param>
    /// <param name="current">The mask in force (null: dense).</param>
    /// <param name="fraction">Fraction in [0, 1] of each layer's remaining weights to remove.</param>
    /// <param name="outputFraction">The output layer's fraction, when it differs.</param>
    /// <param name="convFraction">The conv layers' fraction, when it differs.</param>
    /// <param name="seed">Seed of the draw that breaks ties between equal magnitudes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A fraction NaN or outside [0, 1].</exception>
    /// <exception cref="ArgumentException">An entry of <paramref name="current"/> the model does not have, or of
    /// another shape.</exception>
    public static ModelMask LayerWise(nn.Module model, ModelMask? current, double fraction, double? outputFraction = null,
        double? convFraction = null, ulong seed = 0)
    {
        var layers = Prepare(model, current);
        var pruned = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var ties = Symmetry.Torch.Generators.ForPurpose(seed, "prune-ties");
        try
        {
            for (var i = 0; i < layers.Count; i++)
            {
                var rate = i == layers.Count - 1 ? outputFraction ?? fraction
                    : layers[i].Shape.Length == 4 ? convFraction ?? fraction
                    : fraction;
                PruneSmallest([layers[i]], current, rate, Rounding.Floor, ties, pruned);
            }
            return Assemble(model, current, pruned);
        }
        finally
        {
            foreach (var t in pruned.Values) t.Dispose();
        }
    }

    /// <summary>The mask that removes ⌈p·remaining⌉ of all remaining weights with one threshold (open_lth's
    /// sparse_global); the output layer apart at <paramref name="outputFraction"/> when given (0: never pruned, as
    /// open_lth does for LeNet and VGG), else in the pool.</summary>
    /// <param name="model">The model whose weight magnitudes decide.</param>
    /// <param name="current">The mask in force (null: dense).</param>
    /// <param name="fraction">Fraction in [0, 1] of the pooled remaining weights to remove.</param>
    /// <param name="outputFraction">The output layer's own fraction, when given.</param>
    /// <param name="seed">Seed of the draw that breaks ties between equal magnitudes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A fraction NaN or outside [0, 1].</exception>
    /// <exception cref="ArgumentException">An entry of <paramref name="current"/> the model does not have, or of
    /// another shape.</exception>
    public static ModelMask Global(nn.Module model, ModelMask? current, double fraction, double? outputFraction = null, ulong seed = 0)
    {
        var layers = Prepare(model, current);
        var pruned = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var ties = Symmetry.Torch.Generators.ForPurpose(seed, "prune-ties");
        try
        {
            if (outputFraction is { } output && layers.Count > 1)
            {
                PruneSmallest(layers.Take(layers.Count - 1).ToList(), current, fraction, Rounding.Ceiling, ties, pruned);
                PruneSmallest([layers[^1]], current, output, Rounding.Ceiling, ties, pruned);
            }
            else PruneSmallest(layers, current, fraction, Rounding.Ceiling, ties, pruned);
            return Assemble(model, current, pruned);
        }
        finally
        {
            foreach (var t in pruned.Values) t.Dispose();
        }
    }

    /// <summary>How many of <paramref name="remaining"/> weights a round at <paramref name="fraction"/> removes, in
    /// the float64 arithmetic of the original code (numpy's <c>ceil</c> / Python's <c>int</c>).</summary>
    public static long CountToRemove(double fraction, long remaining, Rounding rounding) => rounding switch
    {
        Rounding.Floor => (long)Math.Floor(fraction * remaining),
        Rounding.Ceiling => (long)Math.Ceiling(fraction * remaining),
        _ => (long)Math.Round(fraction * remaining, MidpointRounding.AwayFromZero),
    };

    /// <summary>The mask that prunes every prunable layer by magnitude until exactly ⌈<paramref name="sparsity"/>·size⌉
    /// of its weights are masked (layers already sparser keep their entry of <paramref name="current"/>).</summary>
    /// <param name="model">The model whose weight magnitudes decide.</param>
    /// <param name="current">The mask in force (null: dense).</param>
    /// <param name="sparsity">Target fraction of masked weights per layer, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">Sparsity NaN or outside [0, 1].</exception>
    /// <exception cref="ArgumentException">An entry of <paramref name="current"/> the model does not have, or of
    /// another shape.</exception>
    public static ModelMask ToSparsity(nn.Module model, ModelMask? current, double sparsity)
    {
        if (sparsity is < 0 or > 1 || double.IsNaN(sparsity))
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "sparsity must be in [0, 1]");
        var layers = Prepare(model, current);
        var pruned = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var layer in layers)
            {
                long size = layer.Weight.numel(), kept;
                using (NewDisposeScope())
                    kept = MaskOf(current, layer) is { } mask ? mask.ne(0).sum().item<long>() : size;
                var target = (long)Math.Ceiling(sparsity * size - 1e-9);
                var remove = target - (size - kept);
                if (remove > 0)
                {
                    using var scope = NewDisposeScope();
                    RecordMasks([layer], current, Scores(layer, current), remove, pruned);
                }
            }
            return Assemble(model, current, pruned);
        }
        finally
        {
            foreach (var t in pruned.Values) t.Dispose();
        }
    }

    /// <summary>Fraction of prunable weights that <paramref name="mask"/> keeps (1 when dense); with
    /// <paramref name="mask"/> null, of the mask the model holds (<see cref="Models.ZooModel.Mask"/>) when it is a zoo
    /// model, else 1.</summary>
    public static double RemainingFraction(nn.Module model, ModelMask? mask = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        mask ??= (model as Models.ZooModel)?.Mask;
        using var scope = NewDisposeScope();
        long kept = 0, total = 0;
        foreach (var layer in PrunableLayers.All(model))
        {
            var size = layer.Weight.numel();
            total += size;
            kept += MaskOf(mask, layer) is { } m ? m.ne(0).sum().item<long>() : size;
        }
        return total == 0 ? 1 : (double)kept / total;
    }

    /// <summary>The prunable layers, after checking <paramref name="current"/> against the model.</summary>
    internal static IReadOnlyList<PrunableLayer> Prepare(nn.Module model, ModelMask? current)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (current is not null) Check(model, current);
        return PrunableLayers.All(model);
    }

    /// <summary>Every entry of <paramref name="mask"/> must name a parameter of the model, with its shape.</summary>
    internal static void Check(nn.Module model, ModelMask mask)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters()) shapes.TryAdd(name, parameter.shape);
        foreach (var (name, tensor) in mask)
        {
            if (!shapes.TryGetValue(name, out var shape))
                throw new ArgumentException(
                    $"the current mask names parameter '{name}', which the model ({model.GetType().Name}) does not have; model parameters: {string.Join(", ", shapes.Keys)}",
                    nameof(mask));
            if (!shape.SequenceEqual(tensor.shape))
                throw new ArgumentException(
                    $"the current mask of parameter '{name}' has shape [{string.Join(", ", tensor.shape)}], the parameter [{string.Join(", ", shape)}]",
                    nameof(mask));
        }
    }

    /// <summary>The entry of <paramref name="layer"/> in <paramref name="mask"/> on the weight's device and dtype (as
    /// the weight it masks), in the current scope; null when dense.</summary>
    internal static Tensor? MaskOf(ModelMask? mask, PrunableLayer layer)
    {
        if (mask is null || !mask.TryGet(layer.WeightName, out var entry)) return null;
        var weight = layer.Weight;
        return entry.to(weight.dtype, weight.device);
    }

    /// <summary>The new mask: in the model's parameter order, the pruned entries, else the entries of
    /// <paramref name="current"/> (copied), as float32 CPU tensors.</summary>
    internal static ModelMask Assemble(nn.Module model, ModelMask? current, IReadOnlyDictionary<string, Tensor> pruned)
    {
        var result = new ModelMask();
        try
        {
            using var scope = NewDisposeScope();
            foreach (var (name, _) in model.named_parameters())
            {
                Tensor? source = pruned.TryGetValue(name, out var p) ? p
                    : current is not null && current.TryGet(name, out var c) ? c
                    : null;
                if (source is null || result.Contains(name)) continue;
                result.SetOwned(name, source.detach().to(ScalarType.Float32, CPU, copy: true).DetachFromDisposeScope());
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    private static void PruneSmallest(IReadOnlyList<PrunableLayer> layers, ModelMask? current, double fraction, Rounding rounding,
        Generator ties, Dictionary<string, Tensor> pruned)
    {
        if (fraction is < 0 or > 1 || double.IsNaN(fraction))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "pruning fraction must be in [0, 1]");
        using var scope = NewDisposeScope();
        var scores = layers.Select(l => Scores(l, current)).ToList();
        var all = scores.Count == 1 ? scores[0] : cat(scores, 0);
        var kept = all.ne(double.PositiveInfinity).sum().item<long>();
        RecordMasks(layers, current, all, CountToRemove(fraction, kept, rounding), pruned, ties);
    }

    // |w| where kept, +∞ where already pruned (never chosen again), flattened.
    private static Tensor Scores(PrunableLayer layer, ModelMask? current)
    {
        var magnitude = layer.Weight.detach().abs().flatten();
        return MaskOf(current, layer) is { } mask ? magnitude.masked_fill(mask.flatten().eq(0), double.PositiveInfinity) : magnitude;
    }

    // Zeroes the `remove` lowest-scoring entries of the concatenated scores (pruned entries score +∞) and records each
    // layer's new mask (kept entries of the current mask times the survivors) in `pruned`, detached from every scope.
    // With a tie generator, the order among equal scores is a seeded random permutation (a stable sort of the shuffled
    // scores); without one, libtorch's topk decides.
    private static void RecordMasks(IReadOnlyList<PrunableLayer> layers, ModelMask? current, Tensor all, long remove,
        Dictionary<string, Tensor> pruned, Generator? ties = null)
    {
        var keep = ones_like(all);
        if (remove > 0 && ties is not null)
        {
            var shuffle = randperm(all.numel(), generator: ties, device: all.device);
            var (_, order) = all.index_select(0, shuffle).sort(0, descending: false, stable: true);
            keep = keep.index_fill(0, shuffle.index_select(0, order.narrow(0, 0, remove)), 0.0);
        }
        else if (remove > 0)
        {
            var (_, indices) = all.topk(checked((int)remove), largest: false, sorted: false);
            keep = keep.index_fill(0, indices, 0.0);
        }
        long offset = 0;
        foreach (var layer in layers)
        {
            var weight = layer.Weight;
            var size = weight.numel();
            var layerKeep = keep.narrow(0, offset, size).reshape(weight.shape);
            offset += size;
            var mask = MaskOf(current, layer) is { } m ? layerKeep * m : layerKeep;
            var owned = mask.to(ScalarType.Float32, CPU, copy: true).DetachFromDisposeScope();
            if (pruned.Remove(layer.WeightName, out var previous)) previous.Dispose();
            pruned[layer.WeightName] = owned;
        }
    }
}

