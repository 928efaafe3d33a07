using System.Globalization;
using System.Numerics;
using Symmetry.Core.Models;
using TorchSharp;

namespace Symmetry.Core.Masks;

/// <summary>
/// Statistics of one prunable layer's mask (ALGORITHMS §1, "mask statistics"). Neurons are the rows of the weight's
/// (out, L) view (Linear outputs, conv filters).
/// </summary>
/// <param name="Name">The weight's parameter name.</param>
/// <param name="Shape">The weight's shape.</param>
/// <param name="IsMasked">False when the mask has no entry for the layer (it then counts as dense).</param>
/// <param name="IsHidden">True for every layer of the chain but the last (the output layer, whose units are ordered
/// classes and are never permuted).</param>
/// <param name="Weights">Weights in the layer.</param>
/// <param name="Zeros">Masked (zero) entries.</param>
/// <param name="TotalNeurons">Neurons in the layer.</param>
/// <param name="ZeroedNeurons">Neurons whose incoming row is all zero.</param>
/// <param name="UniqueNeurons">Distinct incoming rows among the neurons that are not zeroed.</param>
/// <param name="SurvivingNeurons">Neurons that take part in the permutation count: a non-zero incoming row and, for
/// a hidden layer, at least one kept outgoing connection into the next layer (the original code's rule).</param>
/// <param name="PermutationGroups">Number of classes of surviving neurons with equal (incoming row, outgoing
/// connections); for the output layer, equal incoming rows. This is the original code's <c>unique_neurons</c>.</param>
/// <param name="Permutations">For a hidden layer, the product of the factorials of the group sizes: the number of
/// permutations of its surviving neurons (zeroed and useless ones staying in place) that leave the masks of this
/// layer (rows) and the next (columns) unchanged. 1 for the output layer.</param>
public sealed record LayerMaskStatistics(
    string Name,
    long[] Shape,
    bool IsMasked,
    bool IsHidden,
    long Weights,
    long Zeros,
    long TotalNeurons,
    long ZeroedNeurons,
    long UniqueNeurons,
    long SurvivingNeurons,
    long PermutationGroups,
    BigInteger Permutations)
{
    /// <summary>Zeros / weights.</summary>
    public double Sparsity => Weights == 0 ? 0 : (double)Zeros / Weights;

    /// <summary>Decimal digits of <see cref="Permutations"/>.</summary>
    public int PermutationDigits => MaskStatistics.Digits(Permutations);

    /// <summary>log10(<see cref="Permutations"/> + 1).</summary>
    public double PermutationLog10 => MaskStatistics.Log10PlusOne(Permutations);

    /// <summary>The statistics as flat keys (see <see cref="MaskStatistics.ToFlat"/>) under <paramref name="prefix"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> ToFlat(string prefix = "") =>
        MaskStatistics.Flat(prefix, Sparsity, Weights, Zeros, TotalNeurons, ZeroedNeurons, UniqueNeurons, SurvivingNeurons,
            PermutationGroups, Permutations);
}

/// <summary>
/// Statistics of a model's mask, per layer and over the model (ALGORITHMS §1): sparsity, total / zeroed / unique
/// neurons and the number of neuron permutations the mask still allows, as an exact <see cref="BigInteger"/>, its digit
/// count and log10(permutations + 1). Computed over the chain of prunable layers (<see cref="PrunableLayers.Chain"/>).
/// </summary>
/// <remarks>
/// Model totals: <see cref="Sparsity"/>, <see cref="Weights"/> and <see cref="Zeros"/> over the masked layers only (as
/// the original code; 0 when nothing is masked); neuron counts summed over every layer of the chain, the output layer
/// included (as the original); <see cref="Permutations"/> the product over the hidden layers. A dense model gives
/// Π N_i! over its hidden layers. Differences from the original code: the output layer contributes no permutations
/// (the original multiplies in the factorials of its groups too), a layer whose neurons are all removed contributes
/// 1 (the identity; the original gives 0), <c>unique_neurons</c> counts distinct incoming rows (the original's count,
/// which also splits by outgoing connections, is <c>permutation_groups</c>), and propagation into a Linear after a conv
/// is supported.
/// </remarks>
public sealed class MaskStatistics
{
    private MaskStatistics(IReadOnlyList<LayerMaskStatistics> layers)
    {
        Layers = layers;
        var masked = layers.Where(l => l.IsMasked).ToList();
        Weights = masked.Sum(l => l.Weights);
        Zeros = masked.Sum(l => l.Zeros);
        TotalNeurons = layers.Sum(l => l.TotalNeurons);
        ZeroedNeurons = layers.Sum(l => l.ZeroedNeurons);
        UniqueNeurons = layers.Sum(l => l.UniqueNeurons);
        SurvivingNeurons = layers.Sum(l => l.SurvivingNeurons);
        PermutationGroups = layers.Sum(l => l.PermutationGroups);
        Permutations = layers.Aggregate(BigInteger.One, (p, l) => p * l.Permutations);
    }

