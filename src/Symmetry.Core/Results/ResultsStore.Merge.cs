using Microsoft.Data.Sqlite;

namespace Symmetry.Core.Results;

/// <summary>What <see cref="ResultsStore.Merge"/> did with a shard's runs and states.</summary>
/// <param name="Added">Runs the store did not have.</param>
/// <param name="Replaced">Runs the store had unfinished and the shard had finished.</param>
/// <param name="Kept">Runs left as the store had them (finished there, or unfinished in both).</param>
/// <param name="States">Experiment states the store did not have.</param>
public sealed record MergeReport(int Added, int Replaced, int Kept, int States);

public sealed partial class ResultsStore
{
    // Columns holding file paths, stored relative to a store's folder: rewritten from the shard's folder to this one's.
    private static readonly HashSet<(string Table, string Column)> PathColumns = [("checkpoints", "path"), ("states", "checkpoint_path")];

    /// <summary>
    /// Merges the store at <paramref name="shardPath"/> (another process's, e.g. one SLURM task's) into this one, in one
    /// transaction, idempotently: a run this store lacks is copied with every row that names it; a run it has
    /// unfinished is replaced by the shard's when the shard's is finished (a finished run wins over a running one);
    /// otherwise this store's run is kept. States are added when missing. Checkpoint files stay where they are; their
    /// paths are rewritten to be valid from this store's folder.
    /// </summary>
    /// <exception cref="ArgumentException">The shard is this store, or does not exist.</exception>
    /// <exception cref="NotSupportedException">The shard was written by a newer Symmetry.</exception>
    public MergeReport Merge(string shardPath)
    {
        var shard = Path.GetFullPath(shardPath);
        if (!File.Exists(shard)) throw new ArgumentException($"shard store '{shard}' does not exist", nameof(shardPath));
        if (shard == DatabasePath) throw new ArgumentException($"cannot merge store '{shard}' into itself", nameof(shardPath));
        // Opening migrates the shard to this library's schema, so both sides have the same tables and columns.
        using (Open(shard)) { }
        var shardRoot = Path.GetDirectoryName(shard)!;
        lock (gate)
        {
            ThrowIfDisposed();
            Execute($"ATTACH DATABASE {Literal(shard)} AS shard");
            try
            {
                return InTransaction(deferred: false, tx => MergeAttached(tx, shardRoot));
            }
            finally
            {
                Execute("DETACH DATABASE shard");
            }
        }
    }

    private MergeReport MergeAttached(SqliteTransaction tx, string shardRoot)
    {
        // States reference their parents: check foreign keys at commit, when every parent is in.
        using (var defer = Command(tx, "PRAGMA defer_foreign_keys = ON")) defer.ExecuteNonQuery();
        var tables = RunTables(tx);
        var states = CopyRows(tx, "states", "INSERT OR IGNORE", "", shardRoot);
        int added = 0, replaced = 0, kept = 0;
        foreach (var (id, status) in Pairs(tx, "SELECT id, status FROM shard.runs ORDER BY id"))
        {
            var mine = Scalar(tx, "SELECT status FROM main.runs WHERE id = $id", id);
            if (mine is not null && (mine == "finished" || status != "finished"))
            {
                kept++;
                continue;
            }
            if (mine is not null)
            {
                using var drop = Command(tx, "DELETE FROM main.runs WHERE id = $id", ("$id", id));
                drop.ExecuteNonQuery();
                replaced++;
            }
            else added++;
            CopyRows(tx, "runs", "INSERT", "WHERE id = $id", shardRoot, id);
            foreach (var table in tables) CopyRows(tx, table, "INSERT", "WHERE run_id = $id", shardRoot, id);
        }
        return new MergeReport(added, replaced, kept, states);
    }

    /// <summary>Every table other than <c>runs</c> with a <c>run_id</c> column (they cascade from runs).</summary>
    private List<string> RunTables(SqliteTransaction tx)
    {
        var tables = Pairs(tx, "SELECT name, name FROM main.sqlite_master WHERE type = 'table' AND name NOT IN ('runs', 'schema_version')")
            .Select(p => p.Item1).ToList();
        return tables.Where(t => Columns(tx, t).Contains("run_id")).ToList();
    }

    private List<string> Columns(SqliteTransaction tx, string table) =>
        Pairs(tx, $"SELECT name, type FROM pragma_table_info({Literal(table)}, 'main')").Select(p => p.Item1).ToList();

    /// <summary>Copies the shard's rows of <paramref name="table"/> matching <paramref name="where"/>, rewriting path
    /// columns; returns how many were inserted.</summary>
    private int CopyRows(SqliteTransaction tx, string table, string insert, string where, string shardRoot, string? id = null)
    {
        var columns = Columns(tx, table);
        var list = string.Join(", ", columns.Select(Quote));
        using var select = Command(tx, $"SELECT {list} FROM shard.{Quote(table)} {where}", ("$id", id));
        using var write = Command(tx,
            $"{insert} INTO main.{Quote(table)} ({list}) VALUES ({string.Join(", ", columns.Select((_, i) => "$c" + i))})");
        var count = 0;
        using var reader = select.ExecuteReader();
        while (reader.Read())
        {
            write.Parameters.Clear();
            for (var i = 0; i < columns.Count; i++)
            {
                var value = reader.GetValue(i);
                if (value is string path && PathColumns.Contains((table, columns[i])))
                    value = StoredPath(Path.GetFullPath(path, shardRoot));
                write.Parameters.AddWithValue("$c" + i, value);
            }
            count += write.ExecuteNonQuery();
        }
        return count;
    }

    private List<(string, string)> Pairs(SqliteTransaction tx, string sql)
    {
        using var command = Command(tx, sql);
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string)>();
        while (reader.Read()) rows.Add((reader.GetString(0), reader.GetString(1)));
        return rows;
    }

    private string? Scalar(SqliteTransaction tx, string sql, string id)
    {
        using var command = Command(tx, sql, ("$id", id));
        return command.ExecuteScalar() as string;
    }

    private void Execute(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
