using Symmetry.Core.Data;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using Symmetry.Core.Training.Batched;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>
/// Runs one <see cref="WeightSymmetryConfig"/> against the results store, as experiment states (<see cref="States"/>:
/// the initialised model, its mask, its training): a finished run is reused; an unfinished one resumes from its last
/// checkpoint; a new one realises the initialised and masked states through a <see cref="Realizer"/> (recorded in the
/// states table), records the mask statistics before and after propagation, trains through the one training path
/// (<see cref="TrainingRun"/>: metrics, epoch checkpoints, best snapshots), records the state training ends in and
/// links the run to it, and only then marks the run finished. Any failure marks the run failed (it resumes on the next
/// attempt).
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
        using var model = ModelMemory.Build(config.Model, config.ResolvedWidths(splits.InputSize, splits.ClassCount), () => BuildModel(config, splits));
        if (Masked(config) is var (type, s)) DrawMask(config, model, type, s).Dispose();
    }

    /// <summary><paramref name="config"/> with the fingerprint of <paramref name="splits"/>: the configuration whose
    /// <see cref="WeightSymmetryConfig.RunId"/> names the run on this data.</summary>
    /// <exception cref="ArgumentException">The config carries a different fingerprint: the data changed.</exception>
    public static WeightSymmetryConfig WithData(WeightSymmetryConfig config, DataSplits splits)
    {
        if (config.DataFingerprint is { } given && splits.Fingerprint is { } found && given != found)
            throw new ArgumentException($"the data at {splits.Directory} has fingerprint {found}, not the configuration's {given}: the files changed");
        return config with { DataFingerprint = config.DataFingerprint ?? splits.Fingerprint };
    }

    /// <summary>Runs (or reuses, or resumes) <paramref name="config"/>.</summary>
    public RunOutcome Run(WeightSymmetryConfig config)
    {
        config.Validate();
        config = WithData(config, data(config.Data));
        var runId = config.RunId;
        var start = store.BeginRun(runId, config.Driver.Name, config.ToCanonicalJson(), config.Seed, RuntimeInfo.Capture(device));
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

    /// <summary>
    /// The run as a chain of experiment states: the model initialised from the seed, then (mask drivers) the mask
    /// recipe with its drawn sparsity, then the train recipe (with the prune driver's schedule). Its key is the key
    /// of the state the run ends in; the run's id stays the hash of the config, linked to that state.
    /// </summary>
    public static ExperimentState States(WeightSymmetryConfig config, DataSplits splits)
    {
        config.Validate();
        var root = ExperimentState.Initial(config.Model, config.ModelConfigFor(splits), config.Seed, config.Data,
            WithData(config, splits).DataFingerprint);
        var masked = Masked(config) is var (type, sparsity)
            ? root.Then(new MaskRecipe
            {
                MaskType = MaskTypes.Name(type), Sparsity = sparsity, Seed = config.MaskSeed,
                Propagate = config.Propagate, MaskOutputLayer = config.MaskOutputLayer, SparseInit = config.SparseInit,
            })
            : root;
        return masked.Then(new TrainRecipe
        {
            Training = config.Training, Seed = config.Seed, PruneSchedule = (config.Driver as PruneDriver)?.Schedule,
            PruneScheduleOriginal = config.Driver is PruneDriver { Original: true },
        });
    }

    private int? Execute(WeightSymmetryConfig config, string runId)
    {
        var (splits, trained, model) = Start(config, runId);
        using (model)
        {
            var (resumedFrom, wallSeconds) = TrainingRun.Execute(store, runId, model, (TrainRecipe)trained.Recipe, splits, device,
                evaluateTrainSet: true, CallbacksFor?.Invoke(runId));
            Finish(config, runId, model, trained, wallSeconds);
            return resumedFrom;
        }
    }

    /// <summary>The run's data, its state chain and the model training starts from, whose mask statistics are
    /// recorded.</summary>
    private (DataSplits Splits, ExperimentState Trained, ZooModel Model) Start(WeightSymmetryConfig config, string runId)
    {
        var splits = data(config.Data);
        var trained = States(config, splits);
        var start = trained.Parent!;
        var model = new Realizer(store, data, device).Realize(start);
        try
        {
            RecordStartingMask(config, runId, model, start);
            return (splits, trained, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>After training: the pruned mask's statistics, the state training ends in, the link, the finish.</summary>
    private void Finish(WeightSymmetryConfig config, string runId, ZooModel model, ExperimentState trained, double wallSeconds)
    {
        if (config.Driver is PruneDriver)
        {
            using var dense = new ModelMask();
            RecordMaskStatistics(runId, model, model.Mask ?? dense);
        }
        model.to(CPU);
        var path = Path.Combine(store.StatesDirectory, trained.Key + ".safetensors");
        StateCheckpoint.Save(model, trained.Key, path);
        store.PutState(trained.Key, trained.ParentKey, Realizer.KindOf(trained.Recipe), trained.ToCanonicalJson(), path);
        store.LinkRunState(runId, trained.Key);
        store.FinishRun(runId, wallSeconds);
    }

    /// <summary>
    /// Runs (or reuses, or resumes) every config, as <see cref="Run"/> does one by one, except that unfinished runs
    /// whose models share an MLP layout (<see cref="MlpLayout"/>) and whose data and training settings agree (seeds
    /// aside) train together, up to <paramref name="batchModels"/> at a time, through a <see cref="BatchedTrainer"/>;
    /// each is recorded as its own run with the <c>batched</c> flag. Models with dropout or BatchNorm, a prune
    /// schedule acting after epoch 0, and groups of one train alone. <paramref name="finished"/> hears of each run
    /// (config index, outcome) as it completes; the outcomes come back in config order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchModels"/> is below 1.</exception>
    public IReadOnlyList<RunOutcome> RunAll(IReadOnlyList<WeightSymmetryConfig> configs, int batchModels, Action<int, RunOutcome>? finished = null)
    {
        ArgumentNullException.ThrowIfNull(configs);
        if (batchModels < 1) throw new ArgumentOutOfRangeException(nameof(batchModels), batchModels, $"models per batch must be at least 1, got {batchModels}");
        foreach (var config in configs) config.Validate();
        var outcomes = new RunOutcome?[configs.Count];
        void Done(int index, RunOutcome outcome)
        {
            outcomes[index] = outcome;
            finished?.Invoke(index, outcome);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var batchable = new List<(int Index, string Key)>();
        var alone = new List<int>();
        for (var i = 0; i < configs.Count; i++)
        {
            // A repeated config runs once; its repeats find it finished afterwards.
            var fresh = seen.Add(configs[i].RunId) && store.GetRun(configs[i].RunId) is not { Status: RunStatus.Finished };
            if (fresh && batchModels > 1 && BatchKey(configs[i]) is { } key) batchable.Add((i, key));
            else alone.Add(i);
        }
        foreach (var group in batchable.GroupBy(b => b.Key, StringComparer.Ordinal))
            foreach (var chunk in group.Select(b => b.Index).Chunk(batchModels))
            {
                if (chunk.Length == 1) Done(chunk[0], Run(configs[chunk[0]]));
                else foreach (var (index, outcome) in chunk.Zip(RunBatched(chunk.Select(i => configs[i]).ToList()))) Done(index, outcome);
            }
        foreach (var i in alone) Done(i, Run(configs[i]));
        return outcomes.Select(o => o!).ToList();
    }

    /// <summary>What runs must share to train together (layout, data, training settings), or null when the config
    /// cannot train batched.</summary>
    private string? BatchKey(WeightSymmetryConfig config)
    {
        if (config.Driver is PruneDriver { Schedule: var schedule, Original: var original } && !original && schedule.Any(s => s.Epoch > 0)) return null;
        var splits = data(config.Data);
        using var model = BuildModel(config, splits);
        return MlpLayout.Of(model, out _) is { } layout
            ? $"{layout.Signature}|{config.Data}|{CanonicalJson.Serialize(config.Training)}"
            : null;
    }

    private IReadOnlyList<RunOutcome> RunBatched(IReadOnlyList<WeightSymmetryConfig> configs)
    {
        var runtime = RuntimeInfo.Capture(device) with { Batched = true };
        var begun = new List<string>();
        var started = new List<(DataSplits Splits, ExperimentState Trained, ZooModel Model)>();
        try
        {
            foreach (var config in configs)
            {
                store.BeginRun(config.RunId, config.Driver.Name, config.ToCanonicalJson(), config.Seed, runtime);
                begun.Add(config.RunId);
                started.Add(Start(config, config.RunId));
            }
            var results = TrainingRun.ExecuteBatched(store,
                configs.Select((c, i) => (c.RunId, started[i].Model, (TrainRecipe)started[i].Trained.Recipe)).ToList(),
                started[0].Splits, device, evaluateTrainSet: true, CallbacksFor);
            for (var i = 0; i < configs.Count; i++) Finish(configs[i], configs[i].RunId, started[i].Model, started[i].Trained, results[i].WallSeconds);
            return configs.Select((c, i) => Summarise(c.RunId, reused: false, results[i].ResumedFrom)).ToList();
        }
        catch (Exception error)
        {
            foreach (var runId in begun)
                if (store.GetRun(runId) is { Status: not RunStatus.Finished }) store.FailRun(runId, error.Message);
            throw;
        }
        finally
        {
            foreach (var s in started) s.Model.Dispose();
        }
    }

    private static ZooModel BuildModel(WeightSymmetryConfig config, DataSplits splits)
    {
        using var init = Generators.ForPurpose(config.Seed, "init");
        return ModelZoo.Create(config.Model, config.ModelConfigFor(splits), init);
    }

    /// <summary>Statistics of the mask training starts from, before and after propagation: the drawn mask of a mask
    /// state (drawn again: the draw depends only on the shapes and the seed), else the all-kept model.</summary>
    private void RecordStartingMask(WeightSymmetryConfig config, string runId, ZooModel model, ExperimentState start)
    {
        if (start.Recipe is MaskRecipe recipe)
        {
            using var drawn = ExperimentMasks.Draw(model, recipe);
            RecordMaskStatistics(runId, model, drawn);
            return;
        }
        using var dense = ModelMasks.Create(model, MaskType.Random, 0, config.MaskSeed, excludeOutputLayer: !config.MaskOutputLayer);
        RecordMaskStatistics(runId, model, dense);
    }

    private static ModelMask DrawMask(WeightSymmetryConfig config, ZooModel model, MaskType type, double sparsity) =>
        ModelMasks.Create(model, type, sparsity, config.MaskSeed, excludeOutputLayer: !config.MaskOutputLayer);

    /// <summary>The mask type and sparsity the run draws, or null for drivers that start dense (train, prune).</summary>
    private static (MaskType Type, double Sparsity)? Masked(WeightSymmetryConfig config) => config.Driver switch
    {
        ShuffledMaskDriver d => (d.Mask, d.Sparsity),
        FixedParamDriver d => (d.Mask, d.Sparsity),
        RandomMaskDriver d => (d.Mask, DrawSparsity(config, d)),
        _ => null,
    };

    /// <summary>The random-mask driver's sparsity: uniform on the driver's range, from (seed, mask seed).</summary>
    public static double DrawSparsity(WeightSymmetryConfig config, RandomMaskDriver driver)
    {
        var draw = new Random(unchecked((int)Seeds.Derive(config.Seed, $"random-mask/sparsity/{config.MaskSeed}"))).NextDouble();
        return driver.SparsityRange.Low + (driver.SparsityRange.High - driver.SparsityRange.Low) * draw;
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
        store.RecordMaskStats(runId, MaskStage.Mask, report.Mask);
        store.RecordMaskStats(runId, MaskStage.Propagated, report.Propagated);
    }

    private RunOutcome Summarise(string runId, bool reused, int? resumedFrom)
    {
        var best = store.Best(runId).Where(b => b.Criterion == BestCriterion.TestAccuracy).ToList();
        var accuracy = best.FirstOrDefault(b => b.Name == MetricNames.TestAccuracy)?.Value ?? double.NaN;
        var models = store.MaskStats(runId).Where(s => s.IsModel).ToList();
        var propagated = models.FirstOrDefault(s => s.Stage == MaskStage.Propagated);
        var drawn = models.FirstOrDefault(s => s.Stage == MaskStage.Mask);
        return new RunOutcome(runId, reused, resumedFrom, accuracy,
            propagated?.PermutationLog10 ?? double.NaN, drawn?.Sparsity ?? double.NaN);
    }
}
