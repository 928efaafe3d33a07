using System.Globalization;

namespace Symmetry.Core.Results;

/// <summary>
/// A process's claim on a run while it trains it: an exclusive lock on <c>leases/&lt;run-id&gt;.lock</c> beside the
/// database (the operating system's file lock, so a killed process releases it with no stale lease to clean), and
/// <c>&lt;run-id&gt;.owner</c> naming the holder's process id for the message another process prints.
/// </summary>
public sealed class RunLease : IDisposable
{
    /// <summary>How long <see cref="Acquire"/> retries a held lock before giving up: long enough to ride out another
    /// process's momentary probe (<see cref="IsHeld"/>), short enough not to look like a hang.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    private readonly FileStream lockFile;

    private RunLease(string runId, FileStream lockFile)
    {
        RunId = runId;
        this.lockFile = lockFile;
    }

    /// <summary>The leased run.</summary>
    public string RunId { get; }

    /// <summary>Takes the lease on <paramref name="runId"/> in <paramref name="directory"/>.</summary>
    /// <exception cref="RunLeasedException">Another process (or another store object) holds it.</exception>
    internal static RunLease Acquire(string directory, string runId)
    {
        Directory.CreateDirectory(directory);
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (TryLock(LockPath(directory, runId)) is { } stream)
            {
                File.WriteAllText(OwnerPath(directory, runId),
                    string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {Environment.MachineName} {DateTime.UtcNow:O}\n"));
                return new RunLease(runId, stream);
            }
            if (DateTime.UtcNow > deadline) throw new RunLeasedException(runId, Owner(directory, runId));
            Thread.Sleep(100);
        }
    }

    /// <summary>Whether some process (this one included) holds the lease on <paramref name="runId"/> now.</summary>
    internal static bool IsHeld(string directory, string runId)
    {
        var path = LockPath(directory, runId);
        if (!File.Exists(path)) return false;
        using var probe = TryLock(path);
        return probe is null;
    }

    /// <summary>Releases the lease (the lock file stays, for the next holder).</summary>
    public void Dispose() => lockFile.Dispose();

    private static FileStream? TryLock(string path)
    {
        try
        {
            // FileShare.None takes an exclusive flock on Unix and a share-mode lock on Windows; both die with the process.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    private static string? Owner(string directory, string runId)
    {
        try
        {
            return File.ReadAllText(OwnerPath(directory, runId)).Split(' ')[0].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string LockPath(string directory, string runId) => Path.Combine(directory, runId + ".lock");
    private static string OwnerPath(string directory, string runId) => Path.Combine(directory, runId + ".owner");
}

/// <summary>Another process is training the run right now.</summary>
public sealed class RunLeasedException(string runId, string? ownerPid)
    : IOException($"run {runId} is being trained by {(ownerPid is null ? "another process" : "PID " + ownerPid)}: wait for it to finish (then rerun to reuse its result) or stop that process")
{
    /// <summary>The run.</summary>
    public string RunId { get; } = runId;
}
