using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Symmetry.Core.Results;

public sealed partial class ResultsStore
{
    private const string RunColumns =
        "id, kind, config_json, seed, status, created_at, started_at, finished_at, wall_seconds, " +
        "library_version, libtorch_version, threads, device, error, batched";

    /// <summary>
    /// Starts run <paramref name="id"/>, or finds it: a new id is created with status running; an existing interrupted
    /// (killed) or failed run is reopened for resume (status running, start time and runtime updated, error cleared);
    /// an existing finished run is left alone and reported so the caller can skip it. A run started or resumed is
    /// leased (<see cref="RunLease"/>) by this store object until <see cref="FinishRun"/>, <see cref="FailRun"/> or
    /// <see cref="Dispose"/>: another process beginning it meanwhile gets <see cref="RunLeasedException"/>.
    /// Stale temporary files in the run's checkpoint folder (a killed write's) are deleted then.
    /// </summary>
    /// <param name="id">Run id (stable across resumes, e.g. derived from the configuration).</param>
    /// <param name="kind">Experiment kind, e.g. <c>shuffled_mask</c>.</param>
    /// <param name="configJson">The run's full configuration as a JSON object.</param>
    /// <param name="seed">The run's master seed.</param>
    /// <param name="runtime">The runtime it executes in.</param>
    /// <exception cref="JsonException"><paramref name="configJson"/> is not JSON.</exception>
    /// <exception cref="InvalidOperationException">The id exists with another kind, seed or configuration.</exception>
    /// <exception cref="RunLeasedException">Another process is training the run.</exception>
    public RunStart BeginRun(string id, string kind, string configJson, ulong seed, RuntimeInfo runtime)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(runtime);
        using (JsonDocument.Parse(configJson)) { }
        ValidateRunIdAsFolder(id);
        var leased = false;
        lock (gate)
        {
            ThrowIfDisposed();
            if (!leases.ContainsKey(id))
            {
                leases[id] = RunLease.Acquire(LeasesDirectory, id);
                leased = true;
            }
        }
        try
        {
            var start = StartOrFind(id, kind, configJson, seed, runtime);
            if (start == RunStart.AlreadyFinished) ReleaseLease(id);
            else Symmetry.Torch.Serialization.TemporaryFiles.DeleteStale(Path.Combine(RootDirectory, "checkpoints", id));
            return start;
        }
        catch
        {
            if (leased) ReleaseLease(id);
            throw;
        }
    }

    private RunStart StartOrFind(string id, string kind, string configJson, ulong seed, RuntimeInfo runtime)
    {
        return Write(tx =>
        {
            var existing = ReadRun(tx, id);
            var now = Timestamp();
            if (existing is null)
            {
                using var insert = Command(tx,
                    $"INSERT INTO runs ({RunColumns}) VALUES " +
                    "($id, $kind, $config, $seed, 'running', $now, $now, NULL, NULL, $lib, $torch, $threads, $device, NULL, $batched)",
                    ("$id", id), ("$kind", kind), ("$config", configJson), ("$seed", unchecked((long)seed)), ("$now", now),
                    ("$lib", runtime.LibraryVersion), ("$torch", runtime.LibTorchVersion), ("$threads", runtime.Threads),
                    ("$device", runtime.Device), ("$batched", runtime.Batched ? 1 : 0));
                insert.ExecuteNonQuery();
                return RunStart.Created;
            }
            if (existing.Kind != kind || existing.Seed != seed || !JsonEquals(existing.ConfigJson, configJson))
                throw new InvalidOperationException(
                    $"run '{id}' already exists with a different {(existing.Kind != kind ? "kind" : existing.Seed != seed ? "seed" : "configuration")}" +
                    $" (stored: kind {existing.Kind}, seed {existing.Seed}, config {existing.ConfigJson})");
            if (existing.Status == RunStatus.Finished) return RunStart.AlreadyFinished;
            using var reopen = Command(tx,
                "UPDATE runs SET status = 'running', started_at = $now, finished_at = NULL, error = NULL, " +
                "library_version = $lib, libtorch_version = $torch, threads = $threads, device = $device, batched = $batched WHERE id = $id",
                ("$id", id), ("$now", now), ("$lib", runtime.LibraryVersion), ("$torch", runtime.LibTorchVersion),
                ("$threads", runtime.Threads), ("$device", runtime.Device), ("$batched", runtime.Batched ? 1 : 0));
            reopen.ExecuteNonQuery();
            return RunStart.Resumed;
        });
    }

    /// <summary>Marks a running run finished with its total wall time. The only way a run becomes finished.</summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    /// <exception cref="InvalidOperationException">The run is not running (already finished, or failed and not resumed).</exception>
    public void FinishRun(string runId, double wallSeconds) => WriteThen(tx =>
    {
        RequireRunning(tx, runId, "finish");
        using var update = Command(tx,
            "UPDATE runs SET status = 'finished', finished_at = $now, wall_seconds = $wall, error = NULL WHERE id = $id",
            ("$id", runId), ("$now", Timestamp()), ("$wall", DoubleValue(wallSeconds)));
        update.ExecuteNonQuery();
        return 0;
    }, then: () => ReleaseLease(runId));

    /// <summary>Marks a run failed with <paramref name="error"/>; <see cref="BeginRun"/> resumes it later.</summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    /// <exception cref="InvalidOperationException">The run already finished.</exception>
    public void FailRun(string runId, string error) => WriteThen(tx =>
    {
        var run = ReadRun(tx, runId) ?? throw new KeyNotFoundException($"results store: no run '{runId}'");
        if (run.Status == RunStatus.Finished)
            throw new InvalidOperationException($"run '{runId}' already finished; it cannot fail afterwards");
        using var update = Command(tx,
            "UPDATE runs SET status = 'failed', finished_at = $now, error = $error WHERE id = $id",
            ("$id", runId), ("$now", Timestamp()), ("$error", error));
        update.ExecuteNonQuery();
        return 0;
    }, then: () => ReleaseLease(runId));

    /// <summary>The run with this id, or null. A run the database calls running but no process leases is reported
    /// <see cref="RunStatus.Interrupted"/>.</summary>
    public RunRecord? GetRun(string id) => Read(tx => ReadRun(tx, id)) is { } run ? WithLiveStatus(run) : null;

    /// <summary>The runs, optionally of one kind and/or status, oldest first (statuses as <see cref="GetRun"/>).</summary>
    public IReadOnlyList<RunRecord> Runs(string? kind = null, RunStatus? status = null)
    {
        var stored = Read(tx =>
        {
            using var command = Command(tx,
                $"SELECT {RunColumns} FROM runs WHERE ($kind IS NULL OR kind = $kind) AND ($status IS NULL OR status = $status) " +
                "ORDER BY created_at, id",
                ("$kind", kind), ("$status", status is { } s ? StatusText(s) : null));
            using var reader = command.ExecuteReader();
            var runs = new List<RunRecord>();
            while (reader.Read()) runs.Add(ReadRunRow(reader));
            return runs;
        });
        return stored.Select(WithLiveStatus).Where(r => status is null || r.Status == status).ToList();
    }

    /// <summary>Where the run's leases are kept.</summary>
    private string LeasesDirectory => Path.Combine(RootDirectory, "leases");

    private RunRecord WithLiveStatus(RunRecord run) =>
        run.Status == RunStatus.Running && !RunLease.IsHeld(LeasesDirectory, run.Id) ? run with { Status = RunStatus.Interrupted } : run;

    private void ReleaseLease(string runId)
    {
        lock (gate)
        {
            if (leases.Remove(runId, out var lease)) lease.Dispose();
        }
    }

    private RunRecord? ReadRun(SqliteTransaction tx, string id)
    {
        using var command = Command(tx, $"SELECT {RunColumns} FROM runs WHERE id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRunRow(reader) : null;
    }

    /// <summary>Throws unless the run exists and is running: records of a finished run are write-once.</summary>
    private void RequireRunning(SqliteTransaction tx, string runId, string action)
    {
        using var command = Command(tx, "SELECT status FROM runs WHERE id = $id", ("$id", runId));
        var status = command.ExecuteScalar() as string
            ?? throw new KeyNotFoundException($"results store: no run '{runId}' (call BeginRun first)");
        if (status == "running") return;
        throw new InvalidOperationException(status == "finished"
            ? $"cannot {action}: run '{runId}' is finished and its records are write-once"
            : $"cannot {action}: run '{runId}' failed; call BeginRun to resume it first");
    }

    private static RunRecord ReadRunRow(SqliteDataReader r) => new(
        Id: r.GetString(0),
        Kind: r.GetString(1),
        ConfigJson: r.GetString(2),
        Seed: unchecked((ulong)r.GetInt64(3)),
        Status: ParseStatus(r.GetString(4)),
        CreatedAt: ParseTimestamp(r.GetString(5)),
        StartedAt: ParseTimestamp(r.GetString(6)),
        FinishedAt: r.IsDBNull(7) ? null : ParseTimestamp(r.GetString(7)),
        WallSeconds: r.IsDBNull(8) ? null : r.GetDouble(8),
        Runtime: new RuntimeInfo(ReadString(r, 9) ?? "", ReadString(r, 10) ?? "", r.IsDBNull(11) ? 0 : r.GetInt32(11),
            ReadString(r, 12) ?? "", !r.IsDBNull(14) && r.GetInt64(14) != 0),
        Error: ReadString(r, 13));

    /// <summary>The database's status text (an interrupted run is a running one whose process is gone).</summary>
    private static string StatusText(RunStatus status) => status switch
    {
        RunStatus.Running or RunStatus.Interrupted => "running",
        RunStatus.Finished => "finished",
        RunStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    private static RunStatus ParseStatus(string text) => text switch
    {
        "running" => RunStatus.Running,
        "finished" => RunStatus.Finished,
        "failed" => RunStatus.Failed,
        _ => throw new InvalidDataException($"results store: unknown run status '{text}'"),
    };

    /// <summary>The lower-case status name used in the JSON summary: running, interrupted, failed or finished.</summary>
    public static string StatusName(RunStatus status) => status == RunStatus.Interrupted ? "interrupted" : StatusText(status);
}
