using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Permutations;

/// <summary>
/// Builds a <see cref="PermutationSpec"/> entry by entry, for models whose spec cannot be derived by
/// <see cref="PermutationSpec.For(nn.Module)"/>. <see cref="Build(nn.Module, bool)"/> validates the entries against the
/// model: every name must exist with as many axes as its rank, every permutation must act on axes of one size (block
/// sizes dividing them), and, unless asked otherwise, every parameter and buffer of the model must have an entry
/// (with null axes where nothing is permuted), so that no tensor is silently left out.
/// </summary>
/// <example>
/// A two-layer MLP with hidden permutation <c>h</c>:
/// <code>
/// new PermutationSpecBuilder()
///     .Linear("fc1", input: null, output: "h")
///     .Linear("fc2", input: "h", output: null)
///     .Build(model);
/// </code>
/// </example>
public sealed class PermutationSpecBuilder
{
    private readonly List<(string Name, PermutedAxis?[] Axes)> entries = new();
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>Adds tensor <paramref name="name"/> with one entry per axis: a permutation name, or null where the axis
    /// is not permuted (<c>Add("num_batches_tracked")</c> for a rank-0 tensor).</summary>
    /// <exception cref="ArgumentException">The name is empty or already added, or a permutation name is empty.</exception>
    public PermutationSpecBuilder Add(string name, params string?[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        return Add(name, axes.Select(a => a is null ? (PermutedAxis?)null : new PermutedAxis(a)).ToArray());
    }

    /// <summary>Adds tensor <paramref name="name"/> with one <see cref="PermutedAxis"/> (or null) per axis.</summary>
    /// <exception cref="ArgumentException">The name is empty or already added, a permutation name is empty, or a block
    /// size is below 1.</exception>
    public PermutationSpecBuilder Add(string name, IReadOnlyList<PermutedAxis?> axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("a spec entry needs a tensor name", nameof(name));
        if (!names.Add(name)) throw new ArgumentException($"the permutation spec already has an entry '{name}'", nameof(name));
        foreach (var a in axes)
            if (a is { } axis)
            {
                if (string.IsNullOrEmpty(axis.Permutation)) throw new ArgumentException($"'{name}': a permutation name must not be empty", nameof(axes));
                if (axis.BlockSize < 1) throw new ArgumentException($"'{name}': block size must be ≥ 1, got {axis.BlockSize}", nameof(axes));
            }
        entries.Add((name, axes.ToArray()));
        return this;
    }

    /// <summary>A Linear layer at <paramref name="prefix"/>: <c>weight</c> (output, input) and, with
    /// <paramref name="bias"/>, <c>bias</c> (output). <paramref name="inputBlock"/> is the block size of the input axis
    /// (H·W when the input is a flattened C×H×W activation permuted by channel).</summary>
    public PermutationSpecBuilder Linear(string prefix, string? input, string? output, bool bias = true, long inputBlock = 1) =>
        Layer(prefix, input, output, bias, inputBlock, spatialAxes: 0);

    /// <summary>A Conv2d at <paramref name="prefix"/>: <c>weight</c> (output, input, kh, kw) and, with
    /// <paramref name="bias"/>, <c>bias</c> (output).</summary>
    public PermutationSpecBuilder Conv2d(string prefix, string? input, string? output, bool bias = true) =>
        Layer(prefix, input, output, bias, 1, spatialAxes: 2);

    /// <summary>A BatchNorm at <paramref name="prefix"/> over channels permuted by <paramref name="permutation"/>:
    /// <c>weight</c> and <c>bias</c> (when <paramref name="affine"/>), <c>running_mean</c>, <c>running_var</c> and
    /// <c>num_batches_tracked</c> (no axis). <paramref name="block"/> as for <see cref="Linear"/>.</summary>
    public PermutationSpecBuilder BatchNorm(string prefix, string? permutation, bool affine = true, long block = 1)
    {
        PermutedAxis? axis = permutation is null ? null : new PermutedAxis(permutation, block);
        if (affine)
        {
            Add(Join(prefix, "weight"), [axis]);
            Add(Join(prefix, "bias"), [axis]);
        }
        Add(Join(prefix, "running_mean"), [axis]);
        Add(Join(prefix, "running_var"), [axis]);
        Add(Join(prefix, "num_batches_tracked"), Array.Empty<PermutedAxis?>());
        return this;
    }

    private PermutationSpecBuilder Layer(string prefix, string? input, string? output, bool bias, long inputBlock, int spatialAxes)
    {
        PermutedAxis? outAxis = output is null ? null : new PermutedAxis(output);
        PermutedAxis? inAxis = input is null ? null : new PermutedAxis(input, inputBlock);
        Add(Join(prefix, "weight"), [outAxis, inAxis, .. Enumerable.Repeat<PermutedAxis?>(null, spatialAxes)]);
        if (bias) Add(Join(prefix, "bias"), [outAxis]);
        return this;
    }

    private static string Join(string prefix, string member) => string.IsNullOrEmpty(prefix) ? member : prefix + "." + member;

    /// <summary>Validates the entries against <paramref name="model"/>'s parameters and buffers and returns the spec.
    /// Any TorchSharp module works (a zoo model or an <c>nn.Sequential</c> of one's own).</summary>
    /// <param name="model">The model whose names and shapes the spec must fit.</param>
    /// <param name="requireComplete">When true (the default), every parameter and buffer of the model needs an entry.</param>
    /// <exception cref="ArgumentException">A name the model lacks, a rank mismatch, a permutation used on axes of
    /// different sizes, a block size not dividing its axis, or (with <paramref name="requireComplete"/>) a tensor
    /// without an entry. The message names the tensors, axes and sizes at fault.</exception>
    public PermutationSpec Build(nn.Module model, bool requireComplete = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var shapes = model.named_parameters().Select(p => (p.name, p.parameter.shape))
            .Concat(model.named_buffers().Select(b => (b.name, b.buffer.shape)));
        return Build(shapes, requireComplete, "the model");
    }

    /// <summary>Validates the entries against the names and shapes of <paramref name="state"/> (a
    /// <see cref="NamedTensors"/>, a <c>state_dict()</c>, any named tensors) and returns the spec; see <see cref="Build(nn.Module, bool)"/>.</summary>
    /// <exception cref="ArgumentException">See <see cref="Build(nn.Module, bool)"/>.</exception>
    public PermutationSpec Build(IEnumerable<KeyValuePair<string, Tensor>> state, bool requireComplete = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Build(state.Select(e => (e.Key, e.Value.shape)), requireComplete, "the state");
    }

    private PermutationSpec Build(IEnumerable<(string Name, long[] Shape)> tensors, bool requireComplete, string what)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (name, shape) in tensors)
        {
            shapes[name] = shape;
            order.Add(name);
        }

