using System.Runtime.InteropServices;

namespace Symmetry.Torch.Native;

/// <summary>Owns one native tensor reference. Released exactly once, normally by <see cref="Tensor.Dispose"/>
/// or by the scope that owns the tensor; a release from the finalizer is counted as a leak.</summary>
internal sealed class TensorHandle : SafeHandle
{
    private static long live;
    private static long finalized;

    /// <summary>A handle standing for "no tensor" (an optional argument left out). Never released.</summary>
    internal static readonly TensorHandle Null = new();

    private TensorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal TensorHandle(IntPtr pointer) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(pointer);
        Interlocked.Increment(ref live);
    }

    /// <summary>Native tensor references currently held from .NET.</summary>
    internal static long Live => Interlocked.Read(ref live);

    /// <summary>Tensors that were never disposed and had to be freed by the finalizer.</summary>
    internal static long Finalized => Interlocked.Read(ref finalized);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.symm_tensor_free(handle);
        Interlocked.Decrement(ref live);
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing && !IsInvalid && !IsClosed) Interlocked.Increment(ref finalized);
        base.Dispose(disposing);
    }
}

/// <summary>Owns one native generator.</summary>
internal sealed class GeneratorHandle : SafeHandle
{
    /// <summary>A handle standing for "the device's global generator". Never released.</summary>
    internal static readonly GeneratorHandle Null = new();

    private GeneratorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal GeneratorHandle(IntPtr pointer) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(pointer);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.symm_generator_free(handle);
        return true;
    }
}
