using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Symmetry.Core.Results;

public sealed partial class ResultsStore
{
    private const string StateColumns = "key, parent_key, kind, state_json, checkpoint_path, created_at";

    /// <summary>
    /// Stores an experiment state (a node of the experiment DAG, ARCHITECTURE rule 5). Write-once: putting a key that
    /// exists with the same content (parent, kind, JSON value, checkpoint path) does nothing and returns false; with
    /// different content it throws.
    /// </summary>
    /// <param name="key">The state's content hash.</param>
    /// <param name="parentKey">The state it derives from (already stored), or null for a root.</param>
    /// <param name="kind">What produced it, e.g. <c>init</c>, <c>train</c>, <c>prune</c>.</param>
    /// <param name="stateJson">The state's canonical JSON.</param>
    /// <param name="checkpointPath">Where its weights are, if anywhere (stored relative to the store's folder when
    /// inside it).</param>
    /// <returns>True when the state was added, false when it was already there.</returns>
    /// <exception cref="InvalidOperationException">The key exists with different content.</exception>
    /// <exception cref="KeyNotFoundException">The parent is not in the store.</exception>
    public bool PutState(string key, string? parentKey, string kind, string stateJson, string? checkpointPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        using (JsonDocument.Parse(stateJson)) { }
        var storedPath = checkpointPath is null ? null : StoredPath(checkpointPath);
        return Write(tx =>
        {
            using (var select = Command(tx,
                       "SELECT parent_key, kind, state_json, checkpoint_path FROM states WHERE key = $key", ("$key", key)))
            using (var reader = select.ExecuteReader())
            {
                if (reader.Read())
                {
                    var (oldParent, oldKind, oldJson, oldPath) =
                        (ReadString(reader, 0), reader.GetString(1), reader.GetString(2), ReadString(reader, 3));
                    var same = oldParent == parentKey && oldKind == kind && oldPath == storedPath && JsonEquals(oldJson, stateJson);
                    if (same) return false;
                    throw new InvalidOperationException(
                        $"state '{key}' is already stored with different content (stored: parent {oldParent ?? "none"}, " +
                        $"kind {oldKind}, checkpoint {oldPath ?? "none"}, json {oldJson}); states are write-once");
                }
            }
            if (parentKey is not null)
            {
                using var parent = Command(tx, "SELECT count(*) FROM states WHERE key = $key", ("$key", parentKey));
                if ((long)parent.ExecuteScalar()! == 0)
                    throw new KeyNotFoundException($"results store: parent state '{parentKey}' of '{key}' is not stored");
            }
            using var insert = Command(tx,
                $"INSERT INTO states ({StateColumns}) VALUES ($key, $parent, $kind, $json, $path, $now)",
                ("$key", key), ("$parent", parentKey), ("$kind", kind), ("$json", stateJson), ("$path", storedPath),
                ("$now", Timestamp()));
            insert.ExecuteNonQuery();
            return true;
        });
    }

    /// <summary>The state with this key, or null.</summary>
    public StateRecord? GetState(string key) => Read(tx =>
    {
        using var command = Command(tx, $"SELECT {StateColumns} FROM states WHERE key = $key", ("$key", key));
        return Collect(command, ReadStateRow).FirstOrDefault();
    });

    /// <summary>All states, oldest first (parents before children).</summary>
    public IReadOnlyList<StateRecord> States() => Read(tx =>
    {
        using var command = Command(tx, $"SELECT {StateColumns} FROM states ORDER BY created_at, rowid");
        return (IReadOnlyList<StateRecord>)Collect(command, ReadStateRow);
    });

    private StateRecord ReadStateRow(SqliteDataReader r) => new(
        Key: r.GetString(0),
        ParentKey: ReadString(r, 1),
        Kind: r.GetString(2),
        StateJson: r.GetString(3),
        CheckpointPath: ReadString(r, 4) is { } path ? ResolvedPath(path) : null,
        CreatedAt: ParseTimestamp(r.GetString(5)));

    /// <summary>Records that run <paramref name="runId"/> ended in state <paramref name="stateKey"/> (both recorded
    /// already); recording the same link again changes nothing.</summary>
    /// <exception cref="InvalidOperationException">The run is linked to another state already.</exception>
    public void LinkRunState(string runId, string stateKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(stateKey);
        Write(tx =>
        {
            using (var select = Command(tx, "SELECT state_key FROM run_states WHERE run_id = $run", ("$run", runId)))
                if (select.ExecuteScalar() is string existing)
                    return existing == stateKey
                        ? 0
                        : throw new InvalidOperationException($"run '{runId}' already ended in state {existing}, not {stateKey}");
            using var insert = Command(tx, "INSERT INTO run_states (run_id, state_key) VALUES ($run, $state)", ("$run", runId), ("$state", stateKey));
            return insert.ExecuteNonQuery();
        });
    }

    /// <summary>The state run <paramref name="runId"/> ended in, if recorded.</summary>
    public string? RunState(string runId) => Read(tx =>
    {
        using var select = Command(tx, "SELECT state_key FROM run_states WHERE run_id = $run", ("$run", runId));
        return select.ExecuteScalar() as string;
    });

    /// <summary>Every run linked to the state it ended in: run id → state key (one query).</summary>
    public IReadOnlyDictionary<string, string> RunStates() => Read(tx =>
    {
        using var select = Command(tx, "SELECT run_id, state_key FROM run_states ORDER BY run_id");
        using var reader = select.ExecuteReader();
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read()) links[reader.GetString(0)] = reader.GetString(1);
        return (IReadOnlyDictionary<string, string>)links;
    });
}
