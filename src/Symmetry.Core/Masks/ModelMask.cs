using System.Collections;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Masks;

/// <summary>
/// The masks of a model, as data: an ordered map from parameter name (<c>layers.0.weight</c>) to a float32 0/1 tensor
/// of that parameter's shape. A parameter without an entry is dense. The map owns its tensors (detached from every
/// dispose scope, on the CPU unless added otherwise) and frees them on <see cref="Dispose"/>; the tensors it hands out
/// stay owned by it.
/// <para>
/// A mask meets a model's weights in one place only, <see cref="ApplyTo"/> (zeroes the masked weights in place);
/// <see cref="MaskGradients"/> zeroes the gradients of masked weights. A model that keeps its mask through training
/// (<see cref="Models.ZooModel"/>: <c>SetMask</c>, <c>ApplyMask</c>) and the trainer call them; pruning returns a new
/// map (see <see cref="Pruning.MagnitudePruning"/>).
/// </para>
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

    /// <summary>Adds (or replaces) the mask of <paramref name="name"/> with a float32 copy of <paramref name="mask"/>
    /// (on <paramref name="mask"/>'s device), which must hold only 0 and 1; the caller keeps its tensor.</summary>
    /// <exception cref="ArgumentException">A value other than 0 or 1.</exception>
    public ModelMask Add(string name, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(mask);
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        var copy = mask.detach().to(ScalarType.Float32).clone();
        if (!copy.eq(0).logical_or(copy.eq(1)).all().item<bool>())
            throw new ArgumentException($"mask of '{name}' must hold only 0 and 1", nameof(mask));
        SetOwned(name, copy.DetachFromDisposeScope());
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

    /// <summary>An independent copy (same names, order, values and devices).</summary>
    public ModelMask Clone()
    {
        ThrowIfDisposed();
        var copy = new ModelMask();
        using var scope = NewDisposeScope();
        foreach (var (name, mask) in entries) copy.SetOwned(name, mask.clone().DetachFromDisposeScope());
        return copy;
    }

    /// <summary>An independent copy with every entry on <paramref name="device"/> (e.g. the model's, so that
    /// <see cref="ApplyTo"/> and <see cref="MaskGradients"/> need no transfer on every training step).</summary>
    public ModelMask Clone(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        ThrowIfDisposed();
        var copy = new ModelMask();
        using var scope = NewDisposeScope();
        foreach (var (name, mask) in entries) copy.SetOwned(name, mask.to(device).clone().DetachFromDisposeScope());
        return copy;
    }

    /// <summary>
    /// Zeroes the masked weights of <paramref name="model"/> in place (<c>parameter.mul_(mask)</c> under no_grad, the
    /// mask converted to the parameter's device and dtype): the one place where a mask meets a model's weights.
    /// Parameters without an entry are not touched. Every name and shape is checked before any parameter changes.
    /// Works on any TorchSharp module (a zoo model or a researcher's own <c>nn.Sequential</c>); the mask is not kept
    /// by the model (a <see cref="Models.ZooModel"/> keeps one through <c>SetMask</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An entry names a parameter the model does not have, or its shape differs
    /// from the parameter's; the message names the parameter (and both shapes).</exception>
    public void ApplyTo(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ThrowIfDisposed();
        var parameters = Resolve(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < entries.Count; i++)
        {
            var parameter = parameters[i];
            parameter.mul_(entries[i].Mask.to(parameter.dtype, parameter.device));
        }
    }

    /// <summary>
    /// Zeroes the gradients of the masked weights of <paramref name="model"/> in place (<c>grad.mul_(mask)</c>) for
    /// every masked parameter that has a gradient; call it after <c>backward()</c> and before the optimizer step, so
    /// that masked weights and their optimizer state stay exactly zero.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="ApplyTo"/>: an unknown name or a shape mismatch.</exception>
    public void MaskGradients(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ThrowIfDisposed();
        var parameters = Resolve(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < entries.Count; i++)
        {
            var grad = parameters[i].grad;
            if (grad is null) continue;
            grad.mul_(entries[i].Mask.to(grad.dtype, grad.device));
        }
    }

    /// <summary>The parameter of every entry, in entry order, after checking every name and shape.</summary>
    private TorchSharp.Modules.Parameter[] Resolve(nn.Module model)
    {
        var parameters = new Dictionary<string, TorchSharp.Modules.Parameter>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters()) parameters.TryAdd(name, parameter);
        var result = new TorchSharp.Modules.Parameter[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, mask) = entries[i];
            if (!parameters.TryGetValue(name, out var parameter))
                throw new ArgumentException(
                    $"the mask names parameter '{name}', which the model ({model.GetType().Name}) does not have; model parameters: {string.Join(", ", parameters.Keys)}",
                    nameof(model));
            if (!parameter.shape.SequenceEqual(mask.shape))
                throw new ArgumentException(
                    $"mask of parameter '{name}' has shape [{string.Join(", ", mask.shape)}], the parameter [{string.Join(", ", parameter.shape)}]",
                    nameof(model));
            result[i] = parameter;
        }
        return result;
    }

    /// <summary>Total number of zeros over every entry.</summary>
    public long ZeroCount()
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        return entries.Sum(e => e.Mask.eq(0).sum().item<long>());
    }

    /// <summary>Total number of masked weights (elements of every entry).</summary>
    public long ElementCount() => entries.Sum(e => e.Mask.numel());

    /// <summary>True when both maps have the same names in the same order and equal values.</summary>
    public bool SameAs(ModelMask other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count != Count) return false;
        using var scope = NewDisposeScope();
        for (var i = 0; i < entries.Count; i++)
        {
            var (a, b) = (entries[i], other.entries[i]);
            if (a.Name != b.Name || !a.Mask.shape.SequenceEqual(b.Mask.shape)) return false;
            if (!a.Mask.cpu().eq(b.Mask.cpu()).all().item<bool>()) return false;
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
        $"ModelMask({string.Join(", ", entries.Select(e => $"{e.Name} [{string.Join(", ", e.Mask.shape)}]"))})";
}
