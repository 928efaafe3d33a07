using System.Diagnostics;
using System.Text.Json.Nodes;
using Symmetry.Core.Data;
using Symmetry.Core.Experiments;
using Symmetry.Core.Experiments.Lottery;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>
/// Runs <see cref="StitchingProtocol"/> for one (A, B, cut point, stitcher) and records it as a run of kind
/// <see cref="Kind"/> in the results store: its id is a content key of A's and B's state keys, the point, the
/// stitcher, the protocol, the seed and the data; a finished run is read back, not trained again. A and B are realised
/// afresh for every run (the original's deep copies), so BatchNorm drift in one run never reaches another.
/// </summary>
public static class StitchingRun
{
    /// <summary>The run kind in the store.</summary>
    public const string Kind = "stitching";

    /// <summary>Measures (or reads back) the stitched accuracy of <paramref name="a"/>'s layers up to
    /// <paramref name="point"/>, a stitcher, then <paramref name="b"/>'s layers after it.</summary>
    /// <param name="store">The results store.</param>
    /// <param name="realizer">Realises A and B (trained zoo states).</param>
    /// <param name="splits">The data (its training set trains the stitcher; its test set measures accuracy).</param>
    /// <param name="a">Model A's state.</param>
    /// <param name="b">Model B's state.</param>
    /// <param name="point">The cut point (<see cref="StitchPoints"/>).</param>
    /// <param name="preset">The stitcher and protocol.</param>
    /// <param name="seed">Seeds the stitcher's init, the validation split and the data order.</param>
    /// <param name="onEvaluation">Told about every evaluation as it happens (progress).</param>
    public static StitchingResult Measure(ResultsStore store, Realizer realizer, DataSplits splits, ExperimentState a, ExperimentState b,
        string point, StitchingPreset preset, ulong seed, Action<StitchingEvaluation>? onEvaluation = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(realizer);
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentNullException.ThrowIfNull(preset);
        preset.Stitcher.Validate();
        preset.Protocol.Validate();
        var config = CanonicalJson.Canonicalize(new JsonObject
        {
            ["a"] = a.Key, ["b"] = b.Key, ["point"] = point, ["preset"] = preset.Name,
            ["stitcher"] = JsonNode.Parse(CanonicalJson.Serialize(preset.Stitcher)),
            ["protocol"] = JsonNode.Parse(CanonicalJson.Serialize(preset.Protocol)),
            ["seed"] = seed, ["data"] = splits.Fingerprint,
        }.ToJsonString());
        var id = MeasurementRun.Id(Kind, config);
        if (MeasurementRun.Begin(store, id, Kind, config, seed, realizer.Device)) return Read(store, id, a, b, point, preset.Name);
        StitchingResult? result = null;
        MeasurementRun.Record(store, id, () =>
        {
            var clock = Stopwatch.StartNew();
            result = Train(store, id, realizer, splits, a, b, point, preset, seed, onEvaluation);
            return clock.Elapsed.TotalSeconds;
        });
        return result!;
    }

    private static StitchingResult Train(ResultsStore store, string id, Realizer realizer, DataSplits splits, ExperimentState a, ExperimentState b,
        string point, StitchingPreset preset, ulong seed, Action<StitchingEvaluation>? onEvaluation)
    {
        var protocol = preset.Protocol;
        var device = realizer.Device;
        var test = new LoaderData(splits, protocol.BatchSize, seed);
        var modelA = realizer.Realize(a);
        var modelB = realizer.Realize(b);
        double accuracyA, accuracyB;
        using var generator = Generators.ForPurpose(seed, "stitcher-init");
        StitchedModel built;
        try
        {
            accuracyA = Evaluation.Evaluate(modelA, test.TestBatches(), device).Accuracy;
            accuracyB = Evaluation.Evaluate(modelB, test.TestBatches(), device).Accuracy;
            built = StitchedModel.Build(modelA, modelB, point, features => preset.Stitcher.Create(features, generator), protocol.BatchNorm);
        }
        catch
        {
            modelA.Dispose();
            modelB.Dispose();
            throw;
        }
        using var stitched = built;
        stitched.to(device);
        using var training = TrainingSplits(splits, protocol, seed);
        var evaluations = TrainStitcher(stitched, protocol, training, test, device, seed, evaluation =>
        {
            store.RecordMetrics(id, evaluation.Phase * 10_000L + evaluation.Epoch, evaluation.Epoch, $"phase-{evaluation.Phase}",
                [("validation_accuracy", evaluation.ValidationAccuracy), ("test_accuracy", evaluation.TestAccuracy)]);
            onEvaluation?.Invoke(evaluation);
        });
        var chosen = Selected(evaluations, protocol.Selection);
        var result = new StitchingResult(a.Key, b.Key, point, preset.Name, accuracyA, accuracyB, chosen.TestAccuracy, evaluations, false);
        var summary = new List<(string, double)>
        {
            ("accuracy_a", accuracyA), ("accuracy_b", accuracyB), ("stitched_accuracy", chosen.TestAccuracy), ("penalty", result.Penalty),
            ("selected_phase", chosen.Phase), ("selected_epoch", chosen.Epoch),
        };
        if (stitched.Stitcher is LassoStitcher lasso) summary.Add(("sparsity", lasso.Sparsity()));
        store.RecordMetrics(id, 0, 0, "summary", summary);
        return result;
    }

