using Symmetry.Core.Models;
using Symmetry.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Permutations;

/// <summary>
/// Derives a <see cref="PermutationSpecBuilder"/> from a module tree by following the activation through it. Every
/// Linear or Conv2d output gets a fresh permutation; a residual addition ties (unifies) the permutations of its two
/// inputs; the model input and the final output are tied to "not permuted". Unification is a union–find over
/// permutation names, resolved once the walk is over. Works on TorchSharp modules (a zoo model, or a plain
/// <c>nn.Sequential</c> of one's own) through their children, by name.
/// </summary>
internal sealed class SpecInference
{
    /// <summary>The class "not permuted" (the model's input and output).</summary>
    private const int Fixed = 0;

    private readonly List<int> parent = [Fixed];
    private readonly List<string> names = ["(fixed)"];
    private readonly List<(string Name, int?[] Axes, long[] Blocks)> entries = new();

    /// <summary>Permutation class of the current activation's channels / features.</summary>
    private int current = Fixed;

    /// <summary>Channel count of the current activation (unknown at the input).</summary>
    private long? width;

    /// <summary>True between a Flatten and the next layer that changes the feature count.</summary>
    private bool flattened;

    public static PermutationSpecBuilder Infer(nn.Module model)
    {
        var inference = new SpecInference();
        inference.Walk(model, "");
        inference.Union(inference.current, Fixed);
        return inference.ToBuilder();
    }

    private int NewPermutation(string moduleName)
    {
        parent.Add(parent.Count);
        names.Add("P_" + moduleName);
        return parent.Count - 1;
    }

