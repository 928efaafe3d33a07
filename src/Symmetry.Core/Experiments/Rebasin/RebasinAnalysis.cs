using System.Text.Json.Nodes;
using Symmetry.Core.Data;
using Symmetry.Core.Experiments.Lottery;
using Symmetry.Core.Models;
using Symmetry.Core.Permutations;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Experiments.Rebasin;

/// <summary>One path of a re-basin comparison: its test curve and, when measured, its training-set curve.</summary>
/// <param name="Test">On the test set.</param>
/// <param name="Train">On the training set (null when not measured).</param>
public sealed record RebasinPath(InterpolationCurve Test, InterpolationCurve? Train);

/// <summary>A re-basin comparison of two trained networks A and B.</summary>
/// <param name="StateKeys">A's and B's states.</param>
/// <param name="Naive">The straight line from A to B.</param>
/// <param name="Permuted">The straight line from A to B with its hidden units permuted by weight matching.</param>
/// <param name="Objective">Weight matching's Σ⟨W_A, P(W_B)⟩ after alignment.</param>
/// <param name="InitialObjective">The same before (identities).</param>
/// <param name="Sweeps">Weight matching's sweeps.</param>
/// <param name="BatchNormRecomputed">Whether BatchNorm statistics were recomputed at each λ.</param>
/// <param name="Reused">Read back from the store rather than measured now.</param>
public sealed record RebasinResult(IReadOnlyList<string> StateKeys, RebasinPath Naive, RebasinPath Permuted, double Objective,
    double InitialObjective, int Sweeps, bool BatchNormRecomputed, bool Reused);

/// <summary>
/// Git Re-Basin (Ainsworth et al. 2023; ALGORITHMS §6): weight matching aligns B's hidden units to A's
/// (<see cref="WeightMatching"/>), then loss and accuracy are measured along the straight line from A to B (naive)
/// and from A to the permuted B, at evenly spaced λ. For models with BatchNorm the running statistics are reset and
/// recomputed at every λ, ends included (one no-grad pass over the training set in train mode,
/// <see cref="BatchNormStatistics"/>), since interpolated weights with interpolated statistics give an artefactual
/// barrier. Recorded as a run of kind <see cref="Kind"/>: metric rows per path and point, a summary row.
/// </summary>
public static class RebasinAnalysis
{
    /// <summary>The run kind in the store.</summary>
    public const string Kind = "rebasin";

    /// <summary>The metrics' split for the straight line from A to B.</summary>
    public const string NaivePath = "naive";

    /// <summary>The metrics' split for the line from A to the permuted B.</summary>
    public const string PermutedPath = "permuted";