    /// <summary>
    /// Trains <paramref name="stitched"/>'s stitcher by <paramref name="protocol"/> on <paramref name="training"/>'s
    /// training set (its test set is the validation split), evaluating on <paramref name="test"/> after every epoch;
    /// returns every evaluation in order. Only the stitcher's parameters reach the optimizer. Each phase is a fresh SGD
    /// optimizer and data order and ends by loading the state of its best epoch (by the selection's accuracy).
    /// </summary>
    public static IReadOnlyList<StitchingEvaluation> TrainStitcher(StitchedModel stitched, StitchingProtocol protocol, DataSplits training,
        ITrainingData test, Device device, ulong seed, Action<StitchingEvaluation>? onEvaluation = null)
    {
        ArgumentNullException.ThrowIfNull(stitched);
        ArgumentNullException.ThrowIfNull(protocol);
        protocol.Validate();
        var evaluations = new List<StitchingEvaluation>();
        for (var phase = 1; phase <= protocol.Phases; phase++)
        {
            // The Birkhoff stitcher's diagonal joins in phase 2 (or from the start with a single phase, as the original).
            if (stitched.Stitcher is BirkhoffStitcher birkhoff) birkhoff.UseScales = protocol.Phases == 1 || phase == 2;
            var rate = protocol.LearningRate * (phase == 2 ? protocol.SecondPhaseFactor : 1);
            using var optimizer = new SgdSettings { LearningRate = rate }.Create(stitched.TrainableParameters);
            var data = new LoaderData(training, protocol.BatchSize, Seeds.Derive(seed, $"stitching-phase-{phase}"));
            var options = new TrainerOptions
            {
                Epochs = protocol.EpochsPerPhase, Seed = Seeds.Derive(seed, $"stitching-dropout-{phase}"), Device = device,
                EvaluateEachEpoch = false, EvaluateTrainSet = false,
            };
            var schedule = protocol.StepSchedule ? Schedule.StepDecay(Math.Max(1, protocol.EpochsPerPhase / 4), 0.5) : null;
            NamedTensors? bestState = null;
            var phaseBest = double.NegativeInfinity;
            var currentPhase = phase;
            var evaluate = Callbacks.OnEpochEnd((trainer, epoch) =>
            {
                var evaluation = EvaluateEpoch(stitched, protocol, data, test, device, currentPhase, epoch);
                evaluations.Add(evaluation);
                onEvaluation?.Invoke(evaluation);
                var score = Score(evaluation, protocol.Selection);
                if (score > phaseBest)
                {
                    phaseBest = score;
                    bestState?.Dispose();
                    bestState = StateDicts.Copy(stitched);
                }
            });
            try
            {
                using (var trainer = new Trainer(stitched, optimizer, data, options, schedule, [new StitcherTraining(stitched.Stitcher, protocol.WeightDecay), evaluate]))
                    trainer.Run();
                // The original ends each phase on its best epoch's state (train.py: load best_weights).
                if (bestState is not null) StateDicts.Load(stitched, bestState);
            }
            finally
            {
                bestState?.Dispose();
            }
            (stitched.Stitcher as BirkhoffStitcher)?.Forget();
        }
        return evaluations;
    }

