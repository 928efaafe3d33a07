using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>
/// Copies of a module's state. TorchSharp's <c>state_dict()</c> returns the live tensors; these helpers copy out
/// (detached clones, in <c>state_dict</c> order: the checkpoint order) and copy back in with every name and shape
/// checked before anything is written.
/// </summary>
public static class StateDicts
{
    /// <summary>Detached clones of every parameter and buffer of <paramref name="module"/>, in state-dict order.</summary>
    public static NamedTensors Copy(nn.Module module, Device? device = null)
    {
        var copy = new NamedTensors();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in module.state_dict())
        {
            var clone = tensor.detach().clone();
            if (device is not null) clone = clone.to(device);
            copy.Add(name, clone);
        }
        return copy;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into <paramref name="module"/>'s parameters and buffers in place (the
    /// module's tensors, and an optimizer built on them, stay the same objects).
    /// </summary>
    /// <exception cref="ArgumentException">A missing entry, a shape or dtype mismatch, or (when strict) an
    /// unexpected entry; nothing is copied then.</exception>
    public static void Load(nn.Module module, IEnumerable<KeyValuePair<string, Tensor>> state, bool strict = true)
    {
        var source = state.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var targets = module.state_dict();
        var missing = targets.Keys.Where(n => !source.ContainsKey(n)).ToList();
        if (missing.Count > 0) throw new ArgumentException($"state is missing: {string.Join(", ", missing)}", nameof(state));
        if (strict)
        {
            var extra = source.Keys.Where(n => !targets.ContainsKey(n)).ToList();
            if (extra.Count > 0) throw new ArgumentException($"state has unexpected entries: {string.Join(", ", extra)}", nameof(state));
        }
        foreach (var (name, target) in targets)
        {
            var s = source[name];
            if (!s.shape.SequenceEqual(target.shape))
                throw new ArgumentException($"'{name}': state has shape [{string.Join(", ", s.shape)}], module expects [{string.Join(", ", target.shape)}]", nameof(state));
            if (s.dtype != target.dtype)
                throw new ArgumentException($"'{name}': state has dtype {s.dtype}, module expects {target.dtype}", nameof(state));
        }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (name, target) in targets) target.copy_(source[name]);
    }
}
