using System.Runtime.InteropServices;
using Symmetry.Torch.Native;

namespace Symmetry.Torch;

public static partial class Torch
{
    /// <summary>Uninitialised tensor.</summary>
    public static unsafe Tensor Empty(long[] shape, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Check.Result(NativeMethods.symm_tensor_empty(s, shape.Length, (int)dtype, (int)d.Type, d.Index, out var r), r, "empty");
    }

    /// <summary>Tensor filled with <paramref name="value"/>.</summary>
    public static unsafe Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Check.Result(NativeMethods.symm_tensor_full(s, shape.Length, value, (int)dtype, (int)d.Type, d.Index, out var r), r, "full");
    }

    /// <summary>Tensor of zeros.</summary>
    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 0, dtype, device);

    /// <summary>Tensor of ones.</summary>
    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    /// <summary>Zeros with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Shape, like.DType, like.Device);

    /// <summary>Ones with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.Shape, like.DType, like.Device);

    /// <summary>Values start, start+step, … below end (as <c>torch.arange</c>).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Check.Result(NativeMethods.symm_tensor_arange(start, end, step, (int)dtype, (int)d.Type, d.Index, out var r), r, "arange");
    }

    /// <summary>0, 1, …, end−1 as int64.</summary>
    public static Tensor Arange(long end, Device? device = null) => Arange(0, end, 1, DType.Int64, device);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor Linspace(double start, double end, long steps, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Check.Result(NativeMethods.symm_tensor_linspace(start, end, steps, (int)dtype, (int)d.Type, d.Index, out var r), r, "linspace");
    }

    /// <summary>Identity matrix with n rows and m columns (m defaults to n).</summary>
    public static Tensor Eye(long n, long? m = null, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Check.Result(NativeMethods.symm_tensor_eye(n, m ?? n, (int)dtype, (int)d.Type, d.Index, out var r), r, "eye");
    }

    /// <summary>A tensor holding a copy of a .NET array of any rank; dtype follows the element type.</summary>
    /// <example><c>Torch.FromArray(new float[,] { { 1, 2 }, { 3, 4 } })</c> has shape [2, 2].</example>
    public static Tensor FromArray(Array data, Device? device = null)
    {
        var shape = new long[data.Rank];
        for (var i = 0; i < shape.Length; i++) shape[i] = data.GetLength(i);
        return FromArray(data, shape, device);
    }

    /// <summary>A tensor of shape <paramref name="shape"/> holding a copy of <paramref name="data"/>'s elements in row-major order.</summary>
    public static unsafe Tensor FromArray(Array data, long[] shape, Device? device = null)
    {
        var elementType = data.GetType().GetElementType()
            ?? throw new ArgumentException("not an array of elements", nameof(data));
        var dtype = DTypes.FromClrType(elementType);
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.LongLength)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} elements but the array has {data.LongLength}", nameof(shape));
        var d = device ?? Device.Cpu;
        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            fixed (long* s = shape)
                return Check.Result(NativeMethods.symm_tensor_from_data((void*)pin.AddrOfPinnedObject(), data.LongLength * dtype.ElementSize(),
                    s, shape.Length, (int)dtype, (int)d.Type, d.Index, out var r), r, "from_array");
        }
        finally
        {
            pin.Free();
        }
    }

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full([], value, dtype, device);

    /// <summary>Concatenates along an existing dimension.</summary>
    public static unsafe Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, stack: false);

    /// <summary>Stacks along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, stack: true);

    private static unsafe Tensor Join(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        var pointers = tensors.Select(t => t.Handle).ToArray();
        fixed (IntPtr* p = pointers)
        {
            var status = stack
                ? NativeMethods.symm_tensor_stack(p, pointers.Length, dim, out var r)
                : NativeMethods.symm_tensor_cat(p, pointers.Length, dim, out r);
            return Check.Result(status, r, stack ? "stack" : "cat");
        }
    }

    /// <summary>Picks from <paramref name="a"/> where <paramref name="condition"/> is true, else from <paramref name="b"/>.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) =>
        Check.Result(NativeMethods.symm_tensor_where(condition.Handle, a.Handle, b.Handle, out var r), r, "where");
}
