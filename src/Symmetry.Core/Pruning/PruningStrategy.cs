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
public abstract record PruningStrategy
{
    /// <summary>The new mask (the model and <paramref name="current"/> are not changed; the caller owns the result).</summary>
    public abstract ModelMask Prune(nn.Module model, ModelMask? current);

    /// <summary>Prunes <paramref name="model"/> from its own mask and makes the result its mask.</summary>
    public void ApplyTo(ZooModel model)
    {
        using var pruned = Prune(model, model.Mask);
        model.SetMask(pruned);
    }

    /// <summary>A short label.</summary>
    public abstract string Describe();
}

/// <summary>Each prunable layer loses <see cref="Fraction"/> of its remaining weights by magnitude (the output layer
/// <see cref="OutputFraction"/>, when given: LTH's half rate). The deconstructing-LT rule.</summary>
public sealed record LayerWisePruning : PruningStrategy
{
    /// <summary>Fraction of each layer's remaining weights to remove.</summary>
    public double Fraction { get; init; } = 0.2;

    /// <summary>The output layer's fraction; null: <see cref="Fraction"/>.</summary>
    public double? OutputFraction { get; init; }

    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current) => MagnitudePruning.LayerWise(model, current, Fraction, OutputFraction);

    /// <inheritdoc/>
    public override string Describe() => $"prune({Fraction:P0})";
}

/// <summary>One magnitude threshold over all prunable tensors (open_lth's sparse_global), the output layer
/// optionally at its own rate.</summary>
public sealed record GlobalPruning : PruningStrategy
{
    /// <summary>Fraction of the remaining weights to remove.</summary>
    public double Fraction { get; init; } = 0.2;

    /// <summary>The output layer's fraction; null: pruned with the rest.</summary>
    public double? OutputFraction { get; init; }

    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current) => MagnitudePruning.Global(model, current, Fraction, OutputFraction);

    /// <inheritdoc/>
    public override string Describe() => $"prune({Fraction:P0} global)";
}

/// <summary>Whole input channels or features by L1 norm (seed 004's structured recipe).</summary>
public sealed record StructuredL1Pruning : PruningStrategy
{
    /// <summary>Fraction of the remaining channels to remove.</summary>
    public double Fraction { get; init; } = 0.2;

    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current) => StructuredPruning.InputChannels(model, current, Fraction);

    /// <inheritdoc/>
    public override string Describe() => $"prune({Fraction:P0} L1 structured)";
}

/// <summary>Prune by magnitude until every prunable layer has <see cref="Sparsity"/> zeros (seed 000's prune driver).</summary>
public sealed record SparsityTargetPruning : PruningStrategy
{
    /// <summary>Target fraction of zeros per layer.</summary>
    public double Sparsity { get; init; }

    /// <inheritdoc/>
    public override ModelMask Prune(nn.Module model, ModelMask? current) => MagnitudePruning.ToSparsity(model, current, Sparsity);

    /// <inheritdoc/>
    public override string Describe() => $"prune(to {Sparsity:P0})";
}
