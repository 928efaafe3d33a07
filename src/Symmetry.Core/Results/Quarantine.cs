using System.Globalization;

namespace Symmetry.Core.Results;

/// <summary>Sets damaged files aside instead of deleting them (a person may want to look at them) and says so on
/// standard error: a warning, not an error, since the run goes on without the file.</summary>
public static class Quarantine
{
    /// <summary>The suffix of a quarantined file: <c>{name}.corrupt-{UTC time}</c>, beside the original.</summary>
    public const string Suffix = ".corrupt-";

    /// <summary>Renames <paramref name="path"/> to <c>{path}.corrupt-{UTC time}</c> (a counter added if taken) and
    /// returns the new path.</summary>
    public static string MoveAside(string path)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        var target = path + Suffix + stamp;
        for (var n = 2; File.Exists(target); n++) target = $"{path}{Suffix}{stamp}-{n}";
        File.Move(path, target);
        return target;
    }

    /// <summary>Writes <c>warning: message</c> on standard error.</summary>
    public static void Warn(string message) => Console.Error.WriteLine($"warning: {message}");
}
