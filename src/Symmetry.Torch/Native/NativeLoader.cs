using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Symmetry.Torch.Native;

/// <summary>Finds libsymm_native.so for dotnet test, dotnet run and dotnet fsi alike, and refuses a native
/// library built for another ABI version.</summary>
internal static class NativeLoader
{
    private const string FileName = "libsymm_native.so";
    private const string OverrideVariable = "SYMMETRY_NATIVE";

    // A library has to register its resolver before its first P/Invoke, whoever loads it (test host, fsi, app).
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLoader).Assembly, Resolve);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != NativeMethods.Library) return IntPtr.Zero;
        var candidates = Candidates().ToList();
        var path = candidates.FirstOrDefault(File.Exists)
            ?? throw new DllNotFoundException(
                $"Symmetry's native library {FileName} was not found. Looked in: {string.Join(", ", candidates)}. " +
                $"Build it with `dotnet fsi build.fsx build` (after `dotnet fsi build.fsx setup`), " +
                $"or point {OverrideVariable} at a built {FileName}.");
        IntPtr library;
        try
        {
            library = NativeLibrary.Load(path);
        }
        catch (DllNotFoundException error)
        {
            throw new DllNotFoundException(
                $"{path} exists but could not be loaded ({error.Message}). libtorch or OpenBLAS is probably missing: " +
                "run `dotnet fsi build.fsx setup` (as root it installs libtorch-dev and libopenblas0-pthread), " +
                "or set LD_LIBRARY_PATH to the libtorch the shim was built against.", error);
        }
        CheckAbi(library, path);
        return library;
    }

    private static unsafe void CheckAbi(IntPtr library, string path)
    {
        var version = ((delegate* unmanaged<int>)NativeLibrary.GetExport(library, "symm_version"))();
        if (version != NativeMethods.AbiVersion)
            throw new DllNotFoundException(
                $"{path} speaks shim ABI version {version}, but this Symmetry.Torch needs version {NativeMethods.AbiVersion}. " +
                "Rebuild the shim with `dotnet fsi build.fsx build`.");
    }

    private static IEnumerable<string> Candidates()
    {
        var explicitPath = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath)) yield return explicitPath;
        var assemblyDirectory = Path.GetDirectoryName(typeof(NativeLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDirectory)) yield return Path.Combine(assemblyDirectory, FileName);
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
        // A script run from anywhere inside the repository finds the build output.
        foreach (var start in new[] { assemblyDirectory, Environment.CurrentDirectory })
            for (var directory = start; !string.IsNullOrEmpty(directory); directory = Path.GetDirectoryName(directory))
                yield return Path.Combine(directory, "build", "native", FileName);
    }
}
