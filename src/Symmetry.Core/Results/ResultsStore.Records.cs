using System.Globalization;
using Microsoft.Data.Sqlite;
using Symmetry.Core.Masks;
using Symmetry.Core.Training;

namespace Symmetry.Core.Results;

public sealed partial class ResultsStore
{
    /// <summary>
    /// Records the metrics of one evaluation of a running run in one transaction. A row with the same
    /// (run, step, split, name) is replaced, so a resumed run that replays an evaluation leaves one row.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    /// <exception cref="InvalidOperationException">The run is not running.</exception>
    public void RecordMetrics(string runId, long step, double epoch, string split, IEnumerable<(string Name, double Value)> values)
    {
        ArgumentNullException.ThrowIfNull(split);
        var rows = values.ToList();
        Write(tx =>
        {
            RequireRunning(tx, runId, "record metrics");
            using var insert = Command(tx,
                "INSERT OR REPLACE INTO metrics (run_id, step, epoch, split, name, value) VALUES ($run, $step, $epoch, $split, $name, $value)",
                ("$run", runId), ("$step", step), ("$epoch", epoch), ("$split", split), ("$name", ""), ("$value", 0.0));
            foreach (var (name, value) in rows)
            {
                insert.Parameters["$name"].Value = name;
                insert.Parameters["$value"].Value = DoubleValue(value);
                insert.ExecuteNonQuery();
            }
            return 0;
        });
    }

    /// <summary>Records every metric of one training evaluation (<see cref="TrainingMetrics.Flatten"/>) under
    /// <paramref name="split"/> (default <c>eval</c>).</summary>
    public void RecordMetrics(string runId, TrainingMetrics metrics, string split = "eval") =>
        RecordMetrics(runId, metrics.Step, metrics.Epoch, split, metrics.Flatten());

    /// <summary>
    /// Records the mask statistics of a running run at <paramref name="stage"/> (<see cref="MaskStage.Mask"/> or
    /// <see cref="MaskStage.Propagated"/>): one row for the whole model (layer <c>""</c>) and one per layer, typed, the
    /// permutation count exact. Replaces every row the run had at that stage.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    /// <exception cref="InvalidOperationException">The run is not running.</exception>
    public void RecordMaskStats(string runId, string stage, MaskStatistics statistics)
    {
        if (stage is not (MaskStage.Mask or MaskStage.Propagated))
            throw new ArgumentException($"mask stage must be '{MaskStage.Mask}' or '{MaskStage.Propagated}', not '{stage}'", nameof(stage));
        ArgumentNullException.ThrowIfNull(statistics);
        var s = statistics;
        var rows = new List<(string Layer, long Weights, long Zeros, double Sparsity, long Total, long Zeroed, long Unique,
            long Surviving, long Groups, System.Numerics.BigInteger Permutations, double Log10)>
        {
            ("", s.Weights, s.Zeros, s.Sparsity, s.TotalNeurons, s.ZeroedNeurons, s.UniqueNeurons, s.SurvivingNeurons,
                s.PermutationGroups, s.Permutations, s.PermutationLog10),
        };
        rows.AddRange(s.Layers.Select(l => (l.Name, l.Weights, l.Zeros, l.Sparsity, l.TotalNeurons, l.ZeroedNeurons,
            l.UniqueNeurons, l.SurvivingNeurons, l.PermutationGroups, l.Permutations, l.PermutationLog10)));
        Write(tx =>
        {
            RequireRunning(tx, runId, "record mask statistics");
            using (var clear = Command(tx, "DELETE FROM mask_stats WHERE run_id = $run AND stage = $stage", ("$run", runId), ("$stage", stage)))
                clear.ExecuteNonQuery();
            using var insert = Command(tx,
                "INSERT INTO mask_stats (run_id, stage, layer, weights, zeros, sparsity, total_neurons, zeroed_neurons, " +
                "unique_neurons, surviving_neurons, permutation_groups, permutations, permutation_log10) VALUES " +
                "($run, $stage, $layer, $weights, $zeros, $sparsity, $total, $zeroed, $unique, $surviving, $groups, $permutations, $log10)",
                ("$run", runId), ("$stage", stage), ("$layer", ""), ("$weights", 0L), ("$zeros", 0L), ("$sparsity", 0.0),
                ("$total", 0L), ("$zeroed", 0L), ("$unique", 0L), ("$surviving", 0L), ("$groups", 0L), ("$permutations", ""),
                ("$log10", 0.0));
            foreach (var row in rows)
            {
                insert.Parameters["$layer"].Value = row.Layer;
                insert.Parameters["$weights"].Value = row.Weights;
                insert.Parameters["$zeros"].Value = row.Zeros;
                insert.Parameters["$sparsity"].Value = row.Sparsity;
                insert.Parameters["$total"].Value = row.Total;
                insert.Parameters["$zeroed"].Value = row.Zeroed;
                insert.Parameters["$unique"].Value = row.Unique;
                insert.Parameters["$surviving"].Value = row.Surviving;
                insert.Parameters["$groups"].Value = row.Groups;
                insert.Parameters["$permutations"].Value = row.Permutations.ToString(CultureInfo.InvariantCulture);
                insert.Parameters["$log10"].Value = row.Log10;
                insert.ExecuteNonQuery();
            }
            return 0;
        });
    }