    /// <summary>Per prunable layer, in chain order.</summary>
    public IReadOnlyList<LayerMaskStatistics> Layers { get; }

    /// <summary>Weights in the masked layers.</summary>
    public long Weights { get; }

    /// <summary>Zeros in the masked layers.</summary>
    public long Zeros { get; }

    /// <summary>Zeros / weights over the masked layers (0 when none is masked).</summary>
    public double Sparsity => Weights == 0 ? 0 : (double)Zeros / Weights;

    /// <summary>Neurons of every layer (output layer included).</summary>
    public long TotalNeurons { get; }

    /// <summary>Neurons with an all-zero incoming row, summed over the layers.</summary>
    public long ZeroedNeurons { get; }

    /// <summary>Distinct incoming rows among the non-zeroed neurons, summed over the layers.</summary>
    public long UniqueNeurons { get; }

    /// <summary>Surviving neurons (see <see cref="LayerMaskStatistics.SurvivingNeurons"/>), summed over the layers.</summary>
    public long SurvivingNeurons { get; }

    /// <summary>Classes of equal (incoming, outgoing) patterns among surviving neurons, summed over the layers.</summary>
    public long PermutationGroups { get; }

    /// <summary>Product over the hidden layers of <see cref="LayerMaskStatistics.Permutations"/>.</summary>
    public BigInteger Permutations { get; }

    /// <summary>Decimal digits of <see cref="Permutations"/>.</summary>
    public int PermutationDigits => Digits(Permutations);

    /// <summary>log10(<see cref="Permutations"/> + 1), accurate for numbers of any size.</summary>
    public double PermutationLog10 => Log10PlusOne(Permutations);

    /// <summary>
    /// The statistics of <paramref name="mask"/> on <paramref name="model"/>'s chain of prunable layers; with
    /// <paramref name="mask"/> null, of the mask the model holds (<see cref="ZooModel.Mask"/>) when it is a zoo model,
    /// else of no mask (dense). Layers without an entry count as dense. Any TorchSharp module that is a plain chain
    /// works (a zoo model or an <c>nn.Sequential</c> of one's own).
    /// </summary>
    /// <exception cref="NotSupportedException">A residual / branching model (see <see cref="PrunableLayers.Chain"/>).</exception>
    /// <exception cref="ArgumentException">A mask entry whose shape differs from its weight.</exception>
    public static MaskStatistics Compute(torch.nn.Module model, ModelMask? mask = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if ((mask ?? (model as ZooModel)?.Mask) is { } given) return Compute(ChainMasks.Read(model, given));
        using var dense = new ModelMask();
        return Compute(ChainMasks.Read(model, dense));
    }

    /// <summary>The model statistics of already computed layers (in chain order): totals as <see cref="Compute(torch.nn.Module, ModelMask?)"/>
    /// forms them. For statistics computed elsewhere or read back, and for tests that need no model.</summary>
    public static MaskStatistics FromLayers(IEnumerable<LayerMaskStatistics> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return new MaskStatistics([.. layers]);
    }

    internal static MaskStatistics Compute(ChainMasks chain)
    {
        var layers = new List<LayerMaskStatistics>(chain.Count);
        for (var i = 0; i < chain.Count; i++) layers.Add(ComputeLayer(chain, i));
        return new MaskStatistics(layers);
    }

    private static LayerMaskStatistics ComputeLayer(ChainMasks chain, int i)
    {
        var layer = chain.Layers[i];
        var data = chain.Data[i];
        var hidden = i < chain.Count - 1;
        var zeros = data is null ? 0L : data.LongCount(v => v == 0f);
        long zeroed = 0, surviving = 0;
        var rows = new HashSet<string>(StringComparer.Ordinal);
        var groups = new Dictionary<string, long>(StringComparer.Ordinal);
        for (long u = 0; u < layer.Units; u++)
        {
            if (chain.RowIsZero(i, u))
            {
                zeroed++;
                continue;
            }
            var row = chain.RowKey(i, u);
            rows.Add(row);
            if (hidden && !chain.HasOutgoing(i, u)) continue;
            surviving++;
            var key = hidden ? row + "|" + chain.OutgoingKey(i, u) : row;
            groups[key] = groups.GetValueOrDefault(key) + 1;
        }
        var permutations = hidden
            ? groups.Values.Aggregate(BigInteger.One, (p, size) => p * Factorial(size))
            : BigInteger.One;
        return new LayerMaskStatistics(layer.WeightName, layer.Shape, data is not null, hidden, layer.Size, zeros,
            layer.Units, zeroed, rows.Count, surviving, groups.Count, permutations);
    }

