using System.Text.Json.Serialization;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Pruning;

/// <summary>
/// How to prune, as settings (a closed set of records; every field enters state keys and run ids):
/// <see cref="Prune"/> is open_lth's <c>prune(model, mask) → mask</c>, and <see cref="ApplyTo"/> the one place a
/// strategy meets a zoo model, for the experiment recipes and the weight-symmetry drivers alike.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(LayerWisePruning), "layer-wise")]
[JsonDerivedType(typeof(GlobalPruning), "global")]
[JsonDerivedType(typeof(StructuredL1Pruning), "structured-l1")]
[JsonDerivedType(typeof(SparsityTargetPruning), "to-sparsity")]
[JsonDerivedType(typeof(RandomSameCountsPruning), "random-same-counts")]
public abstract record PruningStrategy
{
    /// <summary>The new mask (the model and <paramref name="current"/> are not changed; the caller owns the result);
    /// <paramref name="seed"/> seeds its random draws (ties between equal magnitudes, random positions).</summary>
    public abstract ModelMask Prune(nn.Module model, ModelMask? current, ulong seed = 0);

    /// <summary>Prunes <paramref name="model"/> from its own mask and makes the result its mask.</summary>
    public void ApplyTo(ZooModel model, ulong seed = 0)
    {
        using var pruned = Prune(model, model.Mask, seed);
        model.SetMask(pruned);
    }

    /// <summary>A short label.</summary>
    public abstract string Describe();
}

/// <summary>Each prunable layer loses ⌊p·remaining⌋ of its weights by magnitude, ties drawn at random: p is
/// <see cref="Fraction"/> for Linear layers, <see cref="ConvFraction"/> for conv layers and <see cref="OutputFraction"/>
/// for the output layer (LTH: hidden 20%, output 10%; conv nets conv 10%, Conv-6 15%). The deconstructing-LT rule.</summary>
public sealed record LayerWisePruning : PruningStrategy
{
    /// <summary>Fraction of each (Linear) layer's remaining weights to remove.</summary>
    public double Fraction { get; init; } = 0.2;

    /// <summary>The output layer's fraction; null: <see cref="Fraction"/>.</summary>
    public double? OutputFraction { get; init; }

    /// <summary>The conv layers' fraction; null: <see cref="Fraction"/>.</summary>
    public double? ConvFraction { get; init; }

    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current, ulong seed = 0) =>
        MagnitudePruning.LayerWise(model, current, Fraction, OutputFraction, ConvFraction, seed);

    /// <inheritdoc/>
    public override string Describe() =>
        $"prune({Fraction:P0}{(OutputFraction is { } o ? $", out {o:P0}" : "")}{(ConvFraction is { } c ? $", conv {c:P0}" : "")})";
}

/// <summary>One magnitude threshold over all prunable tensors (open_lth's sparse_global), the output layer
/// optionally at its own rate.</summary>
public sealed record GlobalPruning : PruningStrategy
{
    /// <summary>Fraction of the remaining weights to remove.</summary>
    public double Fraction { get; init; } = 0.2;

    /// <summary>The output layer's fraction; null: pruned with the rest; 0: never pruned (open_lth's LeNet and VGG).</summary>
    public double? OutputFraction { get; init; }

    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current, ulong seed = 0) =>
        MagnitudePruning.Global(model, current, Fraction, OutputFraction, seed);

    /// <inheritdoc/>
    public override string Describe() => $"prune({Fraction:P0} global{(OutputFraction is { } o ? $", out {o:P0}" : "")})";
}

/// <summary>Whole input channels or features by L1 norm (seed 004's structured recipe).</summary>
public sealed record StructuredL1Pruning : PruningStrategy
{
    /// <summary>Fraction of the remaining channels to remove.</summary>
    public double Fraction { get; init; } = 0.2;

    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current, ulong seed = 0) => StructuredPruning.InputChannels(model, current, Fraction);

    /// <inheritdoc/>
    public override string Describe() => $"prune({Fraction:P0} L1 structured)";
}

/// <summary>Prune by magnitude until every prunable layer has <see cref="Sparsity"/> zeros (seed 000's prune driver).</summary>
public sealed record SparsityTargetPruning : PruningStrategy
{
    /// <summary>Target fraction of zeros per layer.</summary>
    public double Sparsity { get; init; }

    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current, ulong seed = 0) => MagnitudePruning.ToSparsity(model, current, Sparsity);

    /// <inheritdoc/>
    public override string Describe() => $"prune(to {Sparsity:P0})";
}

/// <summary>The random-mask control of lottery tickets: every masked layer keeps exactly as many weights as the current
/// mask keeps there, at positions drawn uniformly from the seed (unmasked layers stay dense).</summary>
public sealed record RandomSameCountsPruning : PruningStrategy
{
    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current, ulong seed = 0) => RandomCountMasks.Redraw(model, current, seed);

    /// <inheritdoc/>
    public override string Describe() => "random mask (same counts)";
}
