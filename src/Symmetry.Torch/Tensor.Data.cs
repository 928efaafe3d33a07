using System.Runtime.InteropServices;
using Symmetry.Torch.Native;

namespace Symmetry.Torch;

// Copying data out to .NET.
public sealed partial class Tensor
{
    /// <summary>The elements in row-major order. <typeparamref name="T"/> must match <see cref="DType"/>
    /// (convert first with <see cref="To(DType)"/>).</summary>
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        var (dtype, _, _, numel) = Info();
        if (dtype.ClrType() != typeof(T))
            throw new InvalidOperationException($"tensor has dtype {dtype}; read it as {dtype.ClrType().Name}[] or convert with .To(DType.{DTypes.FromClrType(typeof(T))}) first");
        var result = new T[numel];
        fixed (T* destination = result)
            Check.Status(NativeMethods.symm_tensor_copy_out(Handle, destination, numel * sizeof(T)), "copy_out");
        return result;
    }

    /// <summary>The elements as a .NET array of the tensor's rank and element type (rank 0 gives a one-element vector).</summary>
    public unsafe Array ToArray()
    {
        var shape = Shape;
        var (dtype, _, _, numel) = Info();
        var lengths = shape.Length == 0 ? new[] { 1 } : shape.Select(s => checked((int)s)).ToArray();
        var result = Array.CreateInstance(dtype.ClrType(), lengths);
        var pin = GCHandle.Alloc(result, GCHandleType.Pinned);
        try
        {
            Check.Status(NativeMethods.symm_tensor_copy_out(Handle, (void*)pin.AddrOfPinnedObject(), numel * dtype.ElementSize()), "copy_out");
        }
        finally
        {
            pin.Free();
        }
        return result;
    }

    /// <summary>The value of a one-element tensor as a double.</summary>
    public double ToDouble()
    {
        Check.Status(NativeMethods.symm_tensor_item_double(Handle, out var value), "item");
        return value;
    }

    /// <summary>The value of a one-element tensor as a float.</summary>
    public float ToSingle() => (float)ToDouble();

    /// <summary>The value of a one-element tensor as a long.</summary>
    public long ToInt64()
    {
        Check.Status(NativeMethods.symm_tensor_item_int64(Handle, out var value), "item");
        return value;
    }

    /// <summary>The value of a one-element tensor as a bool.</summary>
    public bool ToBoolean() => ToInt64() != 0;
}
