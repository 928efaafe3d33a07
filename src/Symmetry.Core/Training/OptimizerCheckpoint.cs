using System.Globalization;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training;

/// <summary>
/// The <c>optimizer.*</c> section of a training checkpoint, in the format the old binding wrote (so its checkpoints
/// still load): <c>step</c> (0-d int64, steps taken), <c>lr</c> (0-d float64) and <c>{i}.{buffer}</c> for parameter i in
/// the optimizer's order (Adam/AdamW: <c>exp_avg</c>, <c>exp_avg_sq</c>; SGD with momentum: <c>momentum_buffer</c>).
/// TorchSharp's Adam counts steps per parameter; where a parameter's count differs from <c>step</c> it is written as
/// <c>{i}.step</c>. Translated to and from <see cref="OptimizerStates"/>' names.
/// </summary>
internal static class OptimizerCheckpoint
{
    private const string StatePrefix = "state.";

    /// <summary>The optimizer's state in checkpoint names (owned by the caller). <paramref name="steps"/> is written as
    /// <c>step</c> when the optimizer keeps no step count of its own (SGD).</summary>
    internal static NamedTensors Save(optim.Optimizer optimizer, long steps)
    {
        using var flat = OptimizerStates.Flatten(optimizer);
        var entries = new List<(int Index, string Field, Tensor Tensor)>();
        foreach (var (key, tensor) in flat) entries.Add(Parse(key, tensor));
        var perParameter = entries.Where(e => e.Field == "step").ToDictionary(e => e.Index, e => e.Tensor.item<long>());
        var step = perParameter.Count > 0 ? perParameter.Values.Max() : steps;
        var saved = new NamedTensors();
        using var scope = NewDisposeScope();
        saved.Add("step", tensor(step, ScalarType.Int64));
        saved.Add("lr", tensor(LearningRates.Get(optimizer), ScalarType.Float64));
        foreach (var (index, field, value) in entries.OrderBy(e => e.Index).ThenBy(e => e.Field, StringComparer.Ordinal))
        {
            if (field == "step")
            {
                if (perParameter[index] != step) saved.Add(Name(index, field), tensor(perParameter[index], ScalarType.Int64));
                continue;
            }
            saved.Add(Name(index, field), value.clone());
        }
        return saved;
    }

    /// <summary>Restores a section written by <see cref="Save"/> (or by the old binding): later steps are identical to
    /// the saved optimizer's. Sets every parameter group's learning rate to the saved <c>lr</c>.</summary>
    /// <exception cref="ArgumentException">An entry names no parameter of this optimizer, or a buffer does not fit.</exception>
    internal static void Restore(optim.Optimizer optimizer, NamedTensors saved)
    {
        var parameters = optimizer.parameters().ToList();
        using var scope = NewDisposeScope();
        var step = saved["step"].to(ScalarType.Int64).item<long>();
        var learningRate = saved["lr"].to(ScalarType.Float64).item<double>();
        using var translated = new NamedTensors();
        var steps = new Dictionary<int, long>();
        foreach (var (key, value) in saved)
        {
            if (key is "step" or "lr") continue;
            var dot = key.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 || !int.TryParse(key[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= parameters.Count)
                throw new ArgumentException($"optimizer state entry '{key}' does not name a parameter of this optimizer", nameof(saved));
            var field = key[(dot + 1)..];
            if (field == "step") steps[index] = value.to(ScalarType.Int64).item<long>();
            else translated.Add(StateName(index, field), value.to(parameters[index].device).clone());
        }
        if (optimizer is TorchSharp.Modules.Adam or TorchSharp.Modules.AdamW)
            for (var i = 0; i < parameters.Count; i++)
            {
                // The old binding made moment buffers on a parameter's first update: a missing one is still zero.
                foreach (var field in (string[])["exp_avg", "exp_avg_sq"])
                    if (!translated.Contains(StateName(i, field))) translated.Add(StateName(i, field), zeros_like(parameters[i]));
                translated.Add(StateName(i, "step"), tensor(steps.GetValueOrDefault(i, step), ScalarType.Int64));
            }
        else if (steps.Count > 0)
            throw new ArgumentException($"optimizer state has per-parameter step counts, which {optimizer.GetType().Name} does not keep", nameof(saved));
        OptimizerStates.Restore(optimizer, translated);
        LearningRates.Set(optimizer, learningRate);
    }

    private static (int Index, string Field, Tensor Tensor) Parse(string key, Tensor tensor)
    {
        // OptimizerStates names entries state.{i}.{field}.
        var rest = key.StartsWith(StatePrefix, StringComparison.Ordinal) ? key[StatePrefix.Length..] : key;
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || !int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            throw new InvalidOperationException($"unexpected optimizer state entry '{key}' (internal error)");
        return (index, rest[(dot + 1)..], tensor);
    }

    private static string Name(int index, string field) => string.Create(CultureInfo.InvariantCulture, $"{index}.{field}");

    private static string StateName(int index, string field) => StatePrefix + Name(index, field);
}
