using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Permutations;

/// <summary>
/// LaPerm's synchronisation operator (ALGORITHMS §2), as pure functions on tensors: every fan-in vector (row) of the
/// current weights θ_t is replaced by the values of the same row of θ₀, placed in θ_t's rank order:
/// <c>θ[j, i] ← θ_sorted[j, rank[j, i]]</c> with <c>rank = argsort(argsort(θ_t[j]))</c>. Each row keeps exactly θ₀'s
/// multiset of values (zeros of a pruned row included: they move); only positions change.
/// </summary>
/// <remarks>
/// <para>Rows are the first axis: a Linear weight (out, in) has rows of length in; a Conv2d weight (out, in, kh, kw) is
/// flattened to (out, in·kh·kw), one row per output filter. A 1-D tensor (a bias, when it is synchronised) is one row.</para>
/// <para>Sorts are stable, so ties are resolved deterministically: among equal current values, the one at the lower
/// position gets the smaller θ₀ value. Everything runs as tensor ops on the tensors' own device (CPU or CUDA), without
/// autograd.</para>
/// </remarks>
public static class LaPermRearrangement
{
    /// <summary>
    /// θ_sorted: each row (fan-in vector) of <paramref name="theta0"/> sorted ascending, as a (rows, fan_in) tensor
    /// with <paramref name="theta0"/>'s dtype and device. Store it when training starts (after any pruning).
    /// </summary>
    /// <param name="theta0">The weights as training starts: rank ≥ 1, not empty.</param>
    /// <returns>A new (rows, fan_in) tensor, owned by the current scope; it never requires gradients.</returns>
    /// <exception cref="ArgumentException">A rank-0 or empty tensor.</exception>
    public static Tensor SortedRows(Tensor theta0)
    {
        ArgumentNullException.ThrowIfNull(theta0);
        var (rows, fanIn) = RowShape(theta0.shape, nameof(theta0));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (values, _) = theta0.detach().reshape(rows, fanIn).sort(dim: 1, stable: true);
        return values.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The rearranged weights: for every row j, θ_sorted[j]'s values placed in the rank order of
    /// <paramref name="current"/>[j], reshaped to <paramref name="current"/>'s shape. Neither input is modified.
    /// </summary>
    /// <param name="thetaSorted">θ_sorted from <see cref="SortedRows"/>: (rows, fan_in).</param>
    /// <param name="current">The current weights θ_t: rows × fan_in elements in any shape whose first axis is the
    /// rows (e.g. the conv weight itself); same device as <paramref name="thetaSorted"/>.</param>
    /// <returns>A new tensor shaped like <paramref name="current"/>, with <paramref name="thetaSorted"/>'s dtype, owned
    /// by the current scope; it never requires gradients. Copy it into the parameter to apply the synchronisation.</returns>
    /// <exception cref="ArgumentException">The shapes do not correspond, or the tensors are on different devices.</exception>
    public static Tensor Rearrange(Tensor thetaSorted, Tensor current)
    {
        ArgumentNullException.ThrowIfNull(thetaSorted);
        ArgumentNullException.ThrowIfNull(current);
        var sortedShape = thetaSorted.shape;
        var shape = current.shape;
        if (sortedShape.Length != 2)
            throw new ArgumentException($"θ_sorted must be (rows, fan_in), got shape [{string.Join(", ", sortedShape)}]", nameof(thetaSorted));
        var (rows, fanIn) = RowShape(shape, nameof(current));
        if (sortedShape[0] != rows || sortedShape[1] != fanIn)
            throw new ArgumentException(
                $"θ_sorted has shape [{string.Join(", ", sortedShape)}] but the current weights [{string.Join(", ", shape)}] have {rows} rows of {fanIn}",
                nameof(current));
        if (thetaSorted.device_type != current.device_type || thetaSorted.device_index != current.device_index)
            throw new ArgumentException($"θ_sorted is on {thetaSorted.device} but the current weights are on {current.device}", nameof(current));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // order[j, k] = position of the k-th smallest current value of row j (stable), i.e. argsort(θ_t[j]); writing
        // θ_sorted[j, k] at order[j, k] is θ[j, i] = θ_sorted[j, rank[j, i]] with rank = argsort(order), one sort fewer.
        // (TorchSharp's argsort has no stable option: the indices of a stable sort are the same thing.)
        var (_, order) = current.detach().reshape(rows, fanIn).sort(dim: 1, stable: true);
        var sorted = thetaSorted.detach();
        var result = sorted.scatter(1, order, sorted).reshape(shape);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>(rows, fan_in) of a weight tensor: the first axis and the product of the rest (a 1-D tensor is one row).</summary>
    private static (long Rows, long FanIn) RowShape(long[] shape, string name)
    {
        if (shape.Length == 0)
            throw new ArgumentException("LaPerm needs a weight tensor of rank ≥ 1 (rows of fan-in values), got a scalar", name);
        var numel = shape.Aggregate(1L, (a, b) => a * b);
        if (numel == 0)
            throw new ArgumentException($"LaPerm needs a non-empty weight tensor, got shape [{string.Join(", ", shape)}]", name);
        return shape.Length == 1 ? (1, shape[0]) : (shape[0], numel / shape[0]);
    }
}
