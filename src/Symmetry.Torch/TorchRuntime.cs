using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Symmetry.Torch;

/// <summary>
/// The one way this project loads TorchSharp's natives (design rule 2). Call <see cref="Ensure"/> before the first
/// TorchSharp call, from compiled apps, tests and <c>dotnet fsi</c> alike.
/// </summary>
/// <remarks>
/// On Linux the natives are loaded by full path, in dependency order, so that a by-name lookup can never pick up
/// another libtorch on the machine (Debian's <c>libtorch-dev</c> ships <c>libtorch_cpu.so</c> 1.13 in the default
/// search path; the NuGet copies have unversioned sonames, so once loaded they satisfy every later by-name load).
/// Search order: <c>SYMMETRY_TORCH_NATIVES</c> (one folder holding every file), the app folder's
/// <c>runtimes/linux-x64/native</c> (published apps), then the NuGet package folders recorded at build time.
/// </remarks>
public static class TorchRuntime
{
    /// <summary>Environment variable naming one folder that holds libtorch's and TorchSharp's natives.</summary>
    public const string NativesVariable = "SYMMETRY_TORCH_NATIVES";

    /// <summary>The command that restores the packages and makes TorchSharp loadable on this machine.</summary>
    public const string SetupCommand = "dotnet fsi build.fsx setup";

    // Dependency order: each file's NEEDED entries are loaded before it.
    private static readonly string[] LinuxLibTorch = ["libgomp-98b21ff3.so.1", "libc10.so", "libtorch_cpu.so", "libtorch.so"];
    private const string LinuxTorchSharp = "libLibTorchSharp.so";

    private static readonly Lock gate = new();
    private static bool loaded;

    /// <summary>The folders the natives were loaded from (empty before <see cref="Ensure"/>, or off Linux).</summary>
    public static IReadOnlyList<string> NativeFolders { get; private set; } = [];

    /// <summary>Loads TorchSharp's natives once (thread-safe, idempotent) and applies the allocator setting.</summary>
    /// <exception cref="TorchRuntimeException">A native file is missing or cannot be loaded; the message names the
    /// file and the command to run.</exception>
    public static void Ensure()
    {
        if (Volatile.Read(ref loaded)) return;
        lock (gate)
        {
            if (loaded) return;
            Allocator.KeepLargeFreedBlocks();
            if (OperatingSystem.IsLinux()) LoadLinux();
            if (!torch.TryInitializeDeviceType(DeviceType.CPU))
                throw new TorchRuntimeException($"TorchSharp could not initialise its CPU backend; run `{SetupCommand}`");
            Volatile.Write(ref loaded, true);
        }
    }

    /// <summary>Tensors TorchSharp holds alive right now (every thread): the leak watch's counter.</summary>
    public static long LiveTensors => torch.Tensor.TotalCount;

    private static void LoadLinux()
    {
        var (libtorchDir, torchSharpDir) = FindLinuxFolders();
        foreach (var file in LinuxLibTorch) Load(Path.Combine(libtorchDir, file));
        Load(Path.Combine(torchSharpDir, LinuxTorchSharp));
        NativeFolders = libtorchDir == torchSharpDir ? [libtorchDir] : [libtorchDir, torchSharpDir];
    }

    private static (string LibTorch, string TorchSharp) FindLinuxFolders()
    {
        if (Environment.GetEnvironmentVariable(NativesVariable) is { Length: > 0 } chosen)
        {
            if (!Directory.Exists(chosen))
                throw new TorchRuntimeException($"{NativesVariable}={chosen} does not exist; unset it or point it at a folder holding libtorch_cpu.so and {LinuxTorchSharp}");
            return (chosen, chosen);
        }
        var published = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        if (File.Exists(Path.Combine(published, LinuxTorchSharp)) && File.Exists(Path.Combine(published, "libtorch_cpu.so")))
            return (published, published);
        var recorded = typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value ?? "");
        return (Recorded(recorded, "Symmetry.LibTorchNatives"), Recorded(recorded, "Symmetry.TorchSharpNatives"));
    }

    private static string Recorded(Dictionary<string, string> recorded, string key)
    {
        var folder = recorded.GetValueOrDefault(key, "");
        // The package folder recorded at build time; NUGET_PACKAGES or a moved home may have changed it since.
        if (Directory.Exists(folder)) return folder;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var marker = folder.Replace('\\', '/').Split("/packages/") is [_, .., var tail] ? tail : "";
        var moved = marker.Length > 0 ? Path.Combine(packages, marker) : "";
        return Directory.Exists(moved)
            ? moved
            : throw new TorchRuntimeException($"TorchSharp's natives are not restored (looked in '{folder}'); run `{SetupCommand}`");
    }

    private static void Load(string file)
    {
        if (!File.Exists(file))
            throw new TorchRuntimeException($"missing native library {file}; run `{SetupCommand}`");
        try
        {
            NativeLibrary.Load(file);
        }
        catch (DllNotFoundException e)
        {
            var hint = e.Message.Contains("GLIBCXX", StringComparison.Ordinal)
                ? $" (this system's libstdc++ is older than the library expects: `{SetupCommand}` marks that requirement weak)"
                : "";
            throw new TorchRuntimeException($"cannot load {file}{hint}; run `{SetupCommand}`. Loader said: {e.Message}", e);
        }
    }
}

/// <summary>TorchSharp's natives are missing or unloadable; the message says what to run.</summary>
public sealed class TorchRuntimeException(string message, Exception? inner = null) : Exception(message, inner);
