using System.Globalization;
using Symmetry.Core.Data;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>
/// Runs one <see cref="WeightSymmetryConfig"/> against the results store: a finished run is reused; an unfinished one
/// resumes from its last checkpoint; a new one builds the model, generates and records its mask (statistics before and
/// after propagation), trains with a checkpoint after every epoch and a metrics row per evaluation, records the best
/// snapshots, and only then marks the run finished. Any failure marks the run failed (it resumes on the next attempt).
/// </summary>
/// <param name="store">The results store.</param>
/// <param name="data">Gives the data splits for a configuration's data path (null = default).</param>
/// <param name="device">Device to train on (null: the CPU).</param>
public sealed class WeightSymmetryDriver(ResultsStore store, Func<string?, DataSplits> data, Device? device = null)
{
    private readonly Device device = DeviceCheck.Require(device ?? DefaultDevice());

    /// <summary>Extra callbacks for a run's trainer, given its run id (progress display, logging); null for none.</summary>
    public Func<string, IEnumerable<ITrainingCallback>>? CallbacksFor { get; set; }

    /// <summary>Checks that <paramref name="config"/> can run on <paramref name="splits"/> (the model builds for the input
    /// shape and the mask is possible for every layer) without writing anything; throws what <see cref="Run"/> would.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid or its mask impossible for a layer.</exception>
    public static void Preflight(WeightSymmetryConfig config, DataSplits splits)
    {
        config.Validate();
        using var model = BuildModel(config, splits);
        if (DrawnSparsity(config) is { } s) DrawMask(config, model, s).Dispose();
    }

    /// <summary>Runs (or reuses, or resumes) <paramref name="config"/>.</summary>
    public RunOutcome Run(WeightSymmetryConfig config)
    {
        config.Validate();
        var runId = config.RunId;
        var start = store.BeginRun(runId, config.Driver, config.ToCanonicalJson(), config.Seed, RuntimeInfo.Capture(device));
        if (start == RunStart.AlreadyFinished) return Summarise(runId, reused: true, resumedFrom: null);
        try
        {
            var resumedFrom = Execute(config, runId);
            return Summarise(runId, reused: false, resumedFrom);
        }
        catch (Exception error)
        {
            store.FailRun(runId, error.Message);
            throw;
        }
    }

    private int? Execute(WeightSymmetryConfig config, string runId)
    {
        var splits = data(config.Data);
        using var model = BuildModel(config, splits);
        ApplyMask(config, runId, model);
        model.to(device);
        // Built after the move (.to makes new parameters).
        using var optimizer = config.Training.Optimizer.Create(model.parameters());
        var options = new TrainerOptions { Epochs = config.Training.Epochs, Seed = config.Seed, Device = device };
        // Epoch ends: prune on schedule first, then checkpoint the pruned state.
        ITrainingCallback[] callbacks =
        [
            new StoreMetrics(store, runId), new ScheduledPruning(config, model), new EpochCheckpoints(store, runId),
            .. CallbacksFor?.Invoke(runId) ?? [],
        ];
        using var trainer = new Trainer(model, optimizer, new LoaderData(splits, config.Training.BatchSize, config.Seed), options,
            config.Training.Schedule.Build(config.Training.Epochs), callbacks);
        int? resumedFrom = null;
        if (store.LatestCheckpoint(runId) is { } checkpoint)
        {
            TrainingCheckpoint.Restore(trainer, checkpoint.Path);
            resumedFrom = trainer.Epoch;
        }
        else PruneIfScheduled(config, model, epoch: 0);
        trainer.Run();
        if (config.Driver == DriverKind.Prune)
        {
            using var dense = new ModelMask();
            RecordMaskStatistics(runId, model, model.Mask ?? dense);
        }
        RecordBest(runId);
        store.FinishRun(runId, trainer.WallSeconds);
        return resumedFrom;
    }

    private static ZooModel BuildModel(WeightSymmetryConfig config, DataSplits splits)
    {
        var shape = splits.InputShape;
        var modelConfig = new ModelConfig((int)shape[0], (int)shape[1], splits.ClassCount)
        {
            Widths = config.ResolvedWidths(splits.InputSize, splits.ClassCount),
            Dropout = config.Dropout > 0 ? config.Dropout : null,
            BatchNorm = config.BatchNorm ? true : null,
        };
        using var init = Generators.ForPurpose(config.Seed, "init");
        return ModelZoo.Create(config.Model, modelConfig, init);
    }

    private void ApplyMask(WeightSymmetryConfig config, string runId, ZooModel model)
    {
        if (DrawnSparsity(config) is not { } s)
        {
            // Dense (and prune, before its first pruning step): statistics of the all-kept model.
            using var dense = ModelMasks.Create(model, MaskType.Random, 0, config.MaskSeed, excludeOutputLayer: !config.MaskOutputLayer);
            RecordMaskStatistics(runId, model, dense);
            return;
        }
        using var drawn = DrawMask(config, model, s);
        RecordMaskStatistics(runId, model, drawn);
        using var used = config.Propagate ? MaskPropagation.Propagate(model, drawn) : drawn.Clone();
        ExperimentMasks.SetMerged(model, used);
        if (config.SparseInit)
        {
            using var generator = Generators.ForPurpose(config.Seed, "sparse-init");
            SparseInit.Apply(model, generator, model.Mask);
        }
    }

