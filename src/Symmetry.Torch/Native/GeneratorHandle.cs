using System.Runtime.InteropServices;

namespace Symmetry.Torch.Native;

/// <summary>Owns one native generator (few are made, so a SafeHandle's cost does not matter here).</summary>
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
