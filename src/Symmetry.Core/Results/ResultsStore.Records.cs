using Microsoft.Data.Sqlite;
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
    /// Records mask statistics of a running run: <paramref name="stage"/> is <see cref="MaskStage.Mask"/> or
    /// <see cref="MaskStage.Propagated"/>, <paramref name="layer"/> a parameter name or <c>""</c> for the whole model.
    /// Values are invariant text (numbers round-trip formatted; big integers exact). Same keys are replaced.
    /// </summary>
    public void RecordMaskStats(string runId, string stage, string layer, IEnumerable<(string Key, string Value)> values)
    {
        if (stage is not (MaskStage.Mask or MaskStage.Propagated))
            throw new ArgumentException($"mask stage must be '{MaskStage.Mask}' or '{MaskStage.Propagated}', not '{stage}'", nameof(stage));
        ArgumentNullException.ThrowIfNull(layer);
        var rows = values.ToList();
        Write(tx =>
        {
            RequireRunning(tx, runId, "record mask statistics");
            using var insert = Command(tx,
                "INSERT OR REPLACE INTO mask_stats (run_id, stage, layer, key, value) VALUES ($run, $stage, $layer, $key, $value)",
                ("$run", runId), ("$stage", stage), ("$layer", layer), ("$key", ""), ("$value", ""));
            foreach (var (key, value) in rows)
            {
                insert.Parameters["$key"].Value = key;
                insert.Parameters["$value"].Value = value;
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

    /// <summary>The mask statistics of a run by stage, layer and key.</summary>
    public IReadOnlyList<MaskStatRow> MaskStats(string runId) => Read(tx =>
    {
        using var command = Command(tx,
            "SELECT stage, layer, key, value FROM mask_stats WHERE run_id = $run ORDER BY stage, layer, key", ("$run", runId));
        return (IReadOnlyList<MaskStatRow>)Collect(command, r =>
            new MaskStatRow(runId, r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)));
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
