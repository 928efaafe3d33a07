using System.Collections;
using Symmetry.Torch;
using Symmetry.Torch.NN;
using static Symmetry.Torch.Torch;

namespace Symmetry.Core.Masks;

/// <summary>
/// The masks of a model: an ordered map from parameter name (<c>layers.0.weight</c>) to a float 0/1 tensor of that
/// parameter's shape. A parameter without an entry is dense. The map owns its tensors (detached from every scope, on
/// the CPU unless added otherwise) and frees them on <see cref="Dispose"/>; the tensors it hands out stay owned by it.
/// </summary>
public sealed class ModelMask : IDisposable, IEnumerable<KeyValuePair<string, Tensor>>
{
    private readonly List<(string Name, Tensor Mask)> entries = new();
    private bool disposed;

    /// <summary>An empty mask (every parameter dense).</summary>
    public ModelMask()
    {
    }

    /// <summary>Number of masked parameters.</summary>
    public int Count => entries.Count;

    /// <summary>The masked parameter names, in insertion (definition) order.</summary>
    public IReadOnlyList<string> Names => entries.Select(e => e.Name).ToArray();

    /// <summary>The mask of <paramref name="name"/> (owned by this map; do not dispose it).</summary>
    /// <exception cref="KeyNotFoundException">No mask for that name; the message lists the masked names.</exception>
    public Tensor this[string name] =>
        TryGet(name, out var mask)
            ? mask
            : throw new KeyNotFoundException($"no mask for '{name}'; masked parameters: {string.Join(", ", Names)}");

    /// <summary>True when <paramref name="name"/> has a mask.</summary>
    public bool Contains(string name) => entries.Any(e => e.Name == name);

    /// <summary>The mask of <paramref name="name"/>, if any.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tensor? mask)
    {
        ThrowIfDisposed();
        foreach (var (n, m) in entries)
            if (n == name)
            {
                mask = m;
                return true;
            }
        mask = null;
        return false;
    }

    /// <summary>Adds (or replaces) the mask of <paramref name="name"/> with a float32 copy of <paramref name="mask"/>,
    /// which must hold only 0 and 1; the caller keeps its tensor.</summary>
    /// <exception cref="ArgumentException">A value other than 0 or 1.</exception>
    public ModelMask Add(string name, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(mask);
        ThrowIfDisposed();
        using var scope = NewScope();
        var copy = mask.Detach().To(DType.Float32).Clone();
        if (!copy.Eq(0).LogicalOr(copy.Eq(1)).All().ToBoolean())
            throw new ArgumentException($"mask of '{name}' must hold only 0 and 1", nameof(mask));
        SetOwned(name, copy.DetachFromScope());
        return this;
    }

    /// <summary>Adds a tensor this map takes ownership of (already detached from every scope).</summary>
    internal void SetOwned(string name, Tensor mask)
    {
        for (var i = 0; i < entries.Count; i++)
            if (entries[i].Name == name)
            {
                entries[i].Mask.Dispose();
                entries[i] = (name, mask);
                return;
            }
        entries.Add((name, mask));
    }

    /// <summary>An independent copy (same names, order and values).</summary>
    public ModelMask Clone()
    {
        ThrowIfDisposed();
        var copy = new ModelMask();
        using var scope = NewScope();
        foreach (var (name, mask) in entries) copy.SetOwned(name, mask.Clone().DetachFromScope());
        return copy;
    }

    /// <summary>The masks <paramref name="model"/>'s parameters carry now (copies), in definition order.</summary>
    public static ModelMask FromModule(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = new ModelMask();
        using var scope = NewScope();
        foreach (var (name, parameter) in model.NamedParameters())
            if (parameter.Mask is { } mask)
                result.SetOwned(name, mask.Detach().To(Device.Cpu, DType.Float32).Clone().DetachFromScope());
        return result;
    }

    /// <summary>
    /// Sets each entry as the mask of the parameter of the same name (<see cref="Parameter.SetMask"/>: the masked weights
    /// become zero at once and stay zero through training); parameters without an entry keep their current mask.
    /// Every name is checked before any parameter changes.
    /// </summary>
    /// <exception cref="ArgumentException">A name the model does not have, or a shape that does not match.</exception>
    public void ApplyTo(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ThrowIfDisposed();
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, mask) in entries)
        {
            if (!parameters.TryGetValue(name, out var parameter))
                throw new ArgumentException($"the mask names '{name}', which the model does not have; model parameters: {string.Join(", ", parameters.Keys)}", nameof(model));
            if (!parameter.Value.Shape.SequenceEqual(mask.Shape))
                throw new ArgumentException($"mask of '{name}' has shape [{string.Join(", ", mask.Shape)}], the parameter [{string.Join(", ", parameter.Value.Shape)}]", nameof(model));
        }
        foreach (var (name, mask) in entries) parameters[name].SetMask(mask);
    }

    /// <summary>Total number of zeros over every entry.</summary>
    public long ZeroCount()
    {
        ThrowIfDisposed();
        using var scope = NewScope();
        return entries.Sum(e => e.Mask.Eq(0).Sum().ToInt64());
    }

    /// <summary>Total number of masked weights (elements of every entry).</summary>
    public long ElementCount() => entries.Sum(e => e.Mask.NumEl);

    /// <summary>True when both maps have the same names in the same order and equal values.</summary>
    public bool SameAs(ModelMask other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count != Count) return false;
        using var scope = NewScope();
        for (var i = 0; i < entries.Count; i++)
        {
            var (a, b) = (entries[i], other.entries[i]);
            if (a.Name != b.Name || !a.Mask.Shape.SequenceEqual(b.Mask.Shape)) return false;
            if (!a.Mask.To(Device.Cpu).Eq(b.Mask.To(Device.Cpu)).All().ToBoolean()) return false;
        }
        return true;
    }

    /// <summary>The entries in order (tensors stay owned by this map).</summary>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        ThrowIfDisposed();
        return entries.Select(e => new KeyValuePair<string, Tensor>(e.Name, e.Mask)).ToList().GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Frees every mask tensor.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var (_, mask) in entries) mask.Dispose();
        entries.Clear();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    /// <summary>The names and shapes.</summary>
    public override string ToString() =>
        $"ModelMask({string.Join(", ", entries.Select(e => $"{e.Name} [{string.Join(", ", e.Mask.Shape)}]"))})";
}
