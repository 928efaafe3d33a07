using System.Globalization;
using Symmetry.Torch.NN;

namespace Symmetry.Torch.Optim;

/// <summary>
/// Base of the optimizers: walks the parameters that have a gradient, updates them without recording gradients,
/// and re-applies each parameter's mask so pruned weights stay exactly zero. Per-parameter state (momentum and
/// moment buffers) is kept by name and can be saved and restored exactly.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<(int Parameter, string Name), Tensor> state = new();

    /// <summary>Optimises <paramref name="parameters"/> starting at learning rate <paramref name="learningRate"/>.</summary>
    protected Optimizer(IEnumerable<Parameter> parameters, double learningRate)
    {
        Parameters = parameters.ToList();
        if (Parameters.Count == 0) throw new ArgumentException("optimizer got no parameters", nameof(parameters));
        if (learningRate < 0 || double.IsNaN(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be ≥ 0");
        LearningRate = learningRate;
    }

    /// <summary>The parameters, in order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The learning rate used by the next step (schedules change it).</summary>
    public double LearningRate { get; set; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Applies one update from the current gradients.</summary>
    public void Step()
    {
        StepCount++;
        using var scope = Torch.NewScope();
        using var noGrad = Torch.NoGrad();
        for (var i = 0; i < Parameters.Count; i++)
        {
            var parameter = Parameters[i];
            var grad = parameter.Grad;
            if (grad is null) continue;
            Update(i, parameter.Value, grad);
            parameter.ApplyMask();
        }
    }

    /// <summary>Updates one parameter in place (gradient recording is off; tensors made here are freed after the step).</summary>
    protected abstract void Update(int index, Tensor value, Tensor grad);

    /// <summary>Drops every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.Value.ClearGrad();
    }

    /// <summary>The state buffer <paramref name="name"/> of parameter <paramref name="index"/>, created as zeros like
    /// <paramref name="like"/> on first use.</summary>
    protected Tensor Buffer(int index, string name, Tensor like)
    {
        if (state.TryGetValue((index, name), out var buffer)) return buffer;
        buffer = Torch.ZerosLike(like).DetachFromScope();
        state[(index, name)] = buffer;
        return buffer;
    }

    /// <summary>Whether parameter <paramref name="index"/> already has buffer <paramref name="name"/>.</summary>
    protected bool HasBuffer(int index, string name) => state.ContainsKey((index, name));

    /// <summary>A copy of the optimizer's state: buffers named <c>{parameter index}.{buffer}</c>, plus <c>step</c> and
    /// <c>lr</c> as scalar tensors (float64 / int64, exact).</summary>
    public StateDict SaveState()
    {
        var saved = new StateDict();
        using var scope = Torch.NewScope();
        saved.Add("step", Torch.Scalar(StepCount, DType.Int64));
        saved.Add("lr", Torch.Scalar(LearningRate, DType.Float64));
        foreach (var ((index, name), buffer) in state.OrderBy(e => e.Key.Parameter).ThenBy(e => e.Key.Name, StringComparer.Ordinal))
            saved.Add(string.Create(CultureInfo.InvariantCulture, $"{index}.{name}"), buffer.Clone());
        return saved;
    }

    /// <summary>Restores a state from <see cref="SaveState"/>: later steps are identical to the saved optimizer's.</summary>
    public void LoadState(StateDict saved)
    {
        foreach (var buffer in state.Values) buffer.Dispose();
        state.Clear();
        StepCount = saved["step"].ToInt64();
        LearningRate = saved["lr"].ToDouble();
        using var scope = Torch.NewScope();
        foreach (var (key, tensor) in saved.Entries)
        {
            if (key is "step" or "lr") continue;
            var dot = key.IndexOf('.');
            if (dot < 0 || !int.TryParse(key[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= Parameters.Count)
                throw new ArgumentException($"optimizer state entry '{key}' does not name a parameter of this optimizer", nameof(saved));
            state[(index, key[(dot + 1)..])] = tensor.Clone().DetachFromScope();
        }
    }

    /// <summary>Frees the state buffers (not the parameters).</summary>
    public void Dispose()
    {
        foreach (var buffer in state.Values) buffer.Dispose();
        state.Clear();
        GC.SuppressFinalize(this);
    }
}
