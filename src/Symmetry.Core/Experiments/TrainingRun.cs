using Symmetry.Core.Data;
using Symmetry.Core.LaPerm;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using Symmetry.Core.Training.Batched;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Experiments;

/// <summary>
/// The one training path of experiments: a <see cref="TrainRecipe"/> applied to a model as a run of the results
/// store — metrics at every evaluation, a checkpoint after every epoch (a killed run resumes from its last one), the
/// recipe's pruning schedule at epoch ends, the best snapshots at the end. The weight-symmetry drivers and the
/// <see cref="Realizer"/> both train through it.
/// </summary>
internal static class TrainingRun
{
    /// <summary>Trains <paramref name="model"/> (moved to <paramref name="device"/> for it) as run
    /// <paramref name="runId"/>, which the caller began; returns the epoch it resumed from, if it did, and the
    /// training seconds. Without a store (throw-away work) nothing is recorded and nothing resumes.</summary>
    internal static (int? ResumedFrom, double WallSeconds) Execute(ResultsStore? store, string runId, ZooModel model, TrainRecipe recipe,
        DataSplits splits, Device device, bool evaluateTrainSet, IEnumerable<ITrainingCallback>? extra)
    {
        using var run = Prepare(store, runId, model, recipe, splits, device, evaluateTrainSet, extra);
        run.Trainer.Run();
        if (store is not null) RecordBest(store, runId);
        if (recipe.KeepBestTest) KeepBestTest(store, runId, model, run.Best);
        return (run.ResumedFrom, run.Trainer.WallSeconds);
    }

    /// <summary>Whether runs of <paramref name="recipe"/> can train batched: not when its pruning schedule changes the
    /// model after training has begun (the stacked networks would need re-stacking at those epochs).</summary>
    internal static bool CanBatch(TrainRecipe recipe) =>
        recipe.StartStep == 0 && recipe.StopStep is null &&
        recipe is { LaPerm: null, L2: 0, EvaluateEverySteps: null, Augmentation: null, WeightDecayOnWeights: 0, KeepBestTest: false } &&
        (recipe.PruneSchedule is null || recipe.PruneScheduleOriginal || recipe.PruneSchedule.All(step => step.Epoch == 0));

    /// <summary>
    /// Trains several runs of one MLP layout and one training setting (seeds aside) together through a
    /// <see cref="BatchedTrainer"/>, each recorded exactly as <see cref="Execute"/> records it (metrics, epoch
    /// checkpoints, best snapshots; a killed run resumes from its own last checkpoint). Runs resuming from different
    /// epochs train in separate groups; a group of one trains alone. Returns each run's resume epoch and wall seconds.
    /// </summary>
    internal static IReadOnlyList<(int? ResumedFrom, double WallSeconds)> ExecuteBatched(ResultsStore store,
        IReadOnlyList<(string RunId, ZooModel Model, TrainRecipe Recipe)> runs, DataSplits splits, Device device, bool evaluateTrainSet,
        Func<string, IEnumerable<ITrainingCallback>>? extra)
    {
        var prepared = new List<PreparedRun>();
        try
        {
            foreach (var (runId, model, recipe) in runs)
                prepared.Add(Prepare(store, runId, model, recipe, splits, device, evaluateTrainSet, extra?.Invoke(runId)));
            var training = runs[0].Recipe.Training;
            foreach (var group in prepared.GroupBy(p => p.Trainer.Epoch))
            {
                var trainers = group.Select(p => p.Trainer).ToList();
                if (trainers.Count == 1) trainers[0].Run();
                else new BatchedTrainer(trainers, training.Optimizer, training.Schedule.Build(training.Epochs)).Run();
            }
            foreach (var (runId, _, _) in runs) RecordBest(store, runId);
            return prepared.Select(p => (p.ResumedFrom, p.Trainer.WallSeconds)).ToList();
        }
        finally
        {
            foreach (var p in prepared) p.Dispose();
        }
    }

