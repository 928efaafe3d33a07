using System.Globalization;
using System.Text.Json.Serialization;
using Symmetry.Core.Masks;
using Symmetry.Core.Pruning;

namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>
/// Which weight-symmetry experiment a run is (ALGORITHMS §1, seed 000) with exactly the settings it needs: a closed
/// set of records, each default stated once. Every field enters the run's id.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(TrainDriver), "train")]
[JsonDerivedType(typeof(PruneDriver), "prune")]
[JsonDerivedType(typeof(ShuffledMaskDriver), "shuffled-mask")]
[JsonDerivedType(typeof(RandomMaskDriver), "random-mask")]
[JsonDerivedType(typeof(FixedParamDriver), "fixed-param")]
public abstract record DriverSettings
{
    /// <summary>Every driver name, as the command line takes it.</summary>
    public static IReadOnlyList<string> Names { get; } = ["train", "prune", "shuffled-mask", "random-mask", "fixed-param"];

    /// <summary>The driver's name (the run id's prefix and the run's kind).</summary>
    [JsonIgnore]
    public string Name => this switch
    {
        TrainDriver => "train",
        PruneDriver => "prune",
        ShuffledMaskDriver => "shuffled-mask",
        RandomMaskDriver => "random-mask",
        FixedParamDriver => "fixed-param",
        _ => GetType().Name,
    };

    /// <summary>Checks the driver's own settings (the message names the setting and its range).</summary>
    /// <exception cref="ArgumentException">A value out of range or a setting that does not fit the run.</exception>
    public abstract void Validate(WeightSymmetryConfig config);

    /// <summary>Throws unless <paramref name="value"/> is a sparsity in [0, 1].</summary>
    protected static void CheckSparsity(double value, string what)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be in [0, 1], got {value.ToString(CultureInfo.InvariantCulture)}");
    }
}

/// <summary>Dense training.</summary>
public sealed record TrainDriver : DriverSettings
{
    /// <inheritdoc/>
    public override void Validate(WeightSymmetryConfig config) { }
}

/// <summary>Magnitude pruning, one-shot or iterative on an (epoch, sparsity) schedule.</summary>
public sealed record PruneDriver : DriverSettings
{
    /// <summary>The schedule: at each step's epoch (0 = before training) every prunable layer to its sparsity.</summary>
    public IReadOnlyList<PruneStep> Schedule { get; init; } = [];

    /// <summary>Prune as the original code does: only the epoch-0 steps fire (prune.py 115–130).</summary>
    public bool Original { get; init; }

    /// <inheritdoc/>
    public override void Validate(WeightSymmetryConfig config)
    {
        if (Schedule.Count == 0) throw new ArgumentException("prune needs a schedule of (epoch, sparsity) steps (--prune-schedule 0:0.5,2:0.8)");
        foreach (var step in Schedule)
        {
            CheckSparsity(step.Sparsity, "pruning sparsity");
            if (step.Epoch < 0 || step.Epoch > config.Training.Epochs)
                throw new ArgumentException($"pruning epoch {step.Epoch} is outside 0..{config.Training.Epochs}");
        }
    }
}

/// <summary>A generated mask at a fixed sparsity.</summary>
public sealed record ShuffledMaskDriver : DriverSettings
{
    /// <summary>The mask type.</summary>
    public MaskType Mask { get; init; } = MaskType.Random;

    /// <summary>Fraction of zeros.</summary>
    public double Sparsity { get; init; }

    /// <inheritdoc/>
    public override void Validate(WeightSymmetryConfig config) => CheckSparsity(Sparsity, "sparsity");
}

/// <summary>A generated mask at a sparsity drawn per run, uniformly on [<see cref="Low"/>, <see cref="High"/>], from
/// (seed, mask seed); the original passes one fixed sparsity, a range is our extension.</summary>
public sealed record RandomMaskDriver : DriverSettings
{
    /// <summary>The mask type.</summary>
    public MaskType Mask { get; init; } = MaskType.Random;

    /// <summary>Lowest sparsity.</summary>
    public double Low { get; init; }

    /// <summary>Highest sparsity.</summary>
    public double High { get; init; } = 1;

    /// <inheritdoc/>
    public override void Validate(WeightSymmetryConfig config)
    {
        CheckSparsity(Low, "sparsity range low");
        CheckSparsity(High, "sparsity range high");
        if (Low > High) throw new ArgumentException($"sparsity range [{Low}, {High}] is empty: low must not exceed high");
    }
}

/// <summary>MNIST_FC at a fixed parameter budget over depth and width (widths l·aⁱ solved from the budget), with a
/// generated mask (the original always uses <c>random</c>).</summary>
public sealed record FixedParamDriver : DriverSettings
{
    /// <summary>The mask type.</summary>
    public MaskType Mask { get; init; } = MaskType.Random;

    /// <summary>Fraction of zeros.</summary>
    public double Sparsity { get; init; }

    /// <summary>Weight budget.</summary>
    public long Budget { get; init; }

    /// <summary>Hidden layers.</summary>
    public int Depth { get; init; }

    /// <summary>Width ratio a between consecutive layers.</summary>
    public double WidthMultiplier { get; init; } = 1;

    /// <inheritdoc/>
    public override void Validate(WeightSymmetryConfig config)
    {
        if (config.Model != "mnist-fc") throw new ArgumentException("fixed-param works on mnist-fc only");
        CheckSparsity(Sparsity, "sparsity");
        FixedParameterWidths.Solve(Budget, Depth, WidthMultiplier);
    }
}
