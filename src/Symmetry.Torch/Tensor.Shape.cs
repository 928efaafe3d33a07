using Symmetry.Torch.Native;

namespace Symmetry.Torch;

// Views and shape changes.
public sealed partial class Tensor
{
    /// <summary>The same elements in a new shape (one size may be −1); copies only when it must.</summary>
    public unsafe Tensor Reshape(params long[] shape)
    {
        fixed (long* s = shape)
            return Check.Result(NativeMethods.symm_tensor_reshape(Handle, s, shape.Length, out var r), r, "reshape");
    }

    /// <summary>A view with a new shape; fails when the memory layout does not allow one.</summary>
    public unsafe Tensor View(params long[] shape)
    {
        fixed (long* s = shape)
            return Check.Result(NativeMethods.symm_tensor_view(Handle, s, shape.Length, out var r), r, "view");
    }

    /// <summary>Broadcasts size-1 dimensions to <paramref name="shape"/> without copying (−1 keeps a size).</summary>
    public unsafe Tensor Expand(params long[] shape)
    {
        fixed (long* s = shape)
            return Check.Result(NativeMethods.symm_tensor_expand(Handle, s, shape.Length, out var r), r, "expand");
    }

    /// <summary>Reorders dimensions.</summary>
    public unsafe Tensor Permute(params long[] dims)
    {
        fixed (long* d = dims)
            return Check.Result(NativeMethods.symm_tensor_permute(Handle, d, dims.Length, out var r), r, "permute");
    }

    /// <summary>Tiles the tensor <paramref name="repeats"/> times along each dimension.</summary>
    public unsafe Tensor Repeat(params long[] repeats)
    {
        fixed (long* d = repeats)
            return Check.Result(NativeMethods.symm_tensor_repeat(Handle, d, repeats.Length, out var r), r, "repeat");
    }

    /// <summary>Reverses the order of elements along <paramref name="dims"/>.</summary>
    public unsafe Tensor Flip(params long[] dims)
    {
        fixed (long* d = dims)
            return Check.Result(NativeMethods.symm_tensor_flip(Handle, d, dims.Length, out var r), r, "flip");
    }

    /// <summary>Swaps two dimensions.</summary>
    public Tensor Transpose(long dim0, long dim1) =>
        Check.Result(NativeMethods.symm_tensor_transpose(Handle, dim0, dim1, out var r), r, "transpose");

    /// <summary>Transpose of a matrix.</summary>
    public Tensor T() => Transpose(0, 1);

    /// <summary>Merges dimensions <paramref name="startDim"/> … <paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(long startDim = 0, long endDim = -1) =>
        Check.Result(NativeMethods.symm_tensor_flatten(Handle, startDim, endDim, out var r), r, "flatten");

    /// <summary>Removes size-1 dimensions (only <paramref name="dim"/> when given).</summary>
    public Tensor Squeeze(long? dim = null) =>
        Check.Result(NativeMethods.symm_tensor_squeeze(Handle, dim.HasValue ? 1 : 0, dim ?? 0, out var r), r, "squeeze");

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(long dim) => Check.Result(NativeMethods.symm_tensor_unsqueeze(Handle, dim, out var r), r, "unsqueeze");

    /// <summary>Splits into <paramref name="chunks"/> nearly equal views along <paramref name="dim"/> (the last may be smaller).</summary>
    public unsafe Tensor[] Chunk(long chunks, long dim = 0)
    {
        if (chunks < 1) throw new ArgumentOutOfRangeException(nameof(chunks), "chunk count must be at least 1");
        var pointers = new IntPtr[chunks];
        int count;
        fixed (IntPtr* p = pointers)
            Check.Status(NativeMethods.symm_tensor_chunk(Handle, chunks, dim, p, pointers.Length, out count), "chunk");
        return pointers.Take(count).Select(p => new Tensor(p)).ToArray();
    }
}
