using System.Runtime.InteropServices;

namespace Symmetry.Torch;

/// <summary>
/// libtorch's process-wide switch for oneDNN (MKL-DNN) kernels on the CPU, PyTorch's
/// <c>torch.backends.mkldnn.enabled</c>, which TorchSharp 0.107 does not bind. Off, convolutions fall back to ATen's
/// own kernels (im2col and BLAS): slower, and unaffected by <see cref="ConvGradientGuard"/>'s oneDNN defect.
/// </summary>
/// <remarks>Bound by the C++ names of <c>at::globalContext()</c> and <c>at::Context::(set)userEnabledMkldnn</c> in
/// <c>libtorch_cpu.so</c> (Itanium ABI, Linux x64); elsewhere the switch reads as on and cannot be turned off.</remarks>
public static partial class Mkldnn
{
    private const string LibTorchCpu = "libtorch_cpu.so";

    /// <summary>Whether the switch can be read and set on this platform.</summary>
    public static bool Supported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Whether libtorch may use oneDNN kernels (libtorch's default: true).</summary>
    /// <exception cref="PlatformNotSupportedException">Setting it where <see cref="Supported"/> is false.</exception>
    public static bool Enabled
    {
        get
        {
            if (!Supported) return true;
            TorchRuntime.Ensure();
            return UserEnabledMkldnn(GlobalContext()) != 0;
        }
        set
        {
            if (!Supported) throw new PlatformNotSupportedException("the oneDNN switch is bound only on Linux x64");
            TorchRuntime.Ensure();
            SetUserEnabledMkldnn(GlobalContext(), value ? (byte)1 : (byte)0);
        }
    }

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    private static partial byte UserEnabledMkldnn(IntPtr context);

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static partial void SetUserEnabledMkldnn(IntPtr context, byte enabled);
}
