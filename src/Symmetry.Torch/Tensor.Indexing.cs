using Symmetry.Torch.Native;

namespace Symmetry.Torch;

// Slicing, gathering, scattering, masking and sorting.
public sealed partial class Tensor
{
    /// <summary>Selects index <paramref name="i"/> of the first dimension (removing it).</summary>
    public Tensor this[long i] => Select(0, i);

    /// <summary>Selects one index per leading dimension, e.g. <c>t[1, 2]</c>.</summary>
    public Tensor this[params long[] indices]
    {
        get
        {
            var result = Select(0, indices[0]);
            for (var k = 1; k < indices.Length; k++)
            {
                var next = result.Select(0, indices[k]);
                result.Dispose();
                result = next;
            }
            return result;
        }
    }

    /// <summary>Removes dimension <paramref name="dim"/> by taking index <paramref name="index"/> (negative counts from the end).</summary>
    public Tensor Select(long dim, long index) => Check.Result(NativeMethods.symm_tensor_select(Handle, dim, index, out var r), r, "select");

    /// <summary>The view of <paramref name="length"/> elements from <paramref name="start"/> along <paramref name="dim"/>.</summary>
    public Tensor Narrow(long dim, long start, long length) =>
        Check.Result(NativeMethods.symm_tensor_narrow(Handle, dim, start, length, out var r), r, "narrow");

    /// <summary>Python-style slice <c>[start:end:step]</c> along <paramref name="dim"/>; end is clamped to the size.</summary>
    public Tensor Slice(long dim, long start, long end = long.MaxValue, long step = 1) =>
        Check.Result(NativeMethods.symm_tensor_slice(Handle, dim, start, end, step, out var r), r, "slice");

    /// <summary>Entries at the int64 <paramref name="index"/> positions along <paramref name="dim"/>.</summary>
    public Tensor IndexSelect(long dim, Tensor index) =>
        Check.Result(NativeMethods.symm_tensor_index_select(Handle, dim, index.Handle, out var r), r, "index_select");

    /// <summary>out[i][j] = this[index[i][j]][j] for dim 0 (and so on), as <c>torch.gather</c>.</summary>
    public Tensor Gather(long dim, Tensor index) =>
        Check.Result(NativeMethods.symm_tensor_gather(Handle, dim, index.Handle, out var r), r, "gather");

    /// <summary>A copy with <paramref name="source"/> written at <paramref name="index"/> along <paramref name="dim"/>, as <c>torch.scatter</c>.</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor source) =>
        Check.Result(NativeMethods.symm_tensor_scatter(Handle, dim, index.Handle, source.Handle, 0, out var r), r, "scatter");

    /// <summary>A copy with <paramref name="value"/> written at <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Tensor Scatter(long dim, Tensor index, double value) =>
        Check.Result(NativeMethods.symm_tensor_scatter_value(Handle, dim, index.Handle, value, 0, out var r), r, "scatter");

    /// <summary>A copy with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value) =>
        Check.Result(NativeMethods.symm_tensor_masked_fill(Handle, mask.Handle, value, 0, out var r), r, "masked_fill");

    /// <summary>The elements where <paramref name="mask"/> is true, as a vector.</summary>
    public Tensor MaskedSelect(Tensor mask) =>
        Check.Result(NativeMethods.symm_tensor_masked_select(Handle, mask.Handle, out var r), r, "masked_select");

    /// <summary>Indices of non-zero elements, shape (count, rank).</summary>
    public Tensor Nonzero() => Check.Result(NativeMethods.symm_tensor_nonzero(Handle, out var r), r, "nonzero");

    /// <summary>Sorted values and their original indices along <paramref name="dim"/>. With <paramref name="stable"/>,
    /// equal elements keep their order.</summary>
    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false, bool stable = false)
    {
        Check.Status(NativeMethods.symm_tensor_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, out var v, out var i), "sort");
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Indices that sort the tensor along <paramref name="dim"/>.</summary>
    public Tensor Argsort(long dim = -1, bool descending = false, bool stable = false)
    {
        var (values, indices) = Sort(dim, descending, stable);
        values.Dispose();
        return indices;
    }

    /// <summary>The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their indices.</summary>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Check.Status(NativeMethods.symm_tensor_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var v, out var i), "topk");
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>The <paramref name="k"/>-th smallest value (1-based) along <paramref name="dim"/> and its index.</summary>
    public (Tensor Values, Tensor Indices) KthValue(long k, long dim = -1, bool keepDim = false)
    {
        Check.Status(NativeMethods.symm_tensor_kthvalue(Handle, k, dim, keepDim ? 1 : 0, out var v, out var i), "kthvalue");
        return (new Tensor(v), new Tensor(i));
    }
}
