using Symmetry.Torch;

namespace Symmetry.Core.Permutations;

/// <summary>Operations on permutation sets (permutation name → <see cref="Permutation"/>), the values
/// <see cref="PermutationSpec.Apply(IReadOnlyDictionary{string, Permutation}, NamedTensors)"/> takes.</summary>
public static class PermutationSets
{
    /// <summary>Every permutation inverted: applying the result after applying <paramref name="set"/> restores a state.</summary>
    public static Dictionary<string, Permutation> Inverse(this IReadOnlyDictionary<string, Permutation> set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return set.ToDictionary(kv => kv.Key, kv => kv.Value.Inverse(), StringComparer.Ordinal);
    }

    /// <summary>Name by name <c>first ∘ second</c>: applying <paramref name="first"/> and then <paramref name="second"/> to
    /// a state equals applying the result once (see <see cref="Permutation.Compose"/>).</summary>
    /// <exception cref="ArgumentException">The sets have different names or sizes.</exception>
    public static Dictionary<string, Permutation> Compose(this IReadOnlyDictionary<string, Permutation> first, IReadOnlyDictionary<string, Permutation> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count || first.Keys.Any(k => !second.ContainsKey(k)))
            throw new ArgumentException($"cannot compose permutation sets with different names ({string.Join(", ", first.Keys)} vs {string.Join(", ", second.Keys)})", nameof(second));
        return first.ToDictionary(kv => kv.Key, kv => kv.Value.Compose(second[kv.Key]), StringComparer.Ordinal);
    }

    /// <summary>True when both sets have the same names and equal permutations.</summary>
    public static bool SetEquals(this IReadOnlyDictionary<string, Permutation> a, IReadOnlyDictionary<string, Permutation> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var q) && q.Equals(kv.Value));
    }
}
