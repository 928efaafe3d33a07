namespace Symmetry.Core.Data;

/// <summary>A data file that is missing, truncated or not in the expected format. The message names the file.</summary>
public sealed class DataFormatException(string path, string problem)
    : Exception($"{path}: {problem}")
{
    /// <summary>The offending file.</summary>
    public string Path { get; } = path;
}