    /// <summary>
    /// The model-level statistics as flat key/value pairs for a JSON summary, each key under <paramref name="prefix"/>
    /// (e.g. <c>mask/</c>): <c>sparsity</c>, <c>weights</c>, <c>zeros</c>, <c>total_neurons</c>, <c>zeroed_neurons</c>,
    /// <c>unique_neurons</c>, <c>surviving_neurons</c>, <c>permutation_groups</c>, <c>permutations</c> (a decimal
    /// string: exact at any size), <c>permutation_digits</c>, <c>permutation_log10</c>. With
    /// <paramref name="includeLayers"/>, the same keys per layer follow under <c>{prefix}layers/{parameter name}/</c>.
    /// Values are double, long, int or string.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object>> ToFlat(string prefix = "", bool includeLayers = false)
    {
        var result = new List<KeyValuePair<string, object>>(Flat(prefix, Sparsity, Weights, Zeros, TotalNeurons, ZeroedNeurons,
            UniqueNeurons, SurvivingNeurons, PermutationGroups, Permutations));
        if (includeLayers)
            foreach (var layer in Layers) result.AddRange(layer.ToFlat($"{prefix}layers/{layer.Name}/"));
        return result;
    }

    internal static IReadOnlyList<KeyValuePair<string, object>> Flat(string prefix, double sparsity, long weights, long zeros,
        long total, long zeroed, long unique, long surviving, long groups, BigInteger permutations) =>
    [
        new($"{prefix}sparsity", sparsity),
        new($"{prefix}weights", weights),
        new($"{prefix}zeros", zeros),
        new($"{prefix}total_neurons", total),
        new($"{prefix}zeroed_neurons", zeroed),
        new($"{prefix}unique_neurons", unique),
        new($"{prefix}surviving_neurons", surviving),
        new($"{prefix}permutation_groups", groups),
        new($"{prefix}permutations", permutations.ToString(CultureInfo.InvariantCulture)),
        new($"{prefix}permutation_digits", Digits(permutations)),
        new($"{prefix}permutation_log10", Log10PlusOne(permutations)),
    ];

    /// <summary>n! exactly.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 0.</exception>
    public static BigInteger Factorial(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var result = BigInteger.One;
        for (long k = 2; k <= n; k++) result *= k;
        return result;
    }

    /// <summary>Decimal digits of a non-negative integer (1 for 0).</summary>
    public static int Digits(BigInteger value) => BigInteger.Abs(value).ToString(CultureInfo.InvariantCulture).Length;

    /// <summary>log10(value + 1) for value ≥ 0, accurate to double precision at any size.</summary>
    public static double Log10PlusOne(BigInteger value) => BigInteger.Log10(value + 1);

    /// <summary>The model totals.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"sparsity {Sparsity:0.####}, neurons {TotalNeurons} (zeroed {ZeroedNeurons}, unique {UniqueNeurons}), permutations 10^{PermutationLog10:0.##} ({PermutationDigits} digits)");
}

/// <summary>Statistics of a mask before and after <see cref="MaskPropagation"/> (what every run records).</summary>
/// <param name="Mask">Of the mask as generated.</param>
/// <param name="Propagated">Of the propagated mask.</param>
public sealed record MaskReport(MaskStatistics Mask, MaskStatistics Propagated)
{
    /// <summary>Statistics of <paramref name="mask"/> on <paramref name="model"/> and of its propagation (computed
    /// without changing either).</summary>
    /// <exception cref="NotSupportedException">A residual / branching model.</exception>
    public static MaskReport Create(torch.nn.Module model, ModelMask mask, bool removeUnitsWithoutOutputs = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(mask);
        var chain = ChainMasks.Read(model, mask);
        var before = MaskStatistics.Compute(chain);
        MaskPropagation.Run(chain, removeUnitsWithoutOutputs);
        return new MaskReport(before, MaskStatistics.Compute(chain));
    }

    /// <summary>Both as flat keys: <c>mask/…</c> and <c>propagated_mask/…</c> (see <see cref="MaskStatistics.ToFlat"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, object>> ToFlat(bool includeLayers = false) =>
        [.. Mask.ToFlat("mask/", includeLayers), .. Propagated.ToFlat("propagated_mask/", includeLayers)];
}
