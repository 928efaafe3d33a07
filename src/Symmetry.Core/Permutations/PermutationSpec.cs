using System.Text;
using Symmetry.Core.Models;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Permutations;

/// <summary>
/// Where a model's hidden-unit permutations act (ARCHITECTURE rule 7, ALGORITHMS §6): for every parameter and buffer
/// name (PyTorch-style, e.g. <c>layers.0.weight</c>), one entry per axis in PyTorch axis order, either null (not
/// permuted) or the <see cref="PermutedAxis"/> naming the permutation that acts there. A Linear weight (out, in) has
/// its layer's output permutation on axis 0 and the previous layer's on axis 1; a Conv2d weight (out, in, kh, kw) the
/// same on axes 0 and 1; biases and BatchNorm weight, bias, running_mean and running_var carry their layer's output
/// permutation; <c>num_batches_tracked</c> has no axis. Residual streams share one permutation. The model's inputs
/// and its output classes are never permuted.
/// <para>
/// A spec is built by <see cref="For(nn.Module)"/> (derived from a model's structure: a zoo model or a plain TorchSharp
/// <c>nn.Sequential</c> of one's own) or by a <see cref="PermutationSpecBuilder"/>, and is always validated against a
/// model or state when built: every name exists with the rank the spec gives, and every permutation acts on axes of
/// one size, which becomes its size.
/// </para>
/// <para>
/// <see cref="Apply(IReadOnlyDictionary{string, Permutation}, NamedTensors)"/> permutes a state: on every axis with
/// permutation p, <c>out = index_select(axis, p)</c>, i.e. index <c>p[i]</c> goes to position i (ALGORITHMS §6).
/// Applying P and then Q equals applying P ∘ Q permutation by permutation (see <see cref="Permutation.Compose"/>), so
/// applying the inverse set undoes P exactly.
/// </para>
/// </summary>
public sealed class PermutationSpec
{
    private readonly List<string> tensorNames;
    private readonly Dictionary<string, PermutedAxis?[]> axes;
    private readonly List<string> permutationNames;
    private readonly Dictionary<string, int> sizes;
    private readonly Dictionary<string, List<PermutationUse>> uses;

    internal PermutationSpec(IReadOnlyList<(string Name, PermutedAxis?[] Axes)> entries, IReadOnlyList<string> permutationOrder,
        IReadOnlyDictionary<string, int> permutationSizes)
    {
        tensorNames = entries.Select(e => e.Name).ToList();
        axes = entries.ToDictionary(e => e.Name, e => e.Axes.ToArray(), StringComparer.Ordinal);
        permutationNames = permutationOrder.ToList();
        sizes = new Dictionary<string, int>(permutationSizes, StringComparer.Ordinal);
        uses = permutationNames.ToDictionary(p => p, _ => new List<PermutationUse>(), StringComparer.Ordinal);
        foreach (var (name, entryAxes) in entries)
            for (var k = 0; k < entryAxes.Length; k++)
                if (entryAxes[k] is { } a)
                    uses[a.Permutation].Add(new PermutationUse(name, k, a.BlockSize));
    }

    /// <summary>The parameter and buffer names the spec covers, in model order.</summary>
    public IReadOnlyList<string> TensorNames => tensorNames;

    /// <summary>The permutation names, in order of first use.</summary>
    public IReadOnlyList<string> PermutationNames => permutationNames;

    /// <summary>Whether the spec has an entry for <paramref name="tensor"/>.</summary>
    public bool Contains(string tensor) => axes.ContainsKey(tensor);

    /// <summary>The axes of <paramref name="tensor"/>: null where nothing is permuted.</summary>
    /// <exception cref="KeyNotFoundException">The spec has no such entry.</exception>
    public IReadOnlyList<PermutedAxis?> AxesOf(string tensor) =>
        axes.TryGetValue(tensor, out var a) ? a : throw new KeyNotFoundException($"the permutation spec has no entry '{tensor}'");

    /// <summary>The size n of permutation <paramref name="permutation"/> (it acts on 0 … n−1).</summary>
    /// <exception cref="KeyNotFoundException">Unknown permutation.</exception>
    public int SizeOf(string permutation) =>
        sizes.TryGetValue(permutation, out var n) ? n : throw new KeyNotFoundException($"the permutation spec has no permutation '{permutation}' (it has: {string.Join(", ", permutationNames)})");

    /// <summary>Every (tensor, axis) where <paramref name="permutation"/> acts, in model order.</summary>
    /// <exception cref="KeyNotFoundException">Unknown permutation.</exception>
    public IReadOnlyList<PermutationUse> UsesOf(string permutation) =>
        uses.TryGetValue(permutation, out var u) ? u : throw new KeyNotFoundException($"the permutation spec has no permutation '{permutation}' (it has: {string.Join(", ", permutationNames)})");

