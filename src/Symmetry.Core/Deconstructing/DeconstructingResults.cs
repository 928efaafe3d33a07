using System.Text.Json.Nodes;
using Symmetry.Core.Data;
using Symmetry.Core.Experiments;
using Symmetry.Core.Experiments.Lottery;
using Symmetry.Core.Pruning;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using TorchSharp;

namespace Symmetry.Core.Deconstructing;

/// <summary>One measured branch: its weights remaining and test accuracy.</summary>
public sealed record DeconstructingRow(DeconstructingBranch Branch, double WeightsRemaining, double TestAccuracy);

/// <summary>Realises branches and measures each one's test accuracy (untrained ones: the supermask accuracy of the
/// network under its mask) and weights remaining; recorded as a run of kind <see cref="Kind"/>, one metric row per
/// branch with the branch's <see cref="DeconstructingBranch.Label"/> as its split, so a rerun reads it back.</summary>
public static class DeconstructingResults
{
    /// <summary>The run kind in the store.</summary>
    public const string Kind = "deconstructing";

    /// <summary>The rows of <paramref name="branches"/>, measured now or read back; <paramref name="onRow"/> sees each.</summary>
    public static IReadOnlyList<DeconstructingRow> Measure(ResultsStore store, Realizer realizer, DataSplits splits,
        IReadOnlyList<DeconstructingBranch> branches, Action<DeconstructingRow>? onRow = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(realizer);
        ArgumentNullException.ThrowIfNull(branches);
        var states = new JsonArray();
        foreach (var b in branches) states.Add(new JsonArray(b.Label, b.Rounds, b.State.Key));
        var config = CanonicalJson.Canonicalize(new JsonObject { ["branches"] = states, ["testSet"] = splits.Fingerprint }.ToJsonString());
        var id = MeasurementRun.Id(Kind, config);
        var seed = branches.Count > 0 ? branches[0].State.Root.Recipe.Seed : 0;
        if (MeasurementRun.Begin(store, id, Kind, config, seed, realizer.Device))
        {
            var metrics = store.Metrics(id);
            var stored = branches.Select((b, i) =>
            {
                double Value(string name) => metrics.First(m => m.Step == i && m.Name == name).Value;
                return new DeconstructingRow(b, Value("weights_remaining"), Value(MetricNames.TestAccuracy));
            }).ToList();
            foreach (var row in stored) onRow?.Invoke(row);
            return stored;
        }
        var rows = new List<DeconstructingRow>();
        MeasurementRun.Record(store, id, () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var test = new LoaderData(splits, 128, 0);
            for (var i = 0; i < branches.Count; i++)
            {
                using var model = realizer.Realize(branches[i].State);
                var remaining = MagnitudePruning.RemainingFraction(model);
                model.to(realizer.Device);
                var accuracy = Evaluation.Evaluate(model, test.TestBatches(), realizer.Device).Accuracy;
                var row = new DeconstructingRow(branches[i], remaining, accuracy);
                store.RecordMetrics(id, i, branches[i].Rounds, branches[i].Label, [("weights_remaining", remaining), (MetricNames.TestAccuracy, accuracy)]);
                rows.Add(row);
                onRow?.Invoke(row);
            }
            return clock.Elapsed.TotalSeconds;
        });
        return rows;
    }
}
