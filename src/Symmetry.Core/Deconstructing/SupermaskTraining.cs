using System.Text.Json.Nodes;
using Symmetry.Core.Data;
using Symmetry.Core.Experiments;
using Symmetry.Core.Experiments.Lottery;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using TorchSharp;

namespace Symmetry.Core.Deconstructing;

/// <summary>A trained supermask's outcome.</summary>
/// <param name="StateKey">The state whose frozen weights the mask was trained on.</param>
/// <param name="TestAccuracy">Mean test accuracy over the sampled masks.</param>
/// <param name="SampleAccuracies">Each sampled mask's test accuracy.</param>
/// <param name="ExpectedKeptFraction">Σσ(s) / size at the end.</param>
/// <param name="Reused">Read from the store rather than trained now.</param>
public sealed record SupermaskResult(string StateKey, double TestAccuracy, IReadOnlyList<double> SampleAccuracies, double ExpectedKeptFraction, bool Reused);

/// <summary>Trains a <see cref="Supermask"/> on a state's frozen weights through the one training loop; recorded as a
/// run of kind <see cref="Kind"/> (metrics at every evaluation, the sampled final accuracies), read back on a rerun.</summary>
public static class SupermaskTraining
{
    /// <summary>The run kind in the store.</summary>
    public const string Kind = "supermask";

    /// <summary>Trains (or reads back) the supermask of <paramref name="state"/>; mask draws and data order from
    /// <paramref name="seed"/>.</summary>
    public static SupermaskResult Run(ResultsStore store, Realizer realizer, DataSplits splits, ExperimentState state,
        SupermaskSettings settings, ulong seed, Action<TrainingMetrics>? onEvaluation = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(realizer);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var config = CanonicalJson.Canonicalize(new JsonObject
        {
            ["state"] = state.Key, ["settings"] = JsonNode.Parse(CanonicalJson.Serialize(settings)), ["seed"] = seed, ["testSet"] = splits.Fingerprint,
        }.ToJsonString());
        var id = MeasurementRun.Id(Kind, config);
        if (MeasurementRun.Begin(store, id, Kind, config, seed, torch.CPU))
        {
            var metrics = store.Metrics(id).Where(m => m.Split == "supermask").ToList();
            return new SupermaskResult(state.Key, metrics.First(m => m.Name == "test_accuracy_mean").Value,
                metrics.Where(m => m.Name.StartsWith("test_accuracy_sample_", StringComparison.Ordinal)).OrderBy(m => m.Name.Length).ThenBy(m => m.Name)
                    .Select(m => m.Value).ToList(),
                metrics.First(m => m.Name == "expected_kept_fraction").Value, true);
        }
        SupermaskResult? result = null;
        MeasurementRun.Record(store, id, () =>
        {
            using var model = realizer.Realize(state);
            using var supermask = new Supermask(model, settings, seed);
            var training = settings.Training;
            using var optimizer = training.Optimizer.Create(supermask.parameters());
            var data = new LoaderData(splits, training.BatchSize, seed);
            var options = new TrainerOptions { Epochs = training.Epochs, Seed = seed, Device = torch.CPU, EvaluateTrainSet = false };
            using var trainer = new Trainer(supermask, optimizer, data, options, training.Schedule.Build(training.Epochs),
                [supermask.GradientCallback, new Record(store, id, onEvaluation)]);
            trainer.Run();
            var (loss, accuracy, samples) = supermask.EvaluateSampled(data.TestBatches, torch.CPU);
            var kept = supermask.ExpectedKeptFraction();
            store.RecordMetrics(id, trainer.Step, trainer.Epoch, "supermask",
                [("test_accuracy_mean", accuracy), ("test_loss_mean", loss), ("expected_kept_fraction", kept),
                 .. samples.Select((a, i) => ($"test_accuracy_sample_{i}", a))]);
            result = new SupermaskResult(state.Key, accuracy, samples, kept, false);
            return trainer.WallSeconds;
        });
        return result!;
    }

    private sealed class Record(ResultsStore store, string id, Action<TrainingMetrics>? onEvaluation) : ITrainingCallback
    {
        public void OnEvaluation(Trainer trainer, TrainingMetrics metrics)
        {
            store.RecordMetrics(id, metrics);
            onEvaluation?.Invoke(metrics);
        }
    }
}
