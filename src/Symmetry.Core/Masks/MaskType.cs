namespace Symmetry.Core.Masks;

/// <summary>
/// How a weight mask is drawn (ALGORITHMS §1). Every type masks weights only, never biases; a layer's neurons are the
/// rows of its (out, L) view, L = fan-in = in·kh·kw; "s" is the requested sparsity (fraction of zeros) and
/// ⌈s·n⌉ is computed as described in <see cref="MaskSparsity.ZeroCount"/>.
/// </summary>
public enum MaskType
{
    /// <summary><c>random</c>: exactly ⌈s·size⌉ zeros in the layer, positions shuffled uniformly (neurons may differ
    /// in how many connections they keep).</summary>
    Random,

    /// <summary><c>bernoulli</c>: each weight zero independently with probability s (the zero count varies).</summary>
    Bernoulli,

    /// <summary><c>symmetric</c>: one fan-in pattern with ⌈s·L⌉ zeros, shuffled once, repeated for every neuron of the
    /// layer (structured: all neurons have identical inputs).</summary>
    Symmetric,

    /// <summary><c>per-neuron</c>: every neuron exactly ⌈s·L⌉ zeros, each neuron's positions shuffled independently.</summary>
    PerNeuron,

    /// <summary><c>per-neuron-no-input-ablation</c>: as <see cref="PerNeuron"/>, and every input unit (column of the
    /// (out, L) view) keeps at least one connection into the layer. Possible exactly when out·(L − ⌈s·L⌉) ≥ L; otherwise
    /// generation throws <see cref="ArgumentException"/> naming the layer and the largest sparsity that works.</summary>
    PerNeuronNoInputAblation,
}

/// <summary>The names of <see cref="MaskType"/> as experiments and results use them.</summary>
public static class MaskTypes
{
    private static readonly (string Name, MaskType Type)[] Table =
    [
        ("random", MaskType.Random),
        ("bernoulli", MaskType.Bernoulli),
        ("symmetric", MaskType.Symmetric),
        ("per-neuron", MaskType.PerNeuron),
        ("per-neuron-no-input-ablation", MaskType.PerNeuronNoInputAblation),
    ];

    /// <summary>Every mask type name: <c>random</c>, <c>bernoulli</c>, <c>symmetric</c>, <c>per-neuron</c>,
    /// <c>per-neuron-no-input-ablation</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>The canonical name of <paramref name="type"/> (e.g. <c>per-neuron</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined <see cref="MaskType"/>.</exception>
    public static string Name(MaskType type)
    {
        foreach (var (name, t) in Table)
            if (t == type) return name;
        throw new ArgumentOutOfRangeException(nameof(type), type, "unknown mask type");
    }

    /// <summary>The mask type called <paramref name="name"/>. Case is ignored and '_' is read as '-', so the original
    /// code's <c>per_neuron</c> is accepted too.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known names.</exception>
    public static MaskType Parse(string name)
    {
        if (TryParse(name, out var type)) return type;
        throw new ArgumentException($"unknown mask type '{name}'; known mask types: {string.Join(", ", Names)}", nameof(name));
    }

    /// <summary>Like <see cref="Parse"/>, returning false for an unknown name.</summary>
    public static bool TryParse(string? name, out MaskType type)
    {
        var normalised = name?.Trim().Replace('_', '-').ToLowerInvariant();
        foreach (var (n, t) in Table)
            if (n == normalised)
            {
                type = t;
                return true;
            }
        type = default;
        return false;
    }
}
