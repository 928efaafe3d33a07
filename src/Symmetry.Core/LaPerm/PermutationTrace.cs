using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.LaPerm;

/// <summary>
/// Where LaPerm moved each weight (the paper's permutation tracer): for a row (fan-in vector) that holds the same
/// multiset of values before and after, the position each value went to. Values are matched by stable rank: the k-th
/// smallest before (ties by position) went where the k-th smallest after is.
/// </summary>
public static class PermutationTrace
{
    /// <summary>destination[i] = the position in row <paramref name="row"/> of <paramref name="after"/> of the value at
    /// position i of the same row of <paramref name="before"/> (rows as <see cref="Permutations.LaPermRearrangement"/>
    /// sees them: the first axis, the rest flattened).</summary>
    /// <exception cref="ArgumentException">Shapes differ, the row is out of range, or the row's values are not the
    /// same multiset before and after (the weights were not only rearranged).</exception>
    public static long[] Destinations(Tensor before, Tensor after, long row)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (!before.shape.SequenceEqual(after.shape))
            throw new ArgumentException($"shapes differ: [{string.Join(", ", before.shape)}] before, [{string.Join(", ", after.shape)}] after");
        using var scope = NewDisposeScope();
        var a = Rows(before);
        var b = Rows(after);
        if (row < 0 || row >= a.shape[0]) throw new ArgumentException($"row {row} is out of range: the tensor has {a.shape[0]} rows");
        var (sortedBefore, orderBefore) = a[row].sort(stable: true);
        var (sortedAfter, orderAfter) = b[row].sort(stable: true);
        if (!sortedBefore.eq(sortedAfter).all().item<bool>())
            throw new ArgumentException($"row {row} does not hold the same values before and after: its weights were not only rearranged");
        var destination = zeros_like(orderBefore).scatter_(0, orderBefore, orderAfter);
        return destination.data<long>().ToArray();
    }

    private static Tensor Rows(Tensor t) => t.dim() <= 1 ? t.detach().cpu().reshape(1, -1) : t.detach().cpu().reshape(t.shape[0], -1);
}
