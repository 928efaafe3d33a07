namespace Symmetry.Torch.NN;

/// <summary>An ordered snapshot of named tensors (parameters then buffers, PyTorch-style dotted names).
/// Owns its tensors.</summary>
public sealed class StateDict : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> entries = new();
    private readonly Dictionary<string, int> index = new();

    /// <summary>Adds an entry; the dictionary takes ownership of <paramref name="tensor"/>.</summary>
    public void Add(string name, Tensor tensor)
    {
        if (index.ContainsKey(name)) throw new ArgumentException($"duplicate state entry '{name}'", nameof(name));
        index[name] = entries.Count;
        entries.Add(new(name, tensor.DetachFromScope()));
    }

    /// <summary>Entries in order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Entries => entries;

    /// <summary>Names in order.</summary>
    public IEnumerable<string> Names => entries.Select(e => e.Key);

    /// <summary>Number of entries.</summary>
    public int Count => entries.Count;

    /// <summary>The tensor named <paramref name="name"/> (still owned by the dictionary).</summary>
    public Tensor this[string name] => index.TryGetValue(name, out var i)
        ? entries[i].Value
        : throw new KeyNotFoundException($"no state entry '{name}' (have: {string.Join(", ", Names)})");

    /// <summary>Whether an entry exists.</summary>
    public bool Contains(string name) => index.ContainsKey(name);

    /// <summary>Frees every tensor.</summary>
    public void Dispose()
    {
        foreach (var entry in entries) entry.Value.Dispose();
        entries.Clear();
        index.Clear();
    }
}
