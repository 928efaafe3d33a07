using System.Diagnostics;
using System.Globalization;

namespace Symmetry.Torch.Serialization;

/// <summary>
/// The temporary files of atomic writes (write, flush, rename): <c>{path}.tmp-{pid}-{guid}</c>. The writer's process id
/// in the name lets a later open tell a killed writer's leftover (its process is gone) from a live writer's file.
/// </summary>
public static class TemporaryFiles
{
    /// <summary>What every temporary name has between the target's name and the writer's id.</summary>
    public const string Infix = ".tmp-";

    /// <summary>A fresh temporary name beside <paramref name="path"/> for a write by this process.</summary>
    public static string PathBeside(string path) =>
        string.Create(CultureInfo.InvariantCulture, $"{path}{Infix}{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>Deletes the temporary files in <paramref name="directory"/> (not its subfolders) whose writer is gone:
    /// its process id names no live process, or the name has no process id (written before ids were recorded).
    /// Returns the paths deleted; a file that cannot be deleted is left.</summary>
    public static IReadOnlyList<string> DeleteStale(string directory)
    {
        var deleted = new List<string>();
        if (!Directory.Exists(directory)) return deleted;
        foreach (var file in Directory.EnumerateFiles(directory, "*" + Infix + "*"))
        {
            if (WriterOf(Path.GetFileName(file)) is { } pid && IsAlive(pid)) continue;
            try
            {
                File.Delete(file);
                deleted.Add(file);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return deleted;
    }

    /// <summary>The writer's process id in a temporary file's name, or null when it has none.</summary>
    internal static int? WriterOf(string fileName)
    {
        var at = fileName.LastIndexOf(Infix, StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = fileName[(at + Infix.Length)..];
        var dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
