namespace Symmetry.Core.Training;

/// <summary>A training checkpoint cannot be used: unreadable, truncated, failing its checksum, or not a checkpoint.
/// Thrown before the trainer is touched, so the caller may set the file aside and resume from an older one.</summary>
public sealed class CorruptCheckpointException : IOException
{
    /// <summary>Creates the exception for the checkpoint at <paramref name="path"/>.</summary>
    public CorruptCheckpointException(string path, string reason, Exception? inner = null)
        : base($"checkpoint {path}: {reason}", inner)
    {
        FilePath = path;
        Reason = reason;
    }

    /// <summary>The checkpoint file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; }
}
