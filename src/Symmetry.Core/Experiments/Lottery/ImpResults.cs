using System.Text.Json.Nodes;
using Symmetry.Core.Data;
using Symmetry.Core.Pruning;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using TorchSharp;

namespace Symmetry.Core.Experiments.Lottery;

/// <summary>One row of an IMP experiment: round 0 is the dense network.</summary>
/// <param name="Round">Pruning round (0: dense).</param>
/// <param name="WeightsRemaining">Fraction of prunable weights the ticket keeps.</param>
/// <param name="TicketAccuracy">Final test accuracy of the trained ticket.</param>
/// <param name="ReinitAccuracy">Of the random-reinitialisation control (NaN: not trained).</param>
/// <param name="RandomMaskAccuracy">Of the random-mask control (NaN: not trained).</param>
public sealed record ImpRow(int Round, double WeightsRemaining, double TicketAccuracy, double ReinitAccuracy, double RandomMaskAccuracy);

/// <summary>Realises an <see cref="ImpPlan"/> and measures every trained state's final test accuracy and the weights
/// it keeps; the table is recorded as a run of kind <see cref="Kind"/> (one metric row per round), so a rerun reads it
/// back, and every state is loaded rather than trained again.</summary>
public static class ImpResults
{
    /// <summary>The run kind in the store.</summary>
    public const string Kind = "lottery-ticket";

    /// <summary>The table of <paramref name="plan"/>, measured now or read back; <paramref name="onRow"/> sees each row
    /// as it comes.</summary>
    public static IReadOnlyList<ImpRow> Measure(ResultsStore store, Realizer realizer, DataSplits splits, ImpPlan plan, Action<ImpRow>? onRow = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(realizer);
        ArgumentNullException.ThrowIfNull(plan);
        var rounds = new JsonArray();
        foreach (var r in plan.Rounds) rounds.Add(new JsonArray(r.Ticket.Key, r.ReinitControl?.Key, r.RandomMaskControl?.Key));
        var config = CanonicalJson.Canonicalize(new JsonObject
        {
            ["dense"] = plan.Dense.Key, ["rewindPoint"] = plan.RewindPoint.Key, ["rounds"] = rounds,
            ["strategy"] = plan.Rounds.FirstOrDefault()?.Pruned.Recipe is PruneRecipe p ? p.Strategy.Describe() : null,
            ["testSet"] = splits.Fingerprint,
        }.ToJsonString());
        var id = MeasurementRun.Id(Kind, config);
        if (MeasurementRun.Begin(store, id, Kind, config, plan.Root.Recipe.Seed, realizer.Device))
        {
            var stored = Read(store, id, plan.Rounds.Count);
            foreach (var row in stored) onRow?.Invoke(row);
            return stored;
        }
        var rows = new List<ImpRow>();
        MeasurementRun.Record(store, id, () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var test = new LoaderData(splits, 128, 0);
            (double Accuracy, double Remaining) Measure(ExperimentState? state)
            {
                if (state is null) return (double.NaN, double.NaN);
                using var model = realizer.Realize(state);
                var remaining = MagnitudePruning.RemainingFraction(model);
                model.to(realizer.Device);
                return (Evaluation.Evaluate(model, test.TestBatches(), realizer.Device).Accuracy, remaining);
            }
            void Add(ImpRow row)
            {
                rows.Add(row);
                store.RecordMetrics(id, row.Round, row.Round, "imp", [("weights_remaining", row.WeightsRemaining),
                    ("ticket_test_accuracy", row.TicketAccuracy), ("reinit_test_accuracy", row.ReinitAccuracy),
                    ("random_mask_test_accuracy", row.RandomMaskAccuracy)]);
                onRow?.Invoke(row);
            }
            var dense = Measure(plan.Dense);
            Add(new ImpRow(0, dense.Remaining, dense.Accuracy, double.NaN, double.NaN));
            foreach (var round in plan.Rounds)
            {
                var ticket = Measure(round.Ticket);
                Add(new ImpRow(round.Round, ticket.Remaining, ticket.Accuracy, Measure(round.ReinitControl).Accuracy,
                    Measure(round.RandomMaskControl).Accuracy));
            }
            return clock.Elapsed.TotalSeconds;
        });
        return rows;
    }

    private static List<ImpRow> Read(ResultsStore store, string id, int rounds)
    {
        var metrics = store.Metrics(id);
        double Value(int round, string name) => metrics.First(m => m.Split == "imp" && m.Step == round && m.Name == name).Value;
        return Enumerable.Range(0, rounds + 1).Select(r => new ImpRow(r, Value(r, "weights_remaining"), Value(r, "ticket_test_accuracy"),
            Value(r, "reinit_test_accuracy"), Value(r, "random_mask_test_accuracy"))).ToList();
    }
}
