using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Symmetry.Core.Results;

/// <summary>
/// The versioned schema of the results store. <see cref="Migrations"/>[i] brings a store from version i to i + 1;
/// a store records each applied version in <c>schema_version</c>. Never edit a published migration: append one.
/// </summary>
public static class ResultsSchema
{
    /// <summary>The ordered migration scripts of the results store.</summary>
    public static IReadOnlyList<string> Migrations { get; } =
    [
        // 1: runs, metrics, mask statistics, best snapshots, checkpoints, experiment states.
        """
        CREATE TABLE runs (
            id               TEXT PRIMARY KEY NOT NULL,
            kind             TEXT NOT NULL,
            config_json      TEXT NOT NULL,
            seed             INTEGER NOT NULL,
            status           TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
            created_at       TEXT NOT NULL,
            started_at       TEXT NOT NULL,
            finished_at      TEXT,
            wall_seconds     REAL,
            library_version  TEXT,
            libtorch_version TEXT,
            threads          INTEGER,
            device           TEXT,
            error            TEXT
        );
        CREATE INDEX runs_by_kind ON runs (kind, status);

        CREATE TABLE metrics (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            step   INTEGER NOT NULL,
            epoch  REAL NOT NULL,
            split  TEXT NOT NULL,
            name   TEXT NOT NULL,
            value  REAL,
            UNIQUE (run_id, step, split, name)
        );

        CREATE TABLE mask_stats (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            stage  TEXT NOT NULL CHECK (stage IN ('mask', 'propagated_mask')),
            layer  TEXT NOT NULL DEFAULT '',
            key    TEXT NOT NULL,
            value  TEXT NOT NULL,
            UNIQUE (run_id, stage, layer, key)
        );

        CREATE TABLE states (
            key             TEXT PRIMARY KEY NOT NULL,
            parent_key      TEXT NULL REFERENCES states (key),
            kind            TEXT NOT NULL,
            state_json      TEXT NOT NULL,
            checkpoint_path TEXT,
            created_at      TEXT NOT NULL
        );
        CREATE INDEX states_by_parent ON states (parent_key);

        CREATE TABLE checkpoints (
            run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            epoch      INTEGER NOT NULL,
            step       INTEGER NOT NULL,
            path       TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (run_id, epoch)
        );

        CREATE TABLE best (
            run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            criterion TEXT NOT NULL CHECK (criterion IN ('best_test_acc', 'best_train_loss')),
            step      INTEGER NOT NULL,
            epoch     REAL NOT NULL,
            name      TEXT NOT NULL,
            value     REAL,
            UNIQUE (run_id, criterion, name)
        );
        """,
        // 2: the state a run ends in (runs and experiment states tell one story).
        """
        CREATE TABLE run_states (
            run_id    TEXT PRIMARY KEY NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            state_key TEXT NOT NULL REFERENCES states (key)
        );
        """,
        // 3: whether a run was trained batched with others of its architecture (otherwise indistinguishable).
        "ALTER TABLE runs ADD COLUMN batched INTEGER NOT NULL DEFAULT 0;",
        // 4: typed mask statistics, one row per (run, stage, layer); layer '' is the whole model. The exact permutation
        // count exceeds 64 bits, so it is decimal text. Old key/value rows are pivoted (MaskStatsMigration checks first
        // that every group is complete and numeric, so nothing is lost); sparsity is recomputed as zeros / weights,
        // which is how it was computed before it was written as text.
        """
        CREATE TABLE mask_stats_typed (
            run_id             TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            stage              TEXT NOT NULL CHECK (stage IN ('mask', 'propagated_mask')),
            layer              TEXT NOT NULL,
            weights            INTEGER NOT NULL CHECK (weights >= 0),
            zeros              INTEGER NOT NULL CHECK (zeros >= 0),
            sparsity           REAL NOT NULL,
            total_neurons      INTEGER NOT NULL CHECK (total_neurons >= 0),
            zeroed_neurons     INTEGER NOT NULL CHECK (zeroed_neurons >= 0),
            unique_neurons     INTEGER NOT NULL CHECK (unique_neurons >= 0),
            surviving_neurons  INTEGER NOT NULL CHECK (surviving_neurons >= 0),
            permutation_groups INTEGER NOT NULL CHECK (permutation_groups >= 0),
            permutations       TEXT NOT NULL CHECK (permutations <> '' AND permutations NOT GLOB '*[^0-9]*'),
            permutation_log10  REAL NOT NULL,
            PRIMARY KEY (run_id, stage, layer)
        );
        INSERT INTO mask_stats_typed
        SELECT run_id, stage, layer, weights, zeros,
               CASE WHEN weights = 0 THEN 0.0 ELSE CAST(zeros AS REAL) / weights END,
               total_neurons, zeroed_neurons, unique_neurons, surviving_neurons, permutation_groups, permutations,
               permutation_log10
        FROM (
            SELECT run_id, stage, layer,
                   CAST(max(CASE WHEN key = 'weights' THEN value END) AS INTEGER) AS weights,
                   CAST(max(CASE WHEN key = 'zeros' THEN value END) AS INTEGER) AS zeros,
                   CAST(max(CASE WHEN key = 'total_neurons' THEN value END) AS INTEGER) AS total_neurons,
                   CAST(max(CASE WHEN key = 'zeroed_neurons' THEN value END) AS INTEGER) AS zeroed_neurons,
                   CAST(max(CASE WHEN key = 'unique_neurons' THEN value END) AS INTEGER) AS unique_neurons,
                   CAST(max(CASE WHEN key = 'surviving_neurons' THEN value END) AS INTEGER) AS surviving_neurons,
                   CAST(max(CASE WHEN key = 'permutation_groups' THEN value END) AS INTEGER) AS permutation_groups,
                   max(CASE WHEN key = 'permutations' THEN value END) AS permutations,
                   CAST(max(CASE WHEN key = 'permutation_log10' THEN value END) AS REAL) AS permutation_log10
            FROM mask_stats GROUP BY run_id, stage, layer
        );
        DROP TABLE mask_stats;
        ALTER TABLE mask_stats_typed RENAME TO mask_stats;
        """,
    ];

