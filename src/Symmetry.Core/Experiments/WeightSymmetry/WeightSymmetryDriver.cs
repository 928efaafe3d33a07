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
        using var model = BuildModel(config, splits);
        if (Masked(config) is var (type, s)) DrawMask(config, model, type, s).Dispose();
    }

    /// <summary>Runs (or reuses, or resumes) <paramref name="config"/>.</summary>
    public RunOutcome Run(WeightSymmetryConfig config)
    {
        config.Validate();
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
        var root = ExperimentState.Initial(config.Model, ModelConfigFor(config, splits), config.Seed, config.Data);
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
        var splits = data(config.Data);
        var trained = States(config, splits);
        var start = trained.Parent!;
        using var model = new Realizer(store, data, device).Realize(start);
        RecordStartingMask(config, runId, model, start);
        var (resumedFrom, wallSeconds) = TrainingRun.Execute(store, runId, model, (TrainRecipe)trained.Recipe, splits, device,
            evaluateTrainSet: true, CallbacksFor?.Invoke(runId));
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
        return resumedFrom;
    }

    private static ModelConfig ModelConfigFor(WeightSymmetryConfig config, DataSplits splits)
    {
        var shape = splits.InputShape;
        return new ModelConfig((int)shape[0], (int)shape[1], splits.ClassCount)
        {
            Widths = config.ResolvedWidths(splits.InputSize, splits.ClassCount),
            Dropout = config.Dropout > 0 ? config.Dropout : null,
            BatchNorm = config.BatchNorm ? true : null,
        };
    }

    private static ZooModel BuildModel(WeightSymmetryConfig config, DataSplits splits)
    {
        using var init = Generators.ForPurpose(config.Seed, "init");
        return ModelZoo.Create(config.Model, ModelConfigFor(config, splits), init);
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
        return driver.Low + (driver.High - driver.Low) * draw;
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