    /// <summary>The spec of a zoo model, derived from its layers (see <see cref="For(nn.Module)"/>); every zoo model is
    /// supported.</summary>
    /// <exception cref="NotSupportedException">A layer the derivation does not know (see <see cref="For(nn.Module)"/>).</exception>
    public static PermutationSpec For(ZooModel model) => For((nn.Module)model);

    /// <summary>
    /// Derives the spec of <paramref name="model"/> from its module tree and validates it against the model. The model
    /// may be a <see cref="ZooModel"/> or any TorchSharp module built from the known modules, e.g. a researcher's own
    /// <c>nn.Sequential(("fc1", nn.Linear(784, 100)), ("relu", nn.ReLU()), ("fc2", nn.Linear(100, 10)))</c>. Known
    /// modules: <see cref="ZooModel"/>, TorchSharp's <see cref="TorchSharp.Modules.Sequential"/>,
    /// <see cref="TorchSharp.Modules.Linear"/>, <see cref="TorchSharp.Modules.Conv2d"/> (groups 1),
    /// <see cref="TorchSharp.Modules.BatchNorm"/> (1d, 2d, 3d), <see cref="BasicBlock"/> and <see cref="Residual"/>
    /// (body and shortcut outputs are tied into one stream permutation; an identity shortcut ties the block's output to
    /// its input), and the channel-wise layers <see cref="TorchSharp.Modules.ReLU"/>,
    /// <see cref="TorchSharp.Modules.Dropout"/>, <see cref="SeededDropout"/>, <see cref="TorchSharp.Modules.MaxPool2d"/>,
    /// <see cref="TorchSharp.Modules.AvgPool2d"/>, <see cref="TorchSharp.Modules.AdaptiveAvgPool2d"/>,
    /// <see cref="TorchSharp.Modules.Identity"/> and <see cref="TorchSharp.Modules.Flatten"/> (assumed to flatten C×H×W
    /// into C·H·W, as the zoo's does: the next Linear's input axis gets the channel permutation on blocks of H·W
    /// columns). Each Linear or Conv2d output gets a permutation named <c>P_</c> + its module name (a residual stream
    /// takes the name of its first member); the last layer's output (classes) and the model input are never permuted.
    /// </summary>
    /// <exception cref="NotSupportedException">A module type the derivation does not know, or a grouped
    /// convolution; build such specs with <see cref="PermutationSpecBuilder"/>.</exception>
    public static PermutationSpec For(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return SpecInference.Infer(model).Build(model);
    }

    /// <summary>The identity for every permutation of the spec.</summary>
    public Dictionary<string, Permutation> Identity() =>
        permutationNames.ToDictionary(p => p, p => Permutation.Identity(sizes[p]), StringComparer.Ordinal);

    /// <summary>A uniformly random permutation for every permutation of the spec, drawn in
    /// <see cref="PermutationNames"/> order from <paramref name="generator"/>.</summary>
    public Dictionary<string, Permutation> Random(Generator? generator)
    {
        TorchRuntime.Ensure();
        return permutationNames.ToDictionary(p => p, p => Permutation.Random(sizes[p], generator), StringComparer.Ordinal);
    }