    /// <summary>The schema version this library writes: the number of <see cref="Migrations"/>.</summary>
    public static int Version => Migrations.Count;

    /// <summary>
    /// Brings the database behind <paramref name="connection"/> to version <c>migrations.Count</c> in one immediate
    /// (write-locked) transaction: creates <c>schema_version</c> if missing, applies the scripts it lacks in order and
    /// records each. Several processes may call it at once; one applies, the others see the result.
    /// </summary>
    /// <returns>The version the database had before.</returns>
    /// <exception cref="NotSupportedException">The database has a newer version than <paramref name="migrations"/>
    /// knows (written by a newer library); nothing is changed.</exception>
    public static int Migrate(SqliteConnection connection, IReadOnlyList<string> migrations) =>
        Migrate(connection, migrations, NoChecks);

    /// <summary>Brings the store behind <paramref name="connection"/> to <see cref="Version"/> with
    /// <see cref="Migrations"/>, first checking that each migration it applies can keep the data it converts.</summary>
    /// <returns>The version the database had before.</returns>
    /// <exception cref="NotSupportedException">The store is newer than this library, or holds data a migration cannot
    /// convert without loss (the message names it); nothing is changed.</exception>
    public static int MigrateToCurrent(SqliteConnection connection) => Migrate(connection, Migrations, Refusals);

    /// <summary>Checks run before the library's own migrations (by target version): each returns null when the
    /// migration can proceed, else what stops it.</summary>
    private static readonly IReadOnlyDictionary<int, Func<SqliteConnection, SqliteTransaction, string?>> Refusals =
        new Dictionary<int, Func<SqliteConnection, SqliteTransaction, string?>> { [4] = MaskStatsMigration.Refusal };

    private static readonly IReadOnlyDictionary<int, Func<SqliteConnection, SqliteTransaction, string?>> NoChecks =
        new Dictionary<int, Func<SqliteConnection, SqliteTransaction, string?>>();

    private static int Migrate(SqliteConnection connection, IReadOnlyList<string> migrations,
        IReadOnlyDictionary<int, Func<SqliteConnection, SqliteTransaction, string?>> refusals)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, transaction,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)");
        var current = CurrentVersion(connection, transaction);
        if (current > migrations.Count)
            throw new NotSupportedException(
                $"results store '{connection.DataSource}' has schema version {current}, but this version of Symmetry " +
                $"knows versions up to {migrations.Count}: it was written by a newer Symmetry. Use that version, " +
                "or a different results file.");
        for (var version = current + 1; version <= migrations.Count; version++)
        {
            if (refusals.TryGetValue(version, out var refusal) && refusal(connection, transaction) is { } reason)
                throw new NotSupportedException(
                    $"results store '{connection.DataSource}' cannot be migrated to schema version {version}: {reason}. " +
                    "Open it with the Symmetry version that wrote it and export what you need (symmetry summary), " +
                    "or use a different results file.");
            try
            {
                Execute(connection, transaction, migrations[version - 1]);
            }
            catch (SqliteException e)
            {
                throw new InvalidOperationException(
                    $"results store '{connection.DataSource}': migration to schema version {version} failed: {e.Message}", e);
            }
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_version (version, applied_at) VALUES ($v, $t)";
            record.Parameters.AddWithValue("$v", version);
            record.Parameters.AddWithValue("$t", ResultsStore.Timestamp());
            record.ExecuteNonQuery();
        }
        transaction.Commit();
        return current;
    }

    /// <summary>The highest version recorded in <c>schema_version</c> (0 when the table is missing or empty).</summary>
    public static int ReadVersion(SqliteConnection connection)
    {
        using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
        if (Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) == 0) return 0;
        return CurrentVersion(connection, null);
    }

    private static int CurrentVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_version";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
