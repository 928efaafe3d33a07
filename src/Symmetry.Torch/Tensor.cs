using Symmetry.Torch.Native;

namespace Symmetry.Torch;

/// <summary>
/// A libtorch tensor. Each instance owns one native reference and is freed by <see cref="Dispose"/> or by the
/// <see cref="TensorScope"/> that was current when it was created. Every operation, in-place ones included,
/// returns a new <see cref="Tensor"/> (for in-place ops, a new reference to the same storage).
/// </summary>
/// <remarks>There is deliberately no finalizer (design rule 1: a finalizer that has to free a tensor is a bug, and
/// being finalizable costs every tensor ~80 ns): a tensor that is neither disposed nor scoped leaks, and the live-tensor
/// counters that the tests watch show it.</remarks>
public sealed partial class Tensor : IDisposable
{
    private static long live;
    private IntPtr handle;

    internal Tensor(IntPtr pointer)
    {
        handle = pointer;
        Interlocked.Increment(ref live);
        TensorScope.Adopt(this);
    }

    /// <summary>Tensor references held from .NET right now.</summary>
    internal static long LiveCount => Interlocked.Read(ref live);

    /// <summary>The scope that will dispose this tensor, or null when the caller owns it.</summary>
    internal TensorScope? Owner { get; set; }

    internal IntPtr Handle => handle != IntPtr.Zero
        ? handle
        : throw new ObjectDisposedException(nameof(Tensor), "tensor used after it was disposed (its scope ended?)");

    /// <summary>True once the native reference has been released.</summary>
    public bool IsDisposed => handle == IntPtr.Zero;

    /// <summary>Releases the native reference now. Safe to call more than once.</summary>
    public void Dispose()
    {
        Owner = null;
        var pointer = Interlocked.Exchange(ref handle, IntPtr.Zero);
        if (pointer == IntPtr.Zero) return;
        NativeMethods.symm_tensor_free(pointer);
        Interlocked.Decrement(ref live);
    }

    /// <summary>Takes this tensor out of its scope: the caller now owns it and must dispose it.</summary>
    /// <remarks>Not to be confused with <see cref="Detach"/>, which cuts the autograd graph.</remarks>
    public Tensor DetachFromScope()
    {
        Owner = null;
        return this;
    }

    /// <summary>The size of each dimension.</summary>
    public unsafe long[] Shape
    {
        get
        {
            var rank = Rank;
            var shape = new long[rank];
            fixed (long* buffer = shape)
                Check.Status(NativeMethods.symm_tensor_shape(Handle, buffer, rank), "shape");
            return shape;
        }
    }

    /// <summary>The size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var shape = Shape;
        var wrapped = dim < 0 ? dim + shape.Length : dim;
        if (wrapped < 0 || wrapped >= shape.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} is out of range for a tensor of rank {shape.Length}");
        return shape[wrapped];
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank
    {
        get
        {
            Check.Status(NativeMethods.symm_tensor_ndim(Handle, out var ndim), "ndim");
            return (int)ndim;
        }
    }

    /// <summary>Number of elements.</summary>
    public long NumEl => Info().NumEl;

    /// <summary>The element type.</summary>
    public DType DType => Info().DType;

    /// <summary>The device holding the data.</summary>
    public Device Device => Info().Device;

    private (DType DType, Device Device, bool RequiresGrad, long NumEl) Info()
    {
        Check.Status(NativeMethods.symm_tensor_info(Handle, out var dtype, out var deviceType, out var deviceIndex,
            out var requiresGrad, out var numel), "info");
        return ((DType)dtype, new Device((DeviceType)deviceType, deviceIndex), requiresGrad != 0, numel);
    }

    /// <summary>Moves or converts to <paramref name="device"/>; returns a new reference to the same data when nothing changes.</summary>
    public Tensor To(Device device) => ToImpl(-1, device, copy: false);

    /// <summary>Converts to <paramref name="dtype"/>.</summary>
    public Tensor To(DType dtype) => ToImpl((int)dtype, null, copy: false);

    /// <summary>Converts to <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public Tensor To(Device device, DType dtype) => ToImpl((int)dtype, device, copy: false);

    private Tensor ToImpl(int dtype, Device? device, bool copy) =>
        Check.Result(NativeMethods.symm_tensor_to(Handle, dtype, device is { } d ? (int)d.Type : -1, device?.Index ?? 0,
            copy ? 1 : 0, out var result), result, "to");

    /// <summary>A copy with its own storage (part of the autograd graph).</summary>
    public Tensor Clone() => Check.Result(NativeMethods.symm_tensor_clone(Handle, out var r), r, "clone");

    /// <summary>A contiguous version (the same tensor when already contiguous).</summary>
    public Tensor Contiguous() => Check.Result(NativeMethods.symm_tensor_contiguous(Handle, out var r), r, "contiguous");

    /// <summary>A second reference to the same tensor, owned separately (by the current scope).</summary>
    public Tensor Alias() => Check.Result(NativeMethods.symm_tensor_alias(Handle, out var r), r, "alias");

    /// <summary>Copies <paramref name="source"/> into this tensor (broadcasting, converting dtype and device).</summary>
    public Tensor CopyFrom(Tensor source) =>
        Check.Result(NativeMethods.symm_tensor_copy_(Handle, source.Handle, out var r), r, "copy_");

    /// <inheritdoc />
    public override string ToString() => TensorFormatter.Format(this);
}
