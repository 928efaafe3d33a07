using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>
/// An ordered, owning list of named tensors: a state-dict copy, a flattened optimizer state, a checkpoint section.
/// Its tensors are detached from every dispose scope and freed on <see cref="Dispose"/>.
/// </summary>
public sealed class NamedTensors : IReadOnlyList<KeyValuePair<string, Tensor>>, IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> entries = new();
    private readonly Dictionary<string, int> index = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor this list takes ownership of (it is detached from any dispose scope).</summary>
    /// <exception cref="ArgumentException">The name is already present.</exception>
    public void Add(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!index.TryAdd(name, entries.Count)) throw new ArgumentException($"'{name}' appears twice", nameof(name));
        entries.Add(new(name, tensor.DetachFromDisposeScope()));
    }

    /// <summary>The names, in order.</summary>
    public IEnumerable<string> Names => entries.Select(e => e.Key);

    /// <inheritdoc/>
    public int Count => entries.Count;

    /// <inheritdoc/>
    public KeyValuePair<string, Tensor> this[int position] => entries[position];

    /// <summary>The tensor named <paramref name="name"/> (still owned by this list).</summary>
    public Tensor this[string name] =>
        index.TryGetValue(name, out var i)
            ? entries[i].Value
            : throw new KeyNotFoundException($"no tensor named '{name}'; have: {string.Join(", ", Names)}");

    /// <summary>True when <paramref name="name"/> is present.</summary>
    public bool Contains(string name) => index.ContainsKey(name);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (_, tensor) in entries) tensor.Dispose();
        entries.Clear();
        index.Clear();
    }
}
