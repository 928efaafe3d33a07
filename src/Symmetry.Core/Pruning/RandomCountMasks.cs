using Symmetry.Core.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Pruning;

/// <summary>Random masks with given layer-wise counts: the lottery-ticket control that asks whether the positions a
/// pruning chose matter, or only how many weights each layer keeps.</summary>
public static class RandomCountMasks
{
    /// <summary>A mask with, for every entry of <paramref name="current"/> that names a prunable weight, the same number
    /// of kept weights at positions drawn uniformly (a seeded permutation); layers without an entry have none. The caller
    /// owns it; null current gives an empty mask (dense).</summary>
    /// <exception cref="ArgumentException">An entry of <paramref name="current"/> the model does not have, or of
    /// another shape.</exception>
    public static ModelMask Redraw(nn.Module model, ModelMask? current, ulong seed)
    {
        var layers = MagnitudePruning.Prepare(model, current);
        var drawn = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var generator = Symmetry.Torch.Generators.ForPurpose(seed, "random-same-counts");
        try
        {
            foreach (var layer in layers)
            {
                if (current is null || !current.TryGet(layer.WeightName, out var held)) continue;
                using var scope = NewDisposeScope();
                var size = held.numel();
                var kept = held.ne(0).sum().item<long>();
                var positions = randperm(size, generator: generator).narrow(0, 0, kept);
                var mask = zeros(size, ScalarType.Float32).index_fill(0, positions, 1.0).reshape(held.shape);
                drawn[layer.WeightName] = mask.DetachFromDisposeScope();
            }
            return MagnitudePruning.Assemble(model, current, drawn);
        }
        finally
        {
            foreach (var t in drawn.Values) t.Dispose();
        }
    }
}
