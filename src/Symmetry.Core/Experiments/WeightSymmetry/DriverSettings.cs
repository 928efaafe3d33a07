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
    /// <summary>Every driver record by name (the JSON discriminators above, stated once).</summary>
    public static IReadOnlyDictionary<string, Type> Types { get; } = typeof(DriverSettings)
        .GetCustomAttributes(typeof(JsonDerivedTypeAttribute), inherit: false).Cast<JsonDerivedTypeAttribute>()
        .ToDictionary(a => (string)a.TypeDiscriminator!, a => a.DerivedType);

    /// <summary>Every driver name, as the command line takes it.</summary>
    public static IReadOnlyList<string> Names { get; } = Types.Keys.ToArray();

    /// <summary>The driver's name (the run id's prefix and the run's kind).</summary>
    [JsonIgnore]
    public string Name => Types.First(t => t.Value == GetType()).Key;

    /// <summary>A new driver record of kind <paramref name="name"/> with every default.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static DriverSettings Create(string name) =>
        Types.TryGetValue(name, out var type)
            ? (DriverSettings)Activator.CreateInstance(type)!
            : throw new ArgumentException($"unknown driver '{name}'; known drivers: {string.Join(", ", Names)}");

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
    [Flag("prune-schedule", Required = true, Example = "0:0.5,2:0.8")]
    public IReadOnlyList<PruneStep> Schedule { get; init; } = [];

    /// <summary>Prune as the original code does: only the epoch-0 steps fire (prune.py 115–130).</summary>
    [Flag("prune-schedule-original")]
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
    [Flag(Required = true)]
    public MaskType Mask { get; init; } = MaskType.Random;

    /// <summary>Fraction of zeros.</summary>
    [Flag(Required = true, Example = "0.9")]
    public double Sparsity { get; init; }

    /// <inheritdoc/>
    public override void Validate(WeightSymmetryConfig config) => CheckSparsity(Sparsity, "sparsity");
}

/// <summary>A generated mask at a sparsity drawn per run, uniformly on <see cref="SparsityRange"/>, from (seed, mask
/// seed); the original passes one fixed sparsity, a range is our extension.</summary>
public sealed record RandomMaskDriver : DriverSettings
{
    /// <summary>The mask type.</summary>
    [Flag(Required = true)]
    public MaskType Mask { get; init; } = MaskType.Random;

    /// <summary>The range each run's sparsity is drawn from.</summary>
    [Flag(Required = true, Example = "0.5,0.99")]
    public SparsityRange SparsityRange { get; init; } = new(0, 1);

    /// <inheritdoc/>
    public override void Validate(WeightSymmetryConfig config)
    {
        if (SparsityRange.Problem() is { } problem) throw new ArgumentException(problem);
    }
}

/// <summary>MNIST_FC at a fixed parameter budget over depth and width (widths l·aⁱ solved from the budget), with a
/// generated mask (the original always uses <c>random</c>).</summary>
public sealed record FixedParamDriver : DriverSettings
{
    /// <summary>The mask type.</summary>
    [Flag(Required = true)]
    public MaskType Mask { get; init; } = MaskType.Random;

    /// <summary>Fraction of zeros.</summary>
    public double Sparsity { get; init; }

    /// <summary>Weight budget.</summary>
    [Flag(Required = true, Example = "20000")]
    public long Budget { get; init; }

    /// <summary>Hidden layers.</summary>
    [Flag(Required = true, Example = "4")]
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
