using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Symmetry.Core.Results;

/// <summary>
/// The results store (ARCHITECTURE rule 6): one SQLite file in WAL mode holding runs, their metrics, mask statistics,
/// best snapshots and checkpoints, and the experiment-state DAG. Checkpoint files live beside it
/// (<see cref="CheckpointPath"/>). Every write is its own immediate transaction with a 30 s busy timeout, so several
/// processes (and several threads, with one instance each or one shared instance) may write at once; a run appears
/// finished only once <see cref="FinishRun"/> committed. Opening applies the missing <see cref="ResultsSchema"/>
/// migrations and refuses a store written by a newer library.
/// </summary>
/// <remarks>Runs: <c>ResultsStore.Runs.cs</c>; metrics, mask statistics, best snapshots, checkpoints:
/// <c>ResultsStore.Records.cs</c>; states: <c>ResultsStore.States.cs</c>.</remarks>
public sealed partial class ResultsStore : IDisposable
{
    /// <summary>Where <see cref="Open"/> puts the store when given no path (relative to the current directory).</summary>
    public const string DefaultPath = "results/symmetry.db";

    /// <summary>How long a write waits for another writer's lock before failing.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private static readonly Lazy<bool> SqliteReady = new(() =>
    {
        SqliteNativeLoader.Register(typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly);
        SQLitePCL.Batteries_V2.Init();
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly SqliteConnection connection;
    private readonly object gate = new();
    private readonly Dictionary<string, RunLease> leases = new(StringComparer.Ordinal);
    private bool disposed;

    private ResultsStore(SqliteConnection connection, string databasePath)
    {
        this.connection = connection;
        DatabasePath = databasePath;
        RootDirectory = Path.GetDirectoryName(databasePath)!;
    }

    /// <summary>Where experiment states' checkpoints go (<c>states/</c> beside the database).</summary>
    public string StatesDirectory => Path.Combine(RootDirectory, "states");

    /// <summary>Absolute path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The folder holding the database; checkpoints go under <c>checkpoints/</c> in it, and relative paths
    /// stored in the database are relative to it (so a copied <c>results/</c> folder stays valid).</summary>
    public string RootDirectory { get; }

    /// <summary>
    /// Opens (creating it and its folder if needed) the store at <paramref name="path"/>, default
    /// <see cref="DefaultPath"/>: WAL journal, busy timeout, foreign keys, schema migrated to
    /// <see cref="ResultsSchema.Version"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The file was written by a newer version of the library, or holds data a
    /// migration cannot convert without loss (the message names it).</exception>
    /// <exception cref="ResultsStoreException">The folder cannot be created or written, the file is not an SQLite
    /// database, or it is corrupt (the message names the file and the way out).</exception>
    public static ResultsStore Open(string? path = null)
    {
        _ = SqliteReady.Value;
        var full = Path.GetFullPath(path ?? DefaultPath);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsStoreException(full, $"cannot create the folder of results store {full}: {e.Message.TrimEnd('.')}; fix its permissions or pass another --db", e);
        }
        if (Directory.Exists(full))
            throw new ResultsStoreException(full, $"results store {full} is a folder, not a file: pass a file path to --db");
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            ForeignKeys = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Pragma(connection, $"PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds}");
            var mode = Convert.ToString(Pragma(connection, "PRAGMA journal_mode = WAL"), CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new ResultsStoreException(full,
                    $"results store {full}: the file system refused WAL journal mode (got '{mode}'); " +
                    "put the store on a local disk");
            // WAL + NORMAL: a killed process loses nothing that committed; only a power cut can drop the last commits.
            Pragma(connection, "PRAGMA synchronous = NORMAL");
            Pragma(connection, "PRAGMA foreign_keys = ON");
            ResultsSchema.MigrateToCurrent(connection);
            var store = new ResultsStore(connection, full);
            store.DeleteStaleTemporaryFiles();
            return store;
        }
        catch (SqliteException e) when (ResultsStoreException.Explain(full, e) is { } explained)
        {
            connection.Dispose();
            throw explained;
        }
        catch (InvalidOperationException e) when (e.InnerException is SqliteException inner && ResultsStoreException.Explain(full, inner) is { } explained)
        {
            // A failed migration wraps SQLite's error.
            connection.Dispose();
            throw explained;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Deletes what killed writers left: temporary files whose writing process is gone, in the states folder
    /// and in every run's checkpoint folder.</summary>
    private void DeleteStaleTemporaryFiles()
    {
        Symmetry.Torch.Serialization.TemporaryFiles.DeleteStale(StatesDirectory);
        var checkpoints = Path.Combine(RootDirectory, "checkpoints");
        if (!Directory.Exists(checkpoints)) return;
        foreach (var folder in Directory.EnumerateDirectories(checkpoints))
            Symmetry.Torch.Serialization.TemporaryFiles.DeleteStale(folder);
    }

    /// <summary>The schema version recorded in the file at <paramref name="path"/>, read without changing it: 0 for an
    /// SQLite file that is not a results store (or an empty file). Lets a reader refuse a foreign file before
    /// <see cref="Open"/> would add the schema to it.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="SqliteException">The file is not an SQLite database.</exception>
    public static int ReadSchemaVersion(string path)
    {
        _ = SqliteReady.Value;
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"no results store at {full}", full);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        return ResultsSchema.ReadVersion(connection);
    }

    /// <summary>The schema version recorded in the open store.</summary>
    public int SchemaVersion
    {
        get
        {
            lock (gate)
            {
                ThrowIfDisposed();
                return ResultsSchema.ReadVersion(connection);
            }
        }
    }

    /// <summary>Where the checkpoint of <paramref name="runId"/> after <paramref name="epoch"/> epochs goes:
    /// <c>checkpoints/&lt;run-id&gt;/epoch-&lt;n&gt;.safetensors</c> beside the database (absolute path; the folder
    /// is not created).</summary>
    /// <exception cref="ArgumentException">The run id cannot be a folder name.</exception>
    public string CheckpointPath(string runId, int epoch)
    {
        ValidateRunIdAsFolder(runId);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return Path.Combine(RootDirectory, "checkpoints", runId,
            "epoch-" + epoch.ToString(CultureInfo.InvariantCulture) + ".safetensors");
    }

    /// <summary>Closes the connection (a no-op the second time).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            foreach (var lease in leases.Values) lease.Dispose();
            leases.Clear();
            connection.Dispose();
        }
    }

    // ------------------------------------------------------------------ helpers shared by the partial files

    /// <summary>A UTC timestamp in ISO 8601 with microseconds, as stored in <c>*_at</c> columns.</summary>
    internal static string Timestamp() =>
        DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTimestamp(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>Runs <paramref name="body"/> in an immediate (write-locked) transaction and commits it.</summary>
    private T Write<T>(Func<SqliteTransaction, T> body) => InTransaction(deferred: false, body);

    /// <summary>Runs <paramref name="body"/> in an immediate transaction, commits it, then runs <paramref name="then"/>
    /// (only after a commit).</summary>
    private void WriteThen(Func<SqliteTransaction, int> body, Action then)
    {
        Write(body);
        then();
    }

    /// <summary>Runs <paramref name="body"/> in a read transaction (one consistent snapshot).</summary>
    private T Read<T>(Func<SqliteTransaction, T> body) => InTransaction(deferred: true, body);

    /// <summary>Runs <paramref name="body"/> under the store's lock in one transaction and commits it.</summary>
    private T InTransaction<T>(bool deferred, Func<SqliteTransaction, T> body)
    {
        lock (gate)
        {
            ThrowIfDisposed();
            try
            {
                using var transaction = connection.BeginTransaction(deferred);
                var result = body(transaction);
                transaction.Commit();
                return result;
            }
            catch (SqliteException e) when (ResultsStoreException.Explain(DatabasePath, e) is { } explained)
            {
                throw explained;
            }
        }
    }

    private SqliteCommand Command(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static object? Pragma(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>A path as stored: relative to <see cref="RootDirectory"/> when inside it, else absolute.</summary>
    private string StoredPath(string path)
    {
        var full = Path.GetFullPath(path, RootDirectory);
        var relative = Path.GetRelativePath(RootDirectory, full);
        var outside = Path.IsPathRooted(relative) || relative == ".."
            || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        return outside ? full : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>The absolute path of a stored path.</summary>
    private string ResolvedPath(string stored) => Path.GetFullPath(stored, RootDirectory);

    private static double ReadDouble(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? double.NaN : reader.GetDouble(ordinal);

    private static string? ReadString(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>NaN as SQL NULL (SQLite would store it as NULL anyway; this makes it explicit).</summary>
    private static object DoubleValue(double value) => double.IsNaN(value) ? DBNull.Value : value;

    private static void ValidateRunIdAsFolder(string runId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        if (runId is "." or ".." || runId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
            || runId.Contains('/') || runId.Contains('\\'))
            throw new ArgumentException($"run id '{runId}' cannot be used as a folder name", nameof(runId));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    private static bool JsonEquals(string a, string b) =>
        a == b || JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));
}
