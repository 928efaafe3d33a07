namespace Symmetry.Torch.Serialization;

/// <summary>A safetensors file could not be read or written: it is missing, truncated, malformed, or the
/// file system refused the write. The message names the file and what is wrong with it.</summary>
public sealed class SafeTensorsException : IOException
{
    /// <summary>Creates the exception for the file at <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The safetensors file concerned (as the caller named it).</param>
    /// <param name="reason">What is wrong, e.g. <c>header length 96 runs past the end of the file (40 bytes)</c>.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public SafeTensorsException(string filePath, string reason, Exception? inner = null)
        : base($"safetensors file '{filePath}': {reason}", inner)
    {
        FilePath = filePath;
        Reason = reason;
    }

    /// <summary>The file concerned.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Reason { get; }
}