    private static ModelMask DrawMask(WeightSymmetryConfig config, ZooModel model, double sparsity) =>
        ModelMasks.Create(model, config.MaskType!, sparsity, config.MaskSeed, excludeOutputLayer: !config.MaskOutputLayer);

    /// <summary>The sparsity of the mask the run draws, or null for drivers that start dense (train, prune).</summary>
    private static double? DrawnSparsity(WeightSymmetryConfig config) => config.Driver switch
    {
        DriverKind.ShuffledMask or DriverKind.FixedParam => config.Sparsity ?? 0,
        DriverKind.RandomMask => DrawSparsity(config),
        _ => null,
    };

    /// <summary>The random-mask driver's sparsity: uniform on the configured range, from (seed, mask seed).</summary>
    public static double DrawSparsity(WeightSymmetryConfig config)
    {
        var range = config.SparsityRange!;
        var draw = new Random(unchecked((int)Seeds.Derive(config.Seed, $"random-mask/sparsity/{config.MaskSeed}"))).NextDouble();
        return range[0] + (range[1] - range[0]) * draw;
    }

    private static void PruneIfScheduled(WeightSymmetryConfig config, ZooModel model, int epoch)
    {
        if (config.PruneSchedule is null || (config.PruneScheduleOriginal && epoch > 0)) return;
        foreach (var step in config.PruneSchedule.Where(p => p.Epoch == epoch))
            new SparsityTargetPruning { Sparsity = step.Sparsity }.ApplyTo(model);
    }

    private static Device DefaultDevice()
    {
        // torch.CPU initialises TorchSharp: load the natives our way first.
        TorchRuntime.Ensure();
        return CPU;
    }

    private void RecordMaskStatistics(string runId, nn.Module model, ModelMask mask)
    {
        var report = MaskReport.Create(model, mask);
        store.RecordMaskStats(runId, MaskStage.Mask, "", Text(report.Mask.ToFlat()));
        store.RecordMaskStats(runId, MaskStage.Propagated, "", Text(report.Propagated.ToFlat()));
    }

    private static IEnumerable<(string, string)> Text(IEnumerable<KeyValuePair<string, object>> values) =>
        values.Select(v => (v.Key, Convert.ToString(v.Value is double d ? d.ToString("R", CultureInfo.InvariantCulture) : v.Value, CultureInfo.InvariantCulture) ?? ""));

    private void RecordBest(string runId)
    {
        // From every evaluation in the store, so the best is right across resumes.
        var evaluations = store.Metrics(runId).GroupBy(m => m.Step).Select(g => g.ToList()).ToList();
        double Value(List<MetricRow> rows, string name) => rows.FirstOrDefault(r => r.Name == name)?.Value ?? double.NaN;
        void Record(string criterion, List<MetricRow>? rows)
        {
            if (rows is null) return;
            store.RecordBest(runId, criterion, rows[0].Step, rows[0].Epoch, rows.Select(r => (r.Name, r.Value)));
        }
        Record(BestCriterion.TestAccuracy, evaluations.Where(e => !double.IsNaN(Value(e, MetricNames.TestAccuracy)))
            .OrderByDescending(e => Value(e, MetricNames.TestAccuracy)).ThenBy(e => e[0].Step).FirstOrDefault());
        Record(BestCriterion.TrainLoss, evaluations.Where(e => !double.IsNaN(Value(e, MetricNames.TrainLoss)))
            .OrderBy(e => Value(e, MetricNames.TrainLoss)).ThenBy(e => e[0].Step).FirstOrDefault());
    }

    private RunOutcome Summarise(string runId, bool reused, int? resumedFrom)
    {
        var best = store.Best(runId).Where(b => b.Criterion == BestCriterion.TestAccuracy).ToList();
        var accuracy = best.FirstOrDefault(b => b.Name == MetricNames.TestAccuracy)?.Value ?? double.NaN;
        var stats = store.MaskStats(runId).Where(s => s.Layer == "").ToList();
        double Stat(string stage, string key) => double.Parse(
            stats.FirstOrDefault(s => s.Stage == stage && s.Key == key)?.Value ?? "NaN", CultureInfo.InvariantCulture);
        return new RunOutcome(runId, reused, resumedFrom, accuracy,
            Stat(MaskStage.Propagated, "permutation_log10"), Stat(MaskStage.Mask, "sparsity"));
    }

    private sealed class StoreMetrics(ResultsStore store, string runId) : ITrainingCallback
    {
        public void OnEvaluation(Trainer trainer, TrainingMetrics metrics) => store.RecordMetrics(runId, metrics);
    }

    private sealed class ScheduledPruning(WeightSymmetryConfig config, ZooModel model) : ITrainingCallback
    {
        public void OnEpochEnd(Trainer trainer, int epoch) => PruneIfScheduled(config, model, epoch);
    }

    private sealed class EpochCheckpoints(ResultsStore store, string runId) : ITrainingCallback
    {
        public void OnEpochEnd(Trainer trainer, int epoch)
        {
            var path = store.CheckpointPath(runId, epoch);
            TrainingCheckpoint.Save(trainer, path);
            store.RecordCheckpoint(runId, epoch, trainer.Step, path);
        }
    }
}