    /// <summary>B's state with its hidden units permuted to match A's by weight matching (visiting order from
    /// <paramref name="seed"/>'s "matching" stream), and the matching's result. The caller owns the state.</summary>
    public static (NamedTensors Aligned, WeightMatchingResult Matching) Align(PermutationSpec spec, NamedTensors a, NamedTensors b,
        ulong seed, int maxSweeps = 100)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var order = Generators.ForPurpose(seed, "matching");
        var matching = WeightMatching.Match(spec, a, b, order, maxSweeps);
        return (spec.Apply(matching.Permutations, b), matching);
    }

    /// <summary>Loss and accuracy of <paramref name="model"/> loaded with (1 − λ)·A + λ·B at each λ (BatchNorm
    /// statistics recomputed at each, for models with BatchNorm), on the test set and, when asked, the training set.
    /// The model is left with the last point's weights.</summary>
    public static RebasinPath Path(nn.Module<Tensor, Tensor> model, NamedTensors a, NamedTensors b, IReadOnlyList<double> lambdas,
        DataSplits splits, Device device, bool trainSet, Action<int, LossAccuracy, LossAccuracy?>? onPoint = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var data = new LoaderData(splits, 128, 0);
        var batchNorm = BatchNormStatistics.Has(model);
        var test = new (double Loss, double Accuracy)[lambdas.Count];
        var train = trainSet ? new (double Loss, double Accuracy)[lambdas.Count] : null;
        model.to(device);
        for (var i = 0; i < lambdas.Count; i++)
        {
            using (var mixed = StateInterpolation.Lerp(a, b, lambdas[i])) StateDicts.Load(model, mixed);
            if (batchNorm) BatchNormStatistics.Recompute(model, data.TrainEvaluationBatches(), device);
            var onTest = Evaluation.Evaluate(model, data.TestBatches(), device);
            LossAccuracy? onTrain = trainSet ? Evaluation.Evaluate(model, data.TrainEvaluationBatches(), device) : null;
            test[i] = (onTest.Loss, onTest.Accuracy);
            if (onTrain is { } t) train![i] = (t.Loss, t.Accuracy);
            onPoint?.Invoke(i, onTest, onTrain);
        }
        return new RebasinPath(Curve(lambdas, test), train is null ? null : Curve(lambdas, train));
    }

    /// <summary>Measures (or reads back) the re-basin comparison of the trained states <paramref name="a"/> and
    /// <paramref name="b"/> (one model and config), realising them through <paramref name="realizer"/>.</summary>
    /// <exception cref="ArgumentException">States of different models or configs, or invalid settings.</exception>
    public static RebasinResult Measure(ResultsStore store, Realizer realizer, DataSplits splits, ExperimentState a, ExperimentState b,
        RebasinSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(realizer);
        ArgumentNullException.ThrowIfNull(splits);
        settings ??= new RebasinSettings();
        settings.Validate();
        if (a.Model != b.Model || CanonicalJson.Serialize(a.Config) != CanonicalJson.Serialize(b.Config))
            throw new ArgumentException($"re-basin compares two networks of one architecture, got {a.Model} and {b.Model} with configs that differ");
        if (a.Key == b.Key) throw new ArgumentException("re-basin compares two different networks, got the same state twice");
        var lambdas = StateInterpolation.Alphas(settings.Points);
        var config = CanonicalJson.Canonicalize(new JsonObject
        {
            ["a"] = a.Key, ["b"] = b.Key, ["points"] = settings.Points, ["matchingSeed"] = settings.MatchingSeed,
            ["maxSweeps"] = settings.MaxSweeps, ["trainSet"] = settings.TrainSet, ["data"] = splits.Fingerprint,
        }.ToJsonString());
        var id = MeasurementRun.Id(Kind, config);
        if (MeasurementRun.Begin(store, id, Kind, config, settings.MatchingSeed, realizer.Device)) return Read(store, id, a, b, lambdas, settings.TrainSet);
        RebasinResult? result = null;
        MeasurementRun.Record(store, id, () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var modelA = realizer.Realize(a);
            using var modelB = realizer.Realize(b);
            using var stateA = StateDicts.Copy(modelA);
            using var stateB = StateDicts.Copy(modelB);
            var spec = PermutationSpec.For(modelA);
            var (aligned, matching) = Align(spec, stateA, stateB, settings.MatchingSeed, settings.MaxSweeps);
            using var permutedB = aligned;
            RebasinPath Run(string split, NamedTensors end) =>
                Path(modelA, stateA, end, lambdas, splits, realizer.Device, settings.TrainSet, (i, test, train) =>
                    store.RecordMetrics(id, i, lambdas[i], split,
                    [
                        ("test_loss", test.Loss), ("test_accuracy", test.Accuracy),
                        .. train is { } t ? new[] { ("train_loss", t.Loss), ("train_accuracy", t.Accuracy) } : [],
                    ]));
            var naive = Run(NaivePath, stateB);
            var permuted = Run(PermutedPath, permutedB);
            var batchNorm = BatchNormStatistics.Has(modelA);
            result = new RebasinResult([a.Key, b.Key], naive, permuted, matching.Objective, matching.InitialObjective, matching.Sweeps, batchNorm, false);
            store.RecordMetrics(id, 0, 0, "summary",
            [
                ("matching_objective", matching.Objective), ("matching_initial_objective", matching.InitialObjective),
                ("matching_sweeps", matching.Sweeps), ("batch_norm_recomputed", batchNorm ? 1 : 0),
                ("naive_loss_barrier", naive.Test.LossBarrier), ("permuted_loss_barrier", permuted.Test.LossBarrier),
            ]);
            return clock.Elapsed.TotalSeconds;
        });
        return result!;
    }

    private static RebasinResult Read(ResultsStore store, string id, ExperimentState a, ExperimentState b, double[] lambdas, bool trainSet)
    {
        var rows = store.Metrics(id).ToLookup(r => (r.Split, r.Step, r.Name));
        double Value(string split, long step, string name) => rows[(split, step, name)].First().Value;
        InterpolationCurve CurveOf(string split, string set) => new(lambdas,
            [.. lambdas.Select((_, i) => Value(split, i, set + "_loss"))], [.. lambdas.Select((_, i) => Value(split, i, set + "_accuracy"))]);
        RebasinPath PathOf(string split) => new(CurveOf(split, "test"), trainSet ? CurveOf(split, "train") : null);
        return new RebasinResult([a.Key, b.Key], PathOf(NaivePath), PathOf(PermutedPath), Value("summary", 0, "matching_objective"),
            Value("summary", 0, "matching_initial_objective"), (int)Value("summary", 0, "matching_sweeps"),
            Value("summary", 0, "batch_norm_recomputed") != 0, true);
    }

    private static InterpolationCurve Curve(IReadOnlyList<double> lambdas, (double Loss, double Accuracy)[] points) =>
        new(lambdas, [.. points.Select(p => p.Loss)], [.. points.Select(p => p.Accuracy)]);
}