        var unknown = entries.Where(e => !shapes.ContainsKey(e.Name)).Select(e => e.Name).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"the permutation spec names {string.Join(", ", unknown.Select(n => $"'{n}'"))}, which {what} does not have (it has: {string.Join(", ", order)})");

        foreach (var (name, axes) in entries)
        {
            var shape = shapes[name];
            if (shape.Length != axes.Length)
                throw new ArgumentException(
                    $"'{name}' has rank {shape.Length} (shape [{string.Join(", ", shape)}]) in {what}, but the permutation spec gives it {axes.Length} axes ({string.Join(", ", axes.Select(a => a?.ToString() ?? "-"))})");
        }

        if (requireComplete)
        {
            var covered = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            var uncovered = order.Where(n => !covered.Contains(n)).ToList();
            if (uncovered.Count > 0)
                throw new ArgumentException(
                    $"the permutation spec has no entry for {string.Join(", ", uncovered.Select(n => $"'{n}'"))} of {what} (every parameter and buffer needs one, with null axes where nothing is permuted; build with requireComplete: false to allow this)");
        }

        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        var firstUse = new Dictionary<string, string>(StringComparer.Ordinal);
        var permutationOrder = new List<string>();
        foreach (var (name, axes) in entries)
        {
            var shape = shapes[name];
            for (var k = 0; k < axes.Length; k++)
            {
                if (axes[k] is not { } a) continue;
                var where = a.BlockSize == 1 ? $"{name} axis {k}" : $"{name} axis {k} (blocks of {a.BlockSize})";
                if (shape[k] % a.BlockSize != 0)
                    throw new ArgumentException(
                        $"permutation '{a.Permutation}' acts on blocks of {a.BlockSize} entries on {name} axis {k}, which has {shape[k]} entries, not a multiple of {a.BlockSize}");
                var size = shape[k] / a.BlockSize;
                if (size > int.MaxValue)
                    throw new ArgumentException($"permutation '{a.Permutation}' would have size {size} on {name} axis {k}, too large");
                if (sizes.TryGetValue(a.Permutation, out var known))
                {
                    if (known != size)
                        throw new ArgumentException(
                            $"permutation '{a.Permutation}' is used on axes of different sizes: {firstUse[a.Permutation]} has {known}, {where} has {size} (one permutation must act on axes of one size)");
                }
                else
                {
                    sizes[a.Permutation] = (int)size;
                    firstUse[a.Permutation] = where;
                    permutationOrder.Add(a.Permutation);
                }
            }
        }

        // Model order, then any spec entries in their order (all exist, so this is model order).
        var position = order.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
        var sorted = entries.OrderBy(e => position[e.Name]).ToList();
        return new PermutationSpec(sorted, permutationOrder, sizes);
    }
}