    /// <summary>Checks that <paramref name="permutations"/> has exactly the spec's permutation names with the right
    /// sizes.</summary>
    /// <exception cref="ArgumentException">A permutation missing, unknown, or of the wrong size.</exception>
    public void CheckPermutations(IReadOnlyDictionary<string, Permutation> permutations)
    {
        ArgumentNullException.ThrowIfNull(permutations);
        var missing = permutationNames.Where(p => !permutations.ContainsKey(p)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"no permutation given for {string.Join(", ", missing)} (the spec needs one for each of: {string.Join(", ", permutationNames)})", nameof(permutations));
        var unknown = permutations.Keys.Where(k => !sizes.ContainsKey(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"permutation(s) {string.Join(", ", unknown)} are not in the spec (it has: {string.Join(", ", permutationNames)})", nameof(permutations));
        foreach (var p in permutationNames)
            if (permutations[p].Size != sizes[p])
                throw new ArgumentException($"permutation '{p}' has size {permutations[p].Size}, the spec needs {sizes[p]}", nameof(permutations));
    }

    /// <summary>
    /// A new state in which every tensor the spec covers is permuted on each of its permuted axes
    /// (<c>out = index_select(axis, p)</c>, on blocks where the block size is above 1); entries the spec does not
    /// cover are copied unchanged. The input state is not modified; the caller owns the result. A state of any
    /// TorchSharp module works (<c>StateDicts.Copy(model)</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The permutation set does not fit the spec (see
    /// <see cref="CheckPermutations"/>), the state lacks a name of the spec, or an axis has another size than the
    /// spec was built for.</exception>
    public NamedTensors Apply(IReadOnlyDictionary<string, Permutation> permutations, NamedTensors state)
    {
        ArgumentNullException.ThrowIfNull(state);
        CheckPermutations(permutations);
        var missing = tensorNames.Where(n => !state.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"the state lacks {string.Join(", ", missing)}, named by the permutation spec", nameof(state));
        TorchRuntime.Ensure();
        using var indices = new IndexCache(permutations);
        var result = new NamedTensors();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            foreach (var (name, tensor) in state)
            {
                var permuted = axes.ContainsKey(name) ? Permute(name, tensor, indices, exceptAxis: null) : tensor;
                result.Add(name, ReferenceEquals(permuted, tensor) ? tensor.detach().clone() : permuted.contiguous());
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Same as <c>spec.Apply(permutations, state)</c>: a new state with every axis permuted as the spec says.</summary>
    /// <exception cref="ArgumentException">See <see cref="Apply(IReadOnlyDictionary{string, Permutation}, NamedTensors)"/>.</exception>
    public static NamedTensors Apply(PermutationSpec spec, IReadOnlyDictionary<string, Permutation> permutations, NamedTensors state)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Apply(permutations, state);
    }

    /// <summary>Tensor <paramref name="name"/> of the spec with its permuted axes permuted (all but
    /// <paramref name="exceptAxis"/> when given); the input itself when nothing changes, else a new tensor in the current scope.</summary>
    internal Tensor Permute(string name, Tensor tensor, IndexCache indices, int? exceptAxis)
    {
        var entry = axes[name];
        var shape = tensor.shape;
        if (shape.Length != entry.Length)
            throw new ArgumentException($"'{name}' has shape [{string.Join(", ", shape)}] (rank {shape.Length}); the permutation spec gives it {entry.Length} axes");
        var current = tensor;
        for (var k = 0; k < entry.Length; k++)
        {
            if (entry[k] is not { } a || k == exceptAxis) continue;
            var n = sizes[a.Permutation];
            if (shape[k] != n * a.BlockSize)
                throw new ArgumentException($"'{name}' axis {k} has {shape[k]} entries; the spec's permutation '{a.Permutation}' needs {n}×{a.BlockSize}");
            current = PermuteAxis(current, k, indices.Get(a.Permutation, tensor.device), n, a.BlockSize);
        }
        return current;
    }

    /// <summary>index_select on axis <paramref name="axis"/>, moving blocks of <paramref name="block"/> entries.</summary>
    internal static Tensor PermuteAxis(Tensor tensor, int axis, Tensor index, long n, long block)
    {
        if (block == 1) return tensor.index_select(axis, index);
        var shape = tensor.shape;
        var split = SplitShape(shape, axis, n, block);
        return tensor.reshape(split).index_select(axis, index).reshape(shape);
    }

    /// <summary>The shape with axis <paramref name="axis"/> (of n·block entries) split into (n, block).</summary>
    internal static long[] SplitShape(long[] shape, int axis, long n, long block) =>
        [.. shape[..axis], n, block, .. shape[(axis + 1)..]];

    /// <summary>One line per tensor: its name and axes (<c>-</c> where not permuted), then each permutation's size.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        foreach (var name in tensorNames)
            builder.Append(name).Append(": (").Append(string.Join(", ", axes[name].Select(a => a?.ToString() ?? "-"))).Append(")\n");
        builder.Append("permutations: ").Append(string.Join(", ", permutationNames.Select(p => $"{p} ({sizes[p]})")));
        return builder.ToString();
    }

    /// <summary>The int64 index tensors of a permutation set, made once per (permutation, device) and owned by the
    /// cache (not by a scope), so that they outlive the inner scopes that request them.</summary>
    internal sealed class IndexCache(IReadOnlyDictionary<string, Permutation> permutations) : IDisposable
    {
        private readonly Dictionary<(string, DeviceType, int), Tensor> made = new();

        /// <summary>The index tensor of <paramref name="permutation"/> on <paramref name="device"/>.</summary>
        public Tensor Get(string permutation, Device device)
        {
            var key = (permutation, device.type, device.index);
            if (!made.TryGetValue(key, out var index))
                made[key] = index = permutations[permutation].ToTensor(device).DetachFromDisposeScope();
            return index;
        }

        /// <summary>Frees the tensors of <paramref name="permutation"/> (after it changed in the underlying set).</summary>
        public void Invalidate(string permutation)
        {
            foreach (var key in made.Keys.Where(k => k.Item1 == permutation).ToList())
            {
                made[key].Dispose();
                made.Remove(key);
            }
        }

        /// <summary>Frees every tensor.</summary>
        public void Dispose()
        {
            foreach (var t in made.Values) t.Dispose();
            made.Clear();
        }
    }
}