    /// <summary>A run's trainer, built as the one training path builds it, restored from its last checkpoint or else
    /// pruned by the schedule's epoch-0 steps.</summary>
    private static PreparedRun Prepare(ResultsStore? store, string runId, ZooModel model, TrainRecipe recipe,
        DataSplits splits, Device device, bool evaluateTrainSet, IEnumerable<ITrainingCallback>? extra)
    {
        var training = recipe.Training;
        if (recipe.LaPerm is not null && recipe.PruneSchedule is { Count: > 0 })
            throw new ArgumentException("LaPerm keeps θ₀'s values, so it cannot follow a magnitude-pruning schedule: prune first (a random-prune state), then train with LaPerm");
        model.to(device);
        // Built after the move (.to makes new parameters).
        var optimizer = training.Optimizer.Create(model.parameters());
        var loader = new LoaderData(splits, training.BatchSize, recipe.Seed, recipe.Augmentation);
        var totalSteps = loader.BatchesPerEpoch * training.Epochs;
        var evaluateEvery = recipe.EvaluateEverySteps ?? recipe.LaPerm?.AlignedEvaluationPeriod(loader.BatchesPerEpoch);
        var options = new TrainerOptions
        {
            Epochs = training.Epochs, Seed = recipe.Seed, Device = device, EvaluateTrainSet = evaluateTrainSet, StopAtStep = recipe.StopStep,
            EvaluateEachEpoch = evaluateEvery is null, EvaluateEverySteps = evaluateEvery ?? 0, EvaluateAtEnd = evaluateEvery is not null,
        };
        // Per step: the L2 gradient before the optimizer step, LaPerm's sync after it (so evaluations and epoch-end
        // checkpoints see synchronised weights where a sync fell). Epoch ends: prune on schedule first, then
        // checkpoint the pruned state.
        if (recipe.KeepBestTest && evaluateEvery is not null)
            throw new ArgumentException("keeping the best-test weights needs evaluations at epoch ends (where the epoch checkpoints are): drop EvaluateEverySteps and LaPerm, or KeepBestTest");
        var laPerm = recipe.LaPerm is { } settings ? new LaPermSynchronizer(model, settings, totalSteps) : null;
        // The zoo's named weight decay acts on the gradient, like the L2 penalty, before the optimizer step.
        ITrainingCallback[] stepCallbacks =
        [
            .. recipe.L2 > 0 ? [new L2Penalty(model, recipe.L2)] : Array.Empty<ITrainingCallback>(),
            .. recipe.WeightDecayOnWeights > 0 ? [new NamedWeightDecay(model, recipe.WeightDecayOnWeights)] : Array.Empty<ITrainingCallback>(),
            .. laPerm is null ? [] : new ITrainingCallback[] { laPerm },
        ];
        var best = recipe.KeepBestTest && store is null ? new BestSnapshots() : null;
        ITrainingCallback[] callbacks = store is null
            ? [.. stepCallbacks, new ScheduledPruning(recipe, model), .. best is null ? [] : new ITrainingCallback[] { best }, .. extra ?? []]
            : [.. stepCallbacks, new StoreMetrics(store, runId), new ScheduledPruning(recipe, model), new EpochCheckpoints(store, runId), .. extra ?? []];
        var trainer = new Trainer(model, optimizer, loader, options, training.Schedule.Build(training.Epochs), callbacks);
        var run = new PreparedRun(trainer, optimizer, laPerm, best);
        try
        {
            if (store is not null && NewestIntactCheckpoint(store, runId) is { } checkpoint)
            {
                TrainingCheckpoint.Restore(trainer, checkpoint.Path);
                run.ResumedFrom = trainer.Epoch;
            }
            else if (recipe.StartStep > 0) trainer.StartAt(recipe.StartStep, loader.BatchesPerEpoch);
            else Prune(recipe, model, epoch: 0);
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    private sealed class PreparedRun(Trainer trainer, optim.Optimizer optimizer, LaPermSynchronizer? laPerm, BestSnapshots? best) : IDisposable
    {
        public Trainer Trainer { get; } = trainer;
        public int? ResumedFrom { get; set; }

        /// <summary>The in-memory best-test snapshot (KeepBestTest without a store; with one, the epoch checkpoints serve).</summary>
        public BestSnapshots? Best { get; } = best;

        public void Dispose()
        {
            Trainer.Dispose();
            optimizer.Dispose();
            laPerm?.Dispose();
            Best?.Dispose();
        }
    }

    /// <summary>Loads the weights of the evaluation with the highest test accuracy into <paramref name="model"/>: from the
    /// run's epoch checkpoint at that step (right across resumes, since the best is read from every stored evaluation),
    /// or, without a store, from the in-memory snapshot.</summary>
    private static void KeepBestTest(ResultsStore? store, string runId, ZooModel model, BestSnapshots? memory)
    {
        if (store is null)
        {
            if (memory?.BestTestAccuracyState is { } state) StateDicts.Load(model, state);
            return;
        }
        var best = store.Best(runId).FirstOrDefault(b => b.Criterion == BestCriterion.TestAccuracy)
            ?? throw new InvalidOperationException($"run {runId} recorded no test accuracy to keep the best of");
        var checkpoint = store.Checkpoints(runId).LastOrDefault(c => c.Step == best.Step)
            ?? throw new InvalidOperationException($"run {runId} has no epoch checkpoint at step {best.Step}, its best test accuracy");
        TrainingCheckpoint.LoadModel(model, checkpoint.Path);
    }

    /// <summary>The newest checkpoint of the run that reads back intact; each newer one that does not (damaged, truncated,
    /// not a checkpoint) is moved aside with a warning naming it, so the run resumes from an older one or from scratch
    /// instead of trusting it or failing on it forever.</summary>
    private static CheckpointRecord? NewestIntactCheckpoint(ResultsStore store, string runId)
    {
        while (store.LatestCheckpoint(runId) is { } checkpoint)
        {
            try
            {
                TrainingCheckpoint.Verify(checkpoint.Path);
                return checkpoint;
            }
            catch (CorruptCheckpointException error)
            {
                var aside = Quarantine.MoveAside(checkpoint.Path);
                Quarantine.Warn($"{error.Message}; moved it to {aside} and resuming from an older checkpoint or from the start");
            }
        }
        return null;
    }

    private static void Prune(TrainRecipe recipe, ZooModel model, int epoch)
    {
        if (recipe.PruneSchedule is null || (recipe.PruneScheduleOriginal && epoch > 0)) return;
        foreach (var step in recipe.PruneSchedule.Where(p => p.Epoch == epoch))
            new SparsityTargetPruning { Sparsity = step.Sparsity }.ApplyTo(model);
    }

    private static void RecordBest(ResultsStore store, string runId)
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

    private sealed class StoreMetrics(ResultsStore store, string runId) : ITrainingCallback
    {
        public void OnEvaluation(Trainer trainer, TrainingMetrics metrics) => store.RecordMetrics(runId, metrics);
    }

    private sealed class ScheduledPruning(TrainRecipe recipe, ZooModel model) : ITrainingCallback
    {
        public void OnEpochEnd(Trainer trainer, int epoch) => Prune(recipe, model, epoch);
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
