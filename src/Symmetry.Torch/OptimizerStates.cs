using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>
/// An optimizer's state as named tensors, so that a checkpoint holds it beside the model. The names are the
/// checkpoint format's (unchanged since before TorchSharp): <c>step</c> (int64 scalar), <c>lr</c> (float64 scalar,
/// the first param group's rate), and <c>{i}.{buffer}</c> per parameter i in optimizer order — <c>exp_avg</c>,
/// <c>exp_avg_sq</c> (and <c>max_exp_avg_sq</c> with AMSGrad) for Adam/AdamW, <c>momentum_buffer</c> for SGD —
/// present only once the parameter has taken a step. Adam, AdamW and SGD are supported.
/// </summary>
public static class OptimizerStates
{
    /// <summary>Detached copies of the optimizer's state.</summary>
    /// <exception cref="NotSupportedException">An optimizer other than Adam, AdamW or SGD.</exception>
    public static NamedTensors Flatten(optim.Optimizer optimizer)
    {
        var states = States(optimizer);
        var flat = new NamedTensors();
        using var scope = NewDisposeScope();
        flat.Add("step", tensor(states.Select(Steps).DefaultIfEmpty(0).Max(), ScalarType.Int64));
        flat.Add("lr", tensor(optimizer.ParamGroups.First().LearningRate, ScalarType.Float64));
        for (var i = 0; i < states.Count; i++)
        {
            if (states[i] is Adam.State { step: 0 } or AdamW.State { step: 0 }) continue;
            foreach (var (field, buffer) in Buffers(states[i]))
                if (buffer is not null) flat.Add(Key(i, field), buffer.detach().clone());
        }
        return flat;
    }

    /// <summary>Writes a state taken by <see cref="Flatten"/> back into <paramref name="optimizer"/>'s live state
    /// and sets every param group's learning rate to the saved <c>lr</c>.</summary>
    /// <exception cref="ArgumentException">The saved state does not fit the optimizer (index, name or shape);
    /// nothing is changed then.</exception>
    public static void Restore(optim.Optimizer optimizer, NamedTensors saved)
    {
        var states = States(optimizer);
        foreach (var required in new[] { "step", "lr" })
            if (!saved.Contains(required)) throw new ArgumentException($"optimizer state lacks '{required}'", nameof(saved));
        var byIndex = new Dictionary<int, Dictionary<string, Tensor>>();
        foreach (var (key, value) in saved)
        {
            if (key is "step" or "lr") continue;
            var dot = key.IndexOf('.');
            if (dot < 0 || !int.TryParse(key[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= states.Count)
                throw new ArgumentException($"optimizer state entry '{key}' does not name a parameter of this optimizer ({states.Count} parameters)", nameof(saved));
            var field = key[(dot + 1)..];
            var target = Buffers(states[index]).FirstOrDefault(b => b.Field == field);
            if (target.Field is null)
                throw new ArgumentException($"optimizer state entry '{key}': {states[index].GetType().DeclaringType?.Name} has no buffer '{field}'", nameof(saved));
            if (target.Tensor is not null && !target.Tensor.shape.SequenceEqual(value.shape))
                throw new ArgumentException($"'{key}': saved shape [{string.Join(", ", value.shape)}], optimizer has [{string.Join(", ", target.Tensor.shape)}]", nameof(saved));
            (byIndex.TryGetValue(index, out var fields) ? fields : byIndex[index] = new())[field] = value;
        }
        var parameters = optimizer.parameters().ToList();
        var step = saved["step"].to(ScalarType.Int64).item<long>();
        var lr = saved["lr"].to(ScalarType.Float64).item<double>();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (var i = 0; i < states.Count; i++)
        {
            var fields = byIndex.GetValueOrDefault(i) ?? new();
            switch (states[i])
            {
                case Adam.State a:
                    a.step = RestoreMoments(fields, step, a.exp_avg, a.exp_avg_sq, a.max_exp_avg_sq);
                    break;
                case AdamW.State w:
                    w.step = RestoreMoments(fields, step, w.exp_avg, w.exp_avg_sq, w.max_exp_avg_sq);
                    break;
                case SGD.State s:
                    s.momentum_buffer?.Dispose();
                    s.momentum_buffer = fields.TryGetValue("momentum_buffer", out var m)
                        ? m.detach().to(parameters[i].device).clone().DetachFromDisposeScope()
                        : null;
                    break;
            }
        }
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }

    private static List<OptimizerState> States(optim.Optimizer optimizer) => optimizer switch
    {
        Adam or AdamW or SGD => ((OptimizerHelper)optimizer).state_dict().State,
        _ => throw new NotSupportedException($"checkpointing the state of {optimizer.GetType().Name} is not supported (Adam, AdamW, SGD are)"),
    };

    private static long Steps(OptimizerState state) => state switch
    {
        Adam.State a => a.step,
        AdamW.State w => w.step,
        _ => 0,
    };

    private static (string Field, Tensor? Tensor)[] Buffers(OptimizerState state) => state switch
    {
        Adam.State a => [("exp_avg", a.exp_avg), ("exp_avg_sq", a.exp_avg_sq), ("max_exp_avg_sq", a.max_exp_avg_sq)],
        AdamW.State w => [("exp_avg", w.exp_avg), ("exp_avg_sq", w.exp_avg_sq), ("max_exp_avg_sq", w.max_exp_avg_sq)],
        SGD.State s => [("momentum_buffer", s.momentum_buffer)],
        _ => throw new NotSupportedException($"optimizer state {state.GetType().FullName}"),
    };

    private static string Key(int index, string field) => $"{index.ToString(CultureInfo.InvariantCulture)}.{field}";

    // Adam and AdamW keep the same moments in two unrelated state types; returns the parameter's step count.
    private static long RestoreMoments(Dictionary<string, Tensor> fields, long step, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq)
    {
        Copy(fields, "exp_avg", expAvg);
        Copy(fields, "exp_avg_sq", expAvgSq);
        if (maxExpAvgSq is not null) Copy(fields, "max_exp_avg_sq", maxExpAvgSq);
        return fields.Count > 0 ? step : 0;
    }

    private static void Copy(Dictionary<string, Tensor> fields, string field, Tensor target)
    {
        if (fields.TryGetValue(field, out var source)) target.copy_(source);
        else target.zero_();
    }
}
