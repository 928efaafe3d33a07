using System.Text.Json.Nodes;
using Symmetry.Core.Data;
using Symmetry.Core.Models;
using Symmetry.Core.Permutations;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Experiments.Lottery;

/// <summary>The error along the straight line between two networks trained from one state on different data orders.</summary>
/// <param name="StateKey">The state W_k both children start from.</param>
/// <param name="ChildKeys">The two trained children.</param>
/// <param name="Alphas">Interpolation coefficients, 0 to 1 evenly spaced.</param>
/// <param name="TestErrors">Test error (1 − accuracy) at each α.</param>
/// <param name="TestLosses">Test cross-entropy at each α.</param>
/// <param name="BatchNormRecomputed">Whether BatchNorm statistics were recomputed at each α (models with BatchNorm).</param>
/// <param name="Reused">Read from the store rather than measured now.</param>
public sealed record InstabilityResult(string StateKey, IReadOnlyList<string> ChildKeys, IReadOnlyList<double> Alphas,
    IReadOnlyList<double> TestErrors, IReadOnlyList<double> TestLosses, bool BatchNormRecomputed, bool Reused)
{
    /// <summary>Instability: the largest error on the path minus the mean of the end points' errors (LMC paper).</summary>
    public double Instability => TestErrors.Max() - (TestErrors[0] + TestErrors[^1]) / 2;

    /// <summary>Stable in the paper's sense: instability under 2 percentage points.</summary>
    public bool Stable => Instability < 0.02;
}

/// <summary>
/// Instability analysis (Frankle et al., linear mode connectivity; ALGORITHMS §4, no public code, so the paper as
/// written): from state W_k, two children trained with the same recipe on different data-order seeds; test error at
/// evenly spaced α on (1 − α)W₁ + αW₂; instability = max − mean of the ends. For models with BatchNorm the running
/// statistics are reset and recomputed at every α by one no-grad pass over the training set in train mode
/// (cumulative average). Recorded as a run of kind <see cref="Kind"/> per (state, children, points).
/// </summary>
public static class InstabilityAnalysis
{
    /// <summary>The run kind in the store.</summary>
    public const string Kind = "instability";

    /// <summary>The LMC paper's number of points on the path.</summary>
    public const int DefaultPoints = 30;

    /// <summary>The two children of <paramref name="state"/>: <paramref name="training"/> from step
    /// <paramref name="step"/> (schedule and data order resumed there) with data-order seeds <paramref name="seeds"/>.</summary>
    public static (ExperimentState A, ExperimentState B) Children(ExperimentState state, TrainingSettings training, long step, (ulong A, ulong B) seeds)
    {
        if (seeds.A == seeds.B) throw new ArgumentException($"the two children need different data-order seeds, both are {seeds.A}");
        return (state.Then(new TrainRecipe { Training = training, Seed = seeds.A, StartStep = step }),
            state.Then(new TrainRecipe { Training = training, Seed = seeds.B, StartStep = step }));
    }

    /// <summary>Measures (or reads back) the instability between <paramref name="a"/> and <paramref name="b"/>, two
    /// children of one state, realising them through <paramref name="realizer"/>.</summary>
    public static InstabilityResult Measure(ResultsStore store, Realizer realizer, DataSplits splits, ExperimentState a, ExperimentState b,
        int points = DefaultPoints)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(realizer);
        if (a.ParentKey is null || a.ParentKey != b.ParentKey) throw new ArgumentException("instability compares two children of one state");
        var alphas = StateInterpolation.Alphas(points);
        var config = CanonicalJson.Canonicalize(new JsonObject
        {
            ["state"] = a.ParentKey, ["children"] = new JsonArray(a.Key, b.Key), ["points"] = points, ["testSet"] = splits.Fingerprint,
        }.ToJsonString());
        var id = MeasurementRun.Id(Kind, config);
        if (MeasurementRun.Begin(store, id, Kind, config, a.Recipe.Seed, realizer.Device)) return Read(store, id, a, b, alphas);
        var errors = new double[alphas.Length];
        var losses = new double[alphas.Length];
        var batchNorm = false;
        MeasurementRun.Record(store, id, () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var modelA = realizer.Realize(a);
            using var modelB = realizer.Realize(b);
            using var stateA = StateDicts.Copy(modelA);
            using var stateB = StateDicts.Copy(modelB);
            batchNorm = BatchNormStatistics.Has(modelA);
            var data = new LoaderData(splits, 128, 0);
            modelA.to(realizer.Device);
            for (var i = 0; i < alphas.Length; i++)
            {
                using (var mixed = StateInterpolation.Lerp(stateA, stateB, alphas[i])) StateDicts.Load(modelA, mixed);
                if (batchNorm) BatchNormStatistics.Recompute(modelA, data.TrainEvaluationBatches(), realizer.Device);
                var result = Evaluation.Evaluate(modelA, data.TestBatches(), realizer.Device);
                (errors[i], losses[i]) = (1 - result.Accuracy, result.Loss);
                store.RecordMetrics(id, i, alphas[i], "interpolation", [("test_error", errors[i]), ("test_loss", losses[i])]);
            }
            var measured = new InstabilityResult(a.ParentKey, [a.Key, b.Key], alphas, errors, losses, batchNorm, false);
            store.RecordMetrics(id, 0, 0, "summary", [("instability", measured.Instability), ("batch_norm_recomputed", batchNorm ? 1 : 0)]);
            return clock.Elapsed.TotalSeconds;
        });
        return new InstabilityResult(a.ParentKey, [a.Key, b.Key], alphas, errors, losses, batchNorm, false);
    }

    private static InstabilityResult Read(ResultsStore store, string id, ExperimentState a, ExperimentState b, double[] alphas)
    {
        var rows = store.Metrics(id);
        double Value(string split, long step, string name) =>
            rows.First(r => r.Split == split && r.Step == step && r.Name == name).Value;
        var errors = alphas.Select((_, i) => Value("interpolation", i, "test_error")).ToArray();
        var losses = alphas.Select((_, i) => Value("interpolation", i, "test_loss")).ToArray();
        return new InstabilityResult(a.ParentKey!, [a.Key, b.Key], alphas, errors, losses, Value("summary", 0, "batch_norm_recomputed") != 0, true);
    }
}
