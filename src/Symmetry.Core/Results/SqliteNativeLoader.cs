using System.Reflection;
using System.Runtime.InteropServices;

namespace Symmetry.Core.Results;

/// <summary>
/// Lets SQLite's native library be found from hosts that do not read the app's deps.json, such as <c>dotnet fsi</c>
/// loading Symmetry.Core with <c>#r</c>: the package puts it under <c>runtimes/&lt;rid&gt;/native/</c> beside the
/// assemblies, which only the regular app host probes.
/// </summary>
internal static class SqliteNativeLoader
{
    private const string LibraryName = "e_sqlite3";

    /// <summary>Registers the fallback on the SQLite provider assembly (once; a second registration is ignored).</summary>
    internal static void Register(Assembly providerAssembly)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(providerAssembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Someone registered a resolver first; theirs stands.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibraryName) return IntPtr.Zero;
        if (NativeLibrary.TryLoad(name, assembly, searchPath, out var handle)) return handle;
        var directory = Path.GetDirectoryName(assembly.Location);
        if (string.IsNullOrEmpty(directory)) return IntPtr.Zero;
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        foreach (var rid in new[] { $"linux-{architecture}", $"linux-musl-{architecture}" })
        {
            var candidate = Path.Combine(directory, "runtimes", rid, "native", $"lib{LibraryName}.so");
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out handle)) return handle;
        }
        return IntPtr.Zero;
    }
}