    /// <summary>
    /// Records the best snapshot of a running run for <paramref name="criterion"/> (<see cref="BestCriterion"/>):
    /// the step, epoch and every metric of that evaluation. Replaces the previous snapshot for the criterion entirely.
    /// </summary>
    public void RecordBest(string runId, string criterion, long step, double epoch, IEnumerable<(string Name, double Value)> values)
    {
        if (criterion is not (BestCriterion.TestAccuracy or BestCriterion.TrainLoss))
            throw new ArgumentException(
                $"best criterion must be '{BestCriterion.TestAccuracy}' or '{BestCriterion.TrainLoss}', not '{criterion}'", nameof(criterion));
        var rows = values.ToList();
        Write(tx =>
        {
            RequireRunning(tx, runId, "record a best snapshot");
            using (var clear = Command(tx, "DELETE FROM best WHERE run_id = $run AND criterion = $criterion",
                       ("$run", runId), ("$criterion", criterion)))
                clear.ExecuteNonQuery();
            using var insert = Command(tx,
                "INSERT OR REPLACE INTO best (run_id, criterion, step, epoch, name, value) VALUES ($run, $criterion, $step, $epoch, $name, $value)",
                ("$run", runId), ("$criterion", criterion), ("$step", step), ("$epoch", epoch), ("$name", ""), ("$value", 0.0));
            foreach (var (name, value) in rows)
            {
                insert.Parameters["$name"].Value = name;
                insert.Parameters["$value"].Value = DoubleValue(value);
                insert.ExecuteNonQuery();
            }
            return 0;
        });
    }

    /// <summary>Records a training evaluation as the best snapshot for <paramref name="criterion"/>.</summary>
    public void RecordBest(string runId, string criterion, TrainingMetrics metrics) =>
        RecordBest(runId, criterion, metrics.Step, metrics.Epoch, metrics.Flatten());

    /// <summary>Records that the checkpoint of a running run after <paramref name="epoch"/> epochs is at
    /// <paramref name="path"/> (write the file first: temporary name, flush, rename). Replaces an earlier record of
    /// the same epoch.</summary>
    public void RecordCheckpoint(string runId, int epoch, long step, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stored = StoredPath(path);
        Write(tx =>
        {
            RequireRunning(tx, runId, "record a checkpoint");
            using var insert = Command(tx,
                "INSERT OR REPLACE INTO checkpoints (run_id, epoch, step, path, created_at) VALUES ($run, $epoch, $step, $path, $now)",
                ("$run", runId), ("$epoch", epoch), ("$step", step), ("$path", stored), ("$now", Timestamp()));
            insert.ExecuteNonQuery();
            return 0;
        });
    }

    /// <summary>The recorded checkpoint of the run with the highest epoch whose file still exists, or null: where a
    /// resumed run continues from.</summary>
    public CheckpointRecord? LatestCheckpoint(string runId) =>
        Checkpoints(runId).Reverse().FirstOrDefault(c => File.Exists(c.Path));