    /// <summary>The evaluation whose accuracy the penalty takes: the first with the best validation accuracy, or the
    /// best test accuracy (the original).</summary>
    public static StitchingEvaluation Selected(IReadOnlyList<StitchingEvaluation> evaluations, PenaltySelection selection)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        if (evaluations.Count == 0) throw new ArgumentException("no evaluations to select from", nameof(evaluations));
        var best = evaluations[0];
        foreach (var e in evaluations.Skip(1))
            if (Score(e, selection) > Score(best, selection)) best = e;
        return best;
    }

    private static double Score(StitchingEvaluation evaluation, PenaltySelection selection) =>
        selection == PenaltySelection.Validation ? evaluation.ValidationAccuracy : evaluation.TestAccuracy;

    /// <summary>The evaluation after an epoch (<paramref name="training"/>'s test batches are the validation split):
    /// with <see cref="StitchingProtocol.RefreshBatchNorm"/>, A's and B's BatchNorm statistics are first refreshed by a
    /// no-grad pass over <paramref name="training"/>'s training set (A and B in training mode, the stitcher evaluated),
    /// and the whole state (parameters and buffers) is restored afterwards: the refresh serves this evaluation only.
    /// The model is left in training mode.</summary>
    public static StitchingEvaluation EvaluateEpoch(StitchedModel stitched, StitchingProtocol protocol, ITrainingData training, ITrainingData test,
        Device device, int phase, int epoch)
    {
        ArgumentNullException.ThrowIfNull(stitched);
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(test);
        using var saved = protocol.RefreshBatchNorm ? StateDicts.Copy(stitched) : null;
        try
        {
            if (protocol.RefreshBatchNorm)
            {
                using var noGrad = no_grad();
                stitched.SetModes(parts: true, stitcher: false);
                foreach (var batch in training.TrainEvaluationBatches())
                {
                    using var scope = NewDisposeScope();
                    stitched.call(batch.Inputs.to(device));
                }
            }
            var validation = protocol.Selection == PenaltySelection.Validation
                ? Evaluation.Evaluate(stitched, training.TestBatches(), device).Accuracy
                : double.NaN;
            var accuracy = Evaluation.Evaluate(stitched, test.TestBatches(), device).Accuracy;
            return new StitchingEvaluation(phase, epoch, validation, accuracy);
        }
        finally
        {
            if (saved is not null) StateDicts.Load(stitched, saved);
            (stitched.Stitcher as BirkhoffStitcher)?.Forget();
            stitched.train();
        }
    }

    /// <summary>The stitcher's training data (the caller owns it): with validation selection, a seeded 80/20 split of the
    /// training set (the 20 % as this object's test set); with test selection, the whole training set (and the real test
    /// set, unused). A sample budget cuts the training part, and the validation part in proportion.</summary>
    public static DataSplits TrainingSplits(DataSplits splits, StitchingProtocol protocol, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var generator = Generators.ForPurpose(seed, "stitching-validation-split");
        var count = splits.Train.Count;
        var order = randperm(count, generator: generator, device: splits.Train.Device);
        var held = protocol.Selection == PenaltySelection.Validation ? (long)Math.Round(count * protocol.ValidationFraction) : 0;
        var trainIndices = order.narrow(0, held, count - held);
        if (protocol.TrainSamples is { } budget && budget < trainIndices.shape[0])
        {
            trainIndices = trainIndices.narrow(0, 0, budget);
            // The budget keeps the split's proportions: the validation set shrinks with the training set.
            held = Math.Max(1, Math.Min(held, (long)Math.Round(budget * protocol.ValidationFraction / (1 - protocol.ValidationFraction))));
        }
        var (trainImages, trainLabels) = splits.Train.Gather(trainIndices);
        TensorDataset validation;
        if (protocol.Selection == PenaltySelection.Validation)
        {
            var (images, labels) = splits.Train.Gather(order.narrow(0, 0, held));
            validation = new TensorDataset(splits.Train.Name + "/validation", images, labels, splits.Train.Normalization);
        }
        else validation = new TensorDataset(splits.Test.Name, splits.Test.Images.clone(), splits.Test.Labels.clone(), splits.Test.Normalization);
        var train = new TensorDataset(splits.Train.Name + "/stitching", trainImages, trainLabels, splits.Train.Normalization);
        return new DataSplits(splits.Name, splits.Directory, splits.Format, train, validation, splits.ClassCount) { Fingerprint = splits.Fingerprint };
    }

    private static StitchingResult Read(ResultsStore store, string id, ExperimentState a, ExperimentState b, string point, string preset)
    {
        var rows = store.Metrics(id);
        double Summary(string name) => rows.First(r => r.Split == "summary" && r.Name == name).Value;
        var evaluations = rows.Where(r => r.Split.StartsWith("phase-", StringComparison.Ordinal)).GroupBy(r => r.Step).OrderBy(g => g.Key)
            .Select(g => new StitchingEvaluation(int.Parse(g.First().Split["phase-".Length..], System.Globalization.CultureInfo.InvariantCulture), (int)g.First().Epoch,
                g.First(r => r.Name == "validation_accuracy").Value, g.First(r => r.Name == "test_accuracy").Value)).ToList();
        return new StitchingResult(a.Key, b.Key, point, preset, Summary("accuracy_a"), Summary("accuracy_b"), Summary("stitched_accuracy"), evaluations, true);
    }
}
