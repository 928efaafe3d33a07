using System.Runtime.InteropServices;
using Symmetry.Torch.Native;

namespace Symmetry.Torch;

/// <summary>Entry point of the binding: scopes, runtime settings and diagnostics. Creation functions are in
/// <c>Torch.Creation.cs</c>, random draws in <c>Torch.Random.cs</c>.</summary>
public static partial class Torch
{
    /// <summary>Opens a scope that disposes every tensor created on this thread until it ends.</summary>
    public static TensorScope NewScope() => new();

    /// <summary>Tensor references held from .NET right now (the number tests watch for leaks).</summary>
    public static long LiveTensors => Tensor.LiveCount;

    /// <summary>Tensor references the shim holds for .NET right now; equals <see cref="LiveTensors"/> unless a handle leaked.</summary>
    public static long NativeLiveTensors => NativeMethods.symm_live_tensors();

    /// <summary>The version of libtorch the shim was built against, e.g. <c>1.13.1</c>.</summary>
    public static unsafe string LibTorchVersion
    {
        get
        {
            var buffer = stackalloc byte[64];
            Check.Status(NativeMethods.symm_torch_version(buffer, 64), "torch_version");
            return Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "";
        }
    }

    /// <summary>The shim's ABI version.</summary>
    public static int NativeAbiVersion => NativeMethods.symm_version();

    /// <summary>Intra-op threads libtorch uses.</summary>
    public static int ThreadCount
    {
        get
        {
            Check.Status(NativeMethods.symm_threads_get(out var count), "get_num_threads");
            return count;
        }
    }

    /// <summary>Sets libtorch's intra-op thread count until the returned guard is disposed.</summary>
    public static IDisposable Threads(int count)
    {
        var previous = ThreadCount;
        Check.Status(NativeMethods.symm_threads_set(count), "set_num_threads");
        return new RestoreGuard(() => Check.Status(NativeMethods.symm_threads_set(previous), "set_num_threads"));
    }

    /// <summary>Sets libtorch's intra-op thread count for the rest of the process.</summary>
    public static void SetThreadCount(int count) =>
        Check.Status(NativeMethods.symm_threads_set(count), "set_num_threads");

    /// <summary>Makes libtorch use deterministic algorithms (and refuse ops that have none) until disposed.</summary>
    public static IDisposable Deterministic(bool enabled = true)
    {
        Check.Status(NativeMethods.symm_deterministic_set(enabled ? 1 : 0, out var previous), "set_deterministic");
        return new RestoreGuard(() => Check.Status(NativeMethods.symm_deterministic_set(previous, out _), "set_deterministic"));
    }

    /// <summary>Whether deterministic algorithms are on.</summary>
    public static bool IsDeterministic
    {
        get
        {
            Check.Status(NativeMethods.symm_deterministic_set(0, out var previous), "set_deterministic");
            Check.Status(NativeMethods.symm_deterministic_set(previous, out _), "set_deterministic");
            return previous != 0;
        }
    }

    /// <summary>Turns gradient recording off on this thread until the returned guard is disposed.</summary>
    public static IDisposable NoGrad() => SetGradMode(false);

    /// <summary>Turns gradient recording on on this thread until the returned guard is disposed.</summary>
    public static IDisposable EnableGrad() => SetGradMode(true);

    /// <summary>Whether operations on this thread record gradients.</summary>
    public static bool IsGradEnabled
    {
        get
        {
            Check.Status(NativeMethods.symm_autograd_grad_mode_set(1, out var previous), "grad_mode");
            Check.Status(NativeMethods.symm_autograd_grad_mode_set(previous, out _), "grad_mode");
            return previous != 0;
        }
    }

    private static IDisposable SetGradMode(bool enabled)
    {
        Check.Status(NativeMethods.symm_autograd_grad_mode_set(enabled ? 1 : 0, out var previous), "grad_mode");
        return new RestoreGuard(() => Check.Status(NativeMethods.symm_autograd_grad_mode_set(previous, out _), "grad_mode"));
    }

    private sealed class RestoreGuard(Action restore) : IDisposable
    {
        private Action? pending = restore;

        public void Dispose()
        {
            pending?.Invoke();
            pending = null;
        }
    }
}