    /// <summary>The recorded checkpoints of a run, by epoch (paths absolute).</summary>
    public IReadOnlyList<CheckpointRecord> Checkpoints(string runId) => Read(tx =>
    {
        using var command = Command(tx,
            "SELECT epoch, step, path, created_at FROM checkpoints WHERE run_id = $run ORDER BY epoch", ("$run", runId));
        using var reader = command.ExecuteReader();
        var rows = new List<CheckpointRecord>();
        while (reader.Read())
            rows.Add(new CheckpointRecord(runId, reader.GetInt32(0), reader.GetInt64(1), ResolvedPath(reader.GetString(2)),
                ParseTimestamp(reader.GetString(3))));
        return (IReadOnlyList<CheckpointRecord>)rows;
    });

    /// <summary>The metrics of a run by step, split and name.</summary>
    public IReadOnlyList<MetricRow> Metrics(string runId) => Read(tx =>
    {
        using var command = Command(tx,
            "SELECT step, epoch, split, name, value FROM metrics WHERE run_id = $run ORDER BY step, split, name", ("$run", runId));
        return (IReadOnlyList<MetricRow>)Collect(command, r =>
            new MetricRow(runId, r.GetInt64(0), r.GetDouble(1), r.GetString(2), r.GetString(3), ReadDouble(r, 4)));
    });

    /// <summary>The mask statistics of a run by stage and layer (the whole-model row, layer <c>""</c>, first).</summary>
    public IReadOnlyList<MaskStatRow> MaskStats(string runId) => Read(tx =>
    {
        using var command = Command(tx,
            $"SELECT {MaskStatColumns} FROM mask_stats WHERE run_id = $run ORDER BY stage, layer", ("$run", runId));
        return (IReadOnlyList<MaskStatRow>)Collect(command, ReadMaskStat);
    });

    /// <summary>The mask statistics of every run, by run, stage and layer (one query: what an analysis reads).</summary>
    public IReadOnlyList<MaskStatRow> AllMaskStats() => Read(tx =>
    {
        using var command = Command(tx, $"SELECT {MaskStatColumns} FROM mask_stats ORDER BY run_id, stage, layer");
        return (IReadOnlyList<MaskStatRow>)Collect(command, ReadMaskStat);
    });

    private const string MaskStatColumns =
        "run_id, stage, layer, weights, zeros, sparsity, total_neurons, zeroed_neurons, unique_neurons, " +
        "surviving_neurons, permutation_groups, permutations, permutation_log10";

    private static MaskStatRow ReadMaskStat(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetDouble(5), r.GetInt64(6),
        r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10),
        System.Numerics.BigInteger.Parse(r.GetString(11), NumberStyles.None, CultureInfo.InvariantCulture), r.GetDouble(12));

    /// <summary>Every recorded metric of every run, by run, step, split and name (one query: what an analysis reads).</summary>
    public IReadOnlyList<MetricRow> AllMetrics() => Read(tx =>
    {
        using var command = Command(tx, "SELECT run_id, step, epoch, split, name, value FROM metrics ORDER BY run_id, step, split, name");
        return (IReadOnlyList<MetricRow>)Collect(command, r =>
            new MetricRow(r.GetString(0), r.GetInt64(1), r.GetDouble(2), r.GetString(3), r.GetString(4), ReadDouble(r, 5)));
    });

    /// <summary>Every best-snapshot metric of every run, by run, criterion and name (one query).</summary>
    public IReadOnlyList<BestRow> AllBest() => Read(tx =>
    {
        using var command = Command(tx, "SELECT run_id, criterion, step, epoch, name, value FROM best ORDER BY run_id, criterion, name");
        return (IReadOnlyList<BestRow>)Collect(command, r =>
            new BestRow(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetString(4), ReadDouble(r, 5)));
    });

    /// <summary>The best-snapshot metrics of a run by criterion and name.</summary>
    public IReadOnlyList<BestRow> Best(string runId) => Read(tx =>
    {
        using var command = Command(tx,
            "SELECT criterion, step, epoch, name, value FROM best WHERE run_id = $run ORDER BY criterion, name", ("$run", runId));
        return (IReadOnlyList<BestRow>)Collect(command, r =>
            new BestRow(runId, r.GetString(0), r.GetInt64(1), r.GetDouble(2), r.GetString(3), ReadDouble(r, 4)));
    });

    private static List<T> Collect<T>(SqliteCommand command, Func<SqliteDataReader, T> row)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(row(reader));
        return rows;
    }
}
