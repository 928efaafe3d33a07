using System.Collections;
using static TorchSharp.torch;

namespace Symmetry.Torch.Serialization;

/// <summary>
/// The contents of a safetensors file read by <see cref="SafeTensors.Load(string, Device?)"/>: named tensors in the
/// order of the file's header, and its metadata. The tensors belong to no scope: this object owns them and
/// <see cref="Dispose"/> frees them all. To keep a tensor beyond it, take a second reference with
/// <c>alias()</c> (owned by the current dispose scope) or copy it into a parameter with <c>copy_</c>.
/// </summary>
/// <remarks>It is itself an ordered list of (name, tensor) pairs, so it can be passed straight back to
/// <see cref="SafeTensors.Save"/>.</remarks>
public sealed class SafeTensorsFile : IReadOnlyList<KeyValuePair<string, Tensor>>, IDisposable
{
    private readonly KeyValuePair<string, Tensor>[] tensors;
    private readonly Dictionary<string, int> index;
    private bool disposed;

    internal SafeTensorsFile(string path, KeyValuePair<string, Tensor>[] tensors, IReadOnlyDictionary<string, string> metadata)
    {
        FilePath = path;
        this.tensors = tensors;
        Metadata = metadata;
        index = new Dictionary<string, int>(tensors.Length, StringComparer.Ordinal);
        for (var i = 0; i < tensors.Length; i++) index.Add(tensors[i].Key, i);
    }

    /// <summary>The file the tensors were read from.</summary>
    public string FilePath { get; }

    /// <summary>The header's <c>__metadata__</c> map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor names, in header order.</summary>
    public IReadOnlyList<string> Names => Array.ConvertAll(Live().tensors, kv => kv.Key);

    /// <summary>Number of tensors.</summary>
    public int Count => tensors.Length;

    /// <summary>The <paramref name="position"/>-th (name, tensor) pair in header order.</summary>
    public KeyValuePair<string, Tensor> this[int position] => Live().tensors[position];

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file holds no tensor of that name.</exception>
    public Tensor this[string name] =>
        TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"safetensors file '{FilePath}' holds no tensor named '{name}'");

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => index.ContainsKey(name);

    /// <summary>Looks up the tensor called <paramref name="name"/>.</summary>
    public bool TryGetValue(string name, out Tensor tensor)
    {
        Live();
        if (index.TryGetValue(name, out var position))
        {
            tensor = tensors[position].Value;
            return true;
        }
        tensor = null!;
        return false;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, Tensor>>)Live().tensors).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Frees every tensor read from the file. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var (_, tensor) in tensors) tensor.Dispose();
    }

    private SafeTensorsFile Live() =>
        disposed ? throw new ObjectDisposedException(nameof(SafeTensorsFile), $"the tensors read from '{FilePath}' were disposed") : this;
}
