using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>
/// An optimizer's per-parameter state as named tensors, so that a checkpoint can hold it beside the model
/// (<c>state.{i}.{field}</c>, i = the parameter's position in the optimizer). Adam, AdamW and SGD are supported.
/// </summary>
public static class OptimizerStates
{
    /// <summary>Detached copies of the optimizer's state tensors; Adam's step count is a 0-d int64 tensor.</summary>
    /// <exception cref="NotSupportedException">An optimizer other than Adam, AdamW or SGD.</exception>
    public static NamedTensors Flatten(optim.Optimizer optimizer)
    {
        var flat = new NamedTensors();
        using var scope = NewDisposeScope();
        var states = States(optimizer);
        for (var i = 0; i < states.Count; i++)
            foreach (var (field, tensor) in Fields(states[i]))
                if (tensor is not null) flat.Add(Key(i, field), tensor.detach().clone());
        return flat;
    }

    /// <summary>Writes a state taken by <see cref="Flatten"/> back into <paramref name="optimizer"/>'s live state.</summary>
    /// <exception cref="ArgumentException">The saved state does not fit the optimizer (count, name or shape).</exception>
    public static void Restore(optim.Optimizer optimizer, NamedTensors saved)
    {
        var states = States(optimizer);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < states.Count; i++)
            foreach (var (field, _) in Fields(states[i])) expected.Add(Key(i, field));
        var unknown = saved.Names.Where(n => !expected.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"optimizer state has entries this optimizer does not: {string.Join(", ", unknown)}", nameof(saved));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (var i = 0; i < states.Count; i++)
            switch (states[i])
            {
                case Adam.State a:
                    a.step = Step(saved, i, a.step);
                    CopyInto(saved, i, "exp_avg", a.exp_avg);
                    CopyInto(saved, i, "exp_avg_sq", a.exp_avg_sq);
                    if (a.max_exp_avg_sq is not null) CopyInto(saved, i, "max_exp_avg_sq", a.max_exp_avg_sq);
                    break;
                case AdamW.State w:
                    w.step = Step(saved, i, w.step);
                    CopyInto(saved, i, "exp_avg", w.exp_avg);
                    CopyInto(saved, i, "exp_avg_sq", w.exp_avg_sq);
                    if (w.max_exp_avg_sq is not null) CopyInto(saved, i, "max_exp_avg_sq", w.max_exp_avg_sq);
                    break;
                case SGD.State s when saved.Contains(Key(i, "momentum_buffer")):
                    var buffer = saved[Key(i, "momentum_buffer")];
                    s.momentum_buffer?.Dispose();
                    s.momentum_buffer = buffer.detach().clone().DetachFromDisposeScope();
                    break;
                case SGD.State s:
                    s.momentum_buffer?.Dispose();
                    s.momentum_buffer = null;
                    break;
            }
    }

    private static List<OptimizerState> States(optim.Optimizer optimizer) => optimizer switch
    {
        Adam or AdamW or SGD => ((OptimizerHelper)optimizer).state_dict().State,
        _ => throw new NotSupportedException($"checkpointing the state of {optimizer.GetType().Name} is not supported (Adam, AdamW, SGD are)"),
    };

    private static IEnumerable<(string Field, Tensor? Tensor)> Fields(OptimizerState state) => state switch
    {
        Adam.State a => [("step", tensor(a.step)), ("exp_avg", a.exp_avg), ("exp_avg_sq", a.exp_avg_sq), ("max_exp_avg_sq", a.max_exp_avg_sq)],
        AdamW.State w => [("step", tensor(w.step)), ("exp_avg", w.exp_avg), ("exp_avg_sq", w.exp_avg_sq), ("max_exp_avg_sq", w.max_exp_avg_sq)],
        SGD.State s => [("momentum_buffer", s.momentum_buffer)],
        _ => throw new NotSupportedException($"optimizer state {state.GetType().FullName}"),
    };

    private static string Key(int index, string field) => $"state.{index.ToString(CultureInfo.InvariantCulture)}.{field}";

    private static long Step(NamedTensors saved, int index, long current) =>
        saved.Contains(Key(index, "step")) ? saved[Key(index, "step")].item<long>() : current;

    private static void CopyInto(NamedTensors saved, int index, string field, Tensor target)
    {
        var key = Key(index, field);
        if (!saved.Contains(key)) throw new ArgumentException($"optimizer state lacks '{key}'", nameof(saved));
        var source = saved[key];
        if (!source.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"'{key}': saved shape [{string.Join(", ", source.shape)}], optimizer has [{string.Join(", ", target.shape)}]", nameof(saved));
        target.copy_(source);
    }
}