    private int Find(int x)
    {
        while (parent[x] != x)
        {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    private void Union(int a, int b)
    {
        var (ra, rb) = (Find(a), Find(b));
        if (ra == rb) return;
        // The smaller index is the representative: Fixed wins, otherwise the first-created name.
        if (ra < rb) parent[rb] = ra;
        else parent[ra] = rb;
    }

    private static string Join(string prefix, string member) => prefix.Length == 0 ? member : prefix + "." + member;

    private void Entry(string name, int?[] axes, long[]? blocks = null) =>
        entries.Add((name, axes, blocks ?? new long[axes.Length].Select(_ => 1L).ToArray()));

    /// <summary>The block size with which the current permutation acts on an input axis of <paramref name="size"/>
    /// entries (1 unless a Flatten has merged spatial positions into features).</summary>
    private long InputBlock(long size, string where)
    {
        if (width is not { } c) return 1;
        if (size % c != 0)
            throw new NotSupportedException($"cannot derive a permutation spec at '{where}': it takes {size} inputs, which is not a multiple of the {c} channels before it");
        var block = size / c;
        if (block != 1 && !flattened)
            throw new NotSupportedException($"cannot derive a permutation spec at '{where}': it takes {size} inputs but the layer before it has {c} channels and there is no Flatten between them");
        return block;
    }

    private void Walk(nn.Module module, string prefix)
    {
        switch (module)
        {
            case ZooModel or Sequential:
                foreach (var (name, child) in module.named_children()) Walk(child, Join(prefix, name));
                return;
            case Linear linear:
                Layer(prefix, linear.in_features, linear.out_features, linear.bias is not null, spatialAxes: 0);
                return;
            case Conv2d conv:
                if (conv.groups != 1)
                    throw new NotSupportedException($"cannot derive a permutation spec for the grouped convolution '{prefix}' (groups = {conv.groups}); build it with PermutationSpecBuilder");
                Layer(prefix, conv.in_channels, conv.out_channels, conv.bias is not null, spatialAxes: 2);
                return;
            case BatchNorm bn:
            {
                var block = InputBlock(bn.num_features, prefix);
                int?[] axis = [current];
                long[] blocks = [block];
                if (bn.affine)
                {
                    Entry(Join(prefix, "weight"), axis, blocks);
                    Entry(Join(prefix, "bias"), axis, blocks);
                }
                if (bn.running_mean is not null) Entry(Join(prefix, "running_mean"), axis, blocks);
                if (bn.running_var is not null) Entry(Join(prefix, "running_var"), axis, blocks);
                if (bn.num_batches_tracked is not null) Entry(Join(prefix, "num_batches_tracked"), []);
                return;
            }
            case BasicBlock block:
            {
                var input = (Class: current, Width: width, Flat: flattened);
                var children = Children(block, prefix);
                foreach (var name in (string[])["conv1", "bn1", "conv2", "bn2"])
                    Walk(children.TryGetValue(name, out var child)
                        ? child
                        : throw new NotSupportedException($"cannot derive a permutation spec for the basic block '{prefix}': it has no child '{name}'"), Join(prefix, name));
                TieShortcut(prefix, children.TryGetValue("shortcut", out var shortcut) ? ("shortcut", shortcut) : null, input);
                return;
            }
            case Residual residual:
            {
                var input = (Class: current, Width: width, Flat: flattened);
                var children = Children(residual, prefix);
                if (!children.TryGetValue("body", out var body))
                    throw new NotSupportedException($"cannot derive a permutation spec for the residual block '{prefix}': it has no child 'body'");
                Walk(body, Join(prefix, "body"));
                TieShortcut(prefix, children.TryGetValue("shortcut", out var shortcut) ? ("shortcut", shortcut) : null, input);
                return;
            }
            case Flatten:
                flattened = true;
                return;
            case ReLU or Dropout or SeededDropout or MaxPool2d or AvgPool2d or AdaptiveAvgPool2d or Identity:
                return;
            default:
                throw new NotSupportedException(
                    $"cannot derive a permutation spec for module '{(prefix.Length == 0 ? "(root)" : prefix)}' of type {module.GetType().Name}: known are " +
                    "ZooModel, Sequential, Linear, Conv2d, BatchNorm1d/2d/3d, BasicBlock, Residual, ReLU, Dropout, SeededDropout, MaxPool2d, " +
                    "AvgPool2d, AdaptiveAvgPool2d, Identity and Flatten; build the spec with PermutationSpecBuilder");
        }
    }

    /// <summary>The children of a block by name.</summary>
    private static Dictionary<string, nn.Module> Children(nn.Module block, string prefix)
    {
        var children = new Dictionary<string, nn.Module>(StringComparer.Ordinal);
        foreach (var (name, child) in block.named_children())
            if (!children.TryAdd(name, child))
                throw new NotSupportedException($"cannot derive a permutation spec for '{prefix}': two children are named '{name}'");
        return children;
    }

    /// <summary>After a residual body: walk the shortcut (if any) from the block input and tie the two outputs.</summary>
    private void TieShortcut(string prefix, (string Name, nn.Module Module)? shortcut, (int Class, long? Width, bool Flat) input)
    {
        var (bodyOut, bodyWidth) = (current, width);
        (current, width, flattened) = input;
        if (shortcut is { } s) Walk(s.Module, Join(prefix, s.Name));
        Union(bodyOut, current);
        (current, width, flattened) = (Find(current), bodyWidth, false);
    }

    private void Layer(string prefix, long inFeatures, long outFeatures, bool bias, int spatialAxes)
    {
        var block = InputBlock(inFeatures, prefix);
        var output = NewPermutation(prefix);
        var axes = new int?[2 + spatialAxes];
        var blocks = Enumerable.Repeat(1L, axes.Length).ToArray();
        (axes[0], axes[1], blocks[1]) = (output, current, block);
        Entry(Join(prefix, "weight"), axes, blocks);
        if (bias) Entry(Join(prefix, "bias"), [output]);
        (current, width, flattened) = (output, outFeatures, false);
    }

    private PermutationSpecBuilder ToBuilder()
    {
        var builder = new PermutationSpecBuilder();
        foreach (var (name, axes, blocks) in entries)
        {
            var resolved = new PermutedAxis?[axes.Length];
            for (var k = 0; k < axes.Length; k++)
            {
                if (axes[k] is not { } a) continue;
                var root = Find(a);
                resolved[k] = root == Fixed ? null : new PermutedAxis(names[root], blocks[k]);
            }
            builder.Add(name, resolved);
        }
        return builder;
    }
}
