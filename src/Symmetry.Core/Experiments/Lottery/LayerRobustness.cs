using System.Text.Json.Nodes;
using Symmetry.Core.Data;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Experiments.Lottery;

/// <summary>The test error of a trained network with one layer replaced.</summary>
/// <param name="Layer">The layer (its weight's name; its bias goes with it).</param>
/// <param name="ReinitialisedError">Test error with the layer reset to its values at θ₀.</param>
/// <param name="RerandomisedError">Test error with the layer drawn afresh from the initialiser.</param>
public sealed record LayerRobustnessRow(string Layer, double ReinitialisedError, double RerandomisedError);

/// <summary>Layer robustness of one trained state.</summary>
/// <param name="StateKey">The trained state.</param>
/// <param name="TrainedError">Its test error as trained.</param>
/// <param name="Layers">One row per Linear/Conv2d layer, in definition order.</param>
/// <param name="Reused">Read from the store rather than measured now.</param>
public sealed record LayerRobustnessResult(string StateKey, double TrainedError, IReadOnlyList<LayerRobustnessRow> Layers, bool Reused);

/// <summary>
/// "Are all layers created equal?" (Zhang, Bengio &amp; Singer; ALGORITHMS §4): for a trained state, each Linear/Conv2d
/// layer (weight and bias) independently (a) re-initialised, reset to the root state's θ₀, and (b) re-randomised, drawn
/// afresh from the model's initialiser with a seed; the test error of each. Robust layers barely move the error;
/// critical ones send it to chance. The mask, if any, is applied to the replaced layer. Recorded as a run of kind
/// <see cref="Kind"/> per (state, seed).
/// </summary>
public static class LayerRobustness
{
    /// <summary>The run kind in the store.</summary>
    public const string Kind = "layer-robustness";

    /// <summary>Measures (or reads back) the layer robustness of <paramref name="trained"/>; the fresh draws come from
    /// <paramref name="seed"/>.</summary>
    public static LayerRobustnessResult Measure(ResultsStore store, Realizer realizer, DataSplits splits, ExperimentState trained, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(realizer);
        ArgumentNullException.ThrowIfNull(trained);
        var config = CanonicalJson.Canonicalize(new JsonObject
        {
            ["state"] = trained.Key, ["root"] = trained.Root.Key, ["seed"] = seed, ["testSet"] = splits.Fingerprint,
        }.ToJsonString());
        var id = MeasurementRun.Id(Kind, config);
        if (MeasurementRun.Begin(store, id, Kind, config, seed, realizer.Device)) return Read(store, id, trained);
        LayerRobustnessResult? result = null;
        MeasurementRun.Record(store, id, () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var model = realizer.Realize(trained);
            using var initial = realizer.Realize(trained.Root);
            using var generator = Generators.ForPurpose(seed, "rerandomize");
            using var fresh = ModelZoo.Create(trained.Model, trained.Config, generator);
            using var trainedState = StateDicts.Copy(model);
            var data = new LoaderData(splits, 128, 0);
            double Error() => 1 - Evaluation.Evaluate(model, data.TestBatches(), realizer.Device).Accuracy;
            model.to(realizer.Device);
            var trainedError = Error();
            store.RecordMetrics(id, 0, 0, "trained", [("test_error", trainedError)]);
            var rows = new List<LayerRobustnessRow>();
            var layers = PrunableLayers.All(model);
            for (var i = 0; i < layers.Count; i++)
            {
                var prefix = layers[i].WeightName[..^"weight".Length];
                CopyLayer(initial, model, prefix);
                var reinitialised = Error();
                StateDicts.Load(model, trainedState);
                CopyLayer(fresh, model, prefix);
                var rerandomised = Error();
                StateDicts.Load(model, trainedState);
                rows.Add(new LayerRobustnessRow(layers[i].WeightName, reinitialised, rerandomised));
                store.RecordMetrics(id, i, 0, Kind, [("reinit_test_error", reinitialised), ("rerandomize_test_error", rerandomised)]);
            }
            result = new LayerRobustnessResult(trained.Key, trainedError, rows, false);
            return clock.Elapsed.TotalSeconds;
        });
        return result!;
    }

    // Copies the parameters named prefix* (a layer's weight and bias) from `source` into `target`, then re-masks.
    private static void CopyLayer(nn.Module source, ZooModel target, string prefix)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var from = source.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        foreach (var (name, parameter) in target.named_parameters())
            if (name.StartsWith(prefix, StringComparison.Ordinal)) parameter.copy_(from[name]);
        target.ApplyMask();
    }

    private static LayerRobustnessResult Read(ResultsStore store, string id, ExperimentState trained)
    {
        var rows = store.Metrics(id);
        using var names = Generators.Create(0);
        using var model = ModelZoo.Create(trained.Model, trained.Config, names);
        var layers = PrunableLayers.All(model);
        double Value(string split, long step, string name) => rows.First(r => r.Split == split && r.Step == step && r.Name == name).Value;
        return new LayerRobustnessResult(trained.Key, Value("trained", 0, "test_error"),
            layers.Select((l, i) => new LayerRobustnessRow(l.WeightName, Value(Kind, i, "reinit_test_error"), Value(Kind, i, "rerandomize_test_error"))).ToList(),
            true);
    }
}
