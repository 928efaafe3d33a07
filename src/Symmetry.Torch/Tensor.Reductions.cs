using Symmetry.Torch.Native;

namespace Symmetry.Torch;

// Reductions. A null or empty dims list reduces over every dimension.
public sealed partial class Tensor
{
    private unsafe Tensor Reduce(ReduceOp op, long[]? dims, bool keepDim)
    {
        dims ??= [];
        fixed (long* d = dims)
            return Check.Result(NativeMethods.symm_tensor_reduce((int)op, Handle, d, dims.Length, keepDim ? 1 : 0, out var r), r, OpNames.Of(op));
    }

    /// <summary>Sum over <paramref name="dims"/> (all when null).</summary>
    public Tensor Sum(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.Sum, dims, keepDim);
    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(ReduceOp.Sum, [dim], keepDim);
    /// <summary>Mean over <paramref name="dims"/> (all when null).</summary>
    public Tensor Mean(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.Mean, dims, keepDim);
    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(ReduceOp.Mean, [dim], keepDim);
    /// <summary>Product over <paramref name="dims"/> (all when null).</summary>
    public Tensor Prod(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.Prod, dims, keepDim);
    /// <summary>Largest value over <paramref name="dims"/> (all when null), without indices.</summary>
    public Tensor AMax(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.AMax, dims, keepDim);
    /// <summary>Smallest value over <paramref name="dims"/> (all when null), without indices.</summary>
    public Tensor AMin(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.AMin, dims, keepDim);
    /// <summary>True where any element over <paramref name="dims"/> is non-zero.</summary>
    public Tensor Any(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.Any, dims, keepDim);
    /// <summary>True where every element over <paramref name="dims"/> is non-zero.</summary>
    public Tensor All(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.All, dims, keepDim);
    /// <summary>log Σ exp over <paramref name="dims"/> (all when null), computed stably.</summary>
    public Tensor LogSumExp(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.LogSumExp, dims, keepDim);

    /// <summary>The largest element (rank-0 tensor).</summary>
    public Tensor Max() => AMax();
    /// <summary>The smallest element (rank-0 tensor).</summary>
    public Tensor Min() => AMin();

    /// <summary>Largest values along <paramref name="dim"/> and where they are.</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false) => MinMax(isMax: true, dim, keepDim);
    /// <summary>Smallest values along <paramref name="dim"/> and where they are.</summary>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false) => MinMax(isMax: false, dim, keepDim);

    private (Tensor, Tensor) MinMax(bool isMax, long dim, bool keepDim)
    {
        Check.Status(NativeMethods.symm_tensor_minmax_dim(Handle, isMax ? 1 : 0, dim, keepDim ? 1 : 0, out var v, out var i), isMax ? "max" : "min");
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Index of the largest element, along <paramref name="dim"/> or of the flattened tensor when null.</summary>
    public Tensor ArgMax(long? dim = null, bool keepDim = false) => ArgMinMax(isMax: true, dim, keepDim);
    /// <summary>Index of the smallest element, along <paramref name="dim"/> or of the flattened tensor when null.</summary>
    public Tensor ArgMin(long? dim = null, bool keepDim = false) => ArgMinMax(isMax: false, dim, keepDim);

    private Tensor ArgMinMax(bool isMax, long? dim, bool keepDim) =>
        Check.Result(NativeMethods.symm_tensor_argminmax(Handle, isMax ? 1 : 0, dim.HasValue ? 1 : 0, dim ?? 0, keepDim ? 1 : 0, out var r), r, isMax ? "argmax" : "argmin");

    /// <summary>Standard deviation over <paramref name="dims"/> (all when null); Bessel-corrected when <paramref name="unbiased"/>.</summary>
    public Tensor Std(long[]? dims = null, bool unbiased = true, bool keepDim = false) => StdVar(variance: false, dims, unbiased, keepDim);
    /// <summary>Variance over <paramref name="dims"/> (all when null); Bessel-corrected when <paramref name="unbiased"/>.</summary>
    public Tensor Var(long[]? dims = null, bool unbiased = true, bool keepDim = false) => StdVar(variance: true, dims, unbiased, keepDim);

    private unsafe Tensor StdVar(bool variance, long[]? dims, bool unbiased, bool keepDim)
    {
        dims ??= [];
        fixed (long* d = dims)
            return Check.Result(NativeMethods.symm_tensor_std_var(Handle, variance ? 1 : 0, d, dims.Length, unbiased ? 1 : 0, keepDim ? 1 : 0, out var r), r, variance ? "var" : "std");
    }

    /// <summary>Vector p-norm over <paramref name="dims"/> (all when null); p = ∞ gives the max-abs norm.</summary>
    public unsafe Tensor Norm(double p = 2, long[]? dims = null, bool keepDim = false)
    {
        dims ??= [];
        fixed (long* d = dims)
            return Check.Result(NativeMethods.symm_tensor_norm(Handle, p, d, dims.Length, keepDim ? 1 : 0, out var r), r, "norm");
    }

    /// <summary>Running sum along <paramref name="dim"/>.</summary>
    public Tensor CumSum(long dim) => Check.Result(NativeMethods.symm_tensor_cumsum(Handle, dim, out var r), r, "cumsum");
}
