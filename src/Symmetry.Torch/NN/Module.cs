namespace Symmetry.Torch.NN;

/// <summary>
/// A neural-network building block with PyTorch-style dotted names for its parameters and buffers
/// (<c>layers.0.weight</c>), a train/eval mode, state snapshots and device moves. A module owns its parameters,
/// buffers and children and frees them on <see cref="Dispose"/>.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Parameter Parameter)> parameters = new();
    private readonly List<(string Name, Tensor Buffer)> buffers = new();
    private readonly List<(string Name, Module Module)> children = new();

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Computes the module's output for <paramref name="input"/>; tensors go to the caller's scope.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Registers a parameter initialised from a copy of <paramref name="initial"/>.</summary>
    protected Parameter RegisterParameter(string name, Tensor initial, bool requiresGrad = true)
    {
        CheckName(name);
        var parameter = new Parameter(initial, requiresGrad);
        parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>Registers a buffer (state that is saved but not trained, e.g. running statistics); takes a copy.</summary>
    protected void RegisterBuffer(string name, Tensor initial)
    {
        CheckName(name);
        buffers.Add((name, initial.Detach().Clone().DetachFromScope()));
    }

    /// <summary>The buffer registered as <paramref name="name"/> on this module.</summary>
    protected Tensor Buffer(string name) => buffers.First(b => b.Name == name).Buffer;

    /// <summary>Registers a child module whose names are prefixed with <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"invalid member name '{name}': non-empty, without dots", nameof(name));
        if (parameters.Any(p => p.Name == name) || buffers.Any(b => b.Name == name) || children.Any(c => c.Name == name))
            throw new ArgumentException($"'{name}' is already registered on {GetType().Name}", nameof(name));
    }

    /// <summary>Direct children in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> Children() => children;

    /// <summary>Every parameter of this module and its descendants, with dotted names, in definition order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in parameters) yield return (prefix + name, p);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedParameters(prefix + name + ".")) yield return item;
    }

    /// <summary>Every parameter, in definition order.</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer of this module and its descendants, with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in buffers) yield return (prefix + name, b);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedBuffers(prefix + name + ".")) yield return item;
    }

    /// <summary>Every module in the tree (this one first), with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix.TrimEnd('.'), this);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedModules(prefix + name + ".")) yield return item;
    }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => p.Value.NumEl);

    /// <summary>Sets training mode on this module and every descendant; returns this.</summary>
    public Module Train(bool training = true)
    {
        Training = training;
        foreach (var (_, child) in children) child.Train(training);
        return this;
    }

    /// <summary>Sets evaluation mode; returns this.</summary>
    public Module Eval() => Train(false);

    /// <summary>A snapshot of every parameter and buffer (copies, owned by the returned dictionary).</summary>
    public StateDict StateDict()
    {
        var state = new StateDict();
        using var scope = Torch.NewScope();
        foreach (var (name, p) in NamedParameters()) state.Add(name, p.Value.Detach().Clone());
        foreach (var (name, b) in NamedBuffers()) state.Add(name, b.Detach().Clone());
        return state;
    }

    /// <summary>Copies values from <paramref name="state"/> into this module. Every name must be present with the same
    /// shape; with <paramref name="strict"/>, extra entries are refused too.</summary>
    public void Load(StateDict state, bool strict = true)
    {
        var targets = NamedParameters().Select(p => (p.Name, Tensor: p.Parameter.Value))
            .Concat(NamedBuffers().Select(b => (b.Name, Tensor: b.Buffer))).ToList();
        var missing = targets.Where(t => !state.Contains(t.Name)).Select(t => t.Name).ToList();
        if (missing.Count > 0) throw new ArgumentException($"state is missing: {string.Join(", ", missing)}", nameof(state));
        if (strict)
        {
            var known = targets.Select(t => t.Name).ToHashSet();
            var extra = state.Names.Where(n => !known.Contains(n)).ToList();
            if (extra.Count > 0) throw new ArgumentException($"state has unexpected entries: {string.Join(", ", extra)}", nameof(state));
        }
        foreach (var (name, target) in targets)
        {
            var source = state[name];
            if (!source.Shape.SequenceEqual(target.Shape))
                throw new ArgumentException($"'{name}': state has shape [{string.Join(", ", source.Shape)}], module expects [{string.Join(", ", target.Shape)}]", nameof(state));
        }
        using var scope = Torch.NewScope();
        using (Torch.NoGrad())
            foreach (var (name, target) in targets) target.CopyFrom(state[name]);
        foreach (var p in Parameters()) p.ApplyMask();
    }

    /// <summary>Moves every parameter and buffer to <paramref name="device"/> (and converts floating-point ones to
    /// <paramref name="dtype"/> when given); returns this.</summary>
    public Module To(Device device, DType? dtype = null)
    {
        foreach (var p in Parameters()) p.To(device, dtype ?? p.Value.DType);
        for (var i = 0; i < buffers.Count; i++)
        {
            var (name, buffer) = buffers[i];
            var target = dtype is { } d && buffer.DType.IsFloatingPoint() ? d : buffer.DType;
            using var scope = Torch.NewScope();
            var moved = buffer.To(device, target).Clone().DetachFromScope();
            buffer.Dispose();
            buffers[i] = (name, moved);
        }
        foreach (var (_, child) in children) child.To(device, dtype);
        return this;
    }

    /// <summary>Drops every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Value.ClearGrad();
    }

    /// <summary>Frees parameters, buffers and children.</summary>
    public void Dispose()
    {
        foreach (var (_, p) in parameters) p.Dispose();
        foreach (var (_, b) in buffers) b.Dispose();
        foreach (var (_, child) in children) child.Dispose();
        parameters.Clear();
        buffers.Clear();
        children.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Call the module: same as <see cref="Forward"/>.</summary>
    public Tensor Invoke(Tensor input) => Forward(input);
}
