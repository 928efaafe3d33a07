using System.Globalization;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>Which stitcher and its hyper-parameters (ALGORITHMS §3): a closed set of records, each default stated once
/// here; every field enters a stitching run's id (canonical JSON, <c>kind</c> naming the type).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(LinearStitcherSettings), "linear")]
[JsonDerivedType(typeof(LowRankStitcherSettings), "low-rank")]
[JsonDerivedType(typeof(LassoStitcherSettings), "lasso")]
[JsonDerivedType(typeof(BirkhoffStitcherSettings), "birkhoff")]
public abstract record StitcherSettings
{
    /// <summary>A stitcher on <paramref name="features"/> channels, its initial values drawn from <paramref name="generator"/>.</summary>
    public abstract Stitcher Create(long features, Generator? generator);

    /// <summary>Checks every field; the message names the field and its range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range.</exception>
    public virtual void Validate() { }

    /// <summary>The learning rate the original uses for this stitcher when none is given (cifar10_stitching.py:
    /// 0.01 for Birkhoff, 1e-3 otherwise).</summary>
    [JsonIgnore]
    public virtual double CodeDefaultLearningRate => 1e-3;

    /// <summary>A short label.</summary>
    public abstract string Describe();

    /// <summary>A value as messages print it.</summary>
    protected static string Text(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>The full linear stitcher (<see cref="LinearStitcher"/>).</summary>
public sealed record LinearStitcherSettings : StitcherSettings
{
    /// <inheritdoc />
    public override Stitcher Create(long features, Generator? generator) => new LinearStitcher(features, generator);

    /// <inheritdoc />
    public override string Describe() => "linear";
}

/// <summary>The low-rank stitcher (<see cref="LowRankStitcher"/>); the paper's ranks are 1, 2, 4.</summary>
public sealed record LowRankStitcherSettings : StitcherSettings
{
    /// <summary>r.</summary>
    public int Rank { get; init; } = 1;

    /// <inheritdoc />
    public override Stitcher Create(long features, Generator? generator) => new LowRankStitcher(features, Rank, generator);

    /// <inheritdoc />
    public override void Validate()
    {
        if (Rank < 1) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, $"the low-rank stitcher's rank must be ≥ 1, got {Rank}");
    }

    /// <inheritdoc />
    public override string Describe() => $"low-rank r={Rank}";
}

/// <summary>The lasso stitcher (<see cref="LassoStitcher"/>); the paper's μ range over 1e-4 … 0.1.</summary>
public sealed record LassoStitcherSettings : StitcherSettings
{
    /// <summary>μ (the original's default multiplier).</summary>
    public double Penalty { get; init; } = 0.1;

    /// <summary>|w| below this is zero at evaluation.</summary>
    public double Threshold { get; init; } = 1e-4;

    /// <inheritdoc />
    public override Stitcher Create(long features, Generator? generator) => new LassoStitcher(features, Penalty, Threshold, generator);

    /// <inheritdoc />
    public override void Validate()
    {
        if (!(Penalty >= 0) || double.IsInfinity(Penalty)) throw new ArgumentOutOfRangeException(nameof(Penalty), Penalty, $"the lasso μ must be a finite number ≥ 0, got {Text(Penalty)}");
        if (!(Threshold >= 0) || double.IsInfinity(Threshold)) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, $"the lasso threshold must be a finite number ≥ 0, got {Text(Threshold)}");
    }

    /// <inheritdoc />
    public override string Describe() => $"lasso μ={Text(Penalty)}";
}

/// <summary>The Birkhoff (G_ReLU) stitcher (<see cref="BirkhoffStitcher"/>).</summary>
public sealed record BirkhoffStitcherSettings : StitcherSettings
{
    /// <summary>α of −α‖P‖_F: the code default (the published runs use 0.1, see <see cref="StitchingPreset.BirkhoffPublished"/>).</summary>
    public double Alpha { get; init; } = 1e-3;

    /// <inheritdoc />
    public override Stitcher Create(long features, Generator? generator) => new BirkhoffStitcher(features, Alpha, generator);

    /// <inheritdoc />
    public override double CodeDefaultLearningRate => 0.01;

    /// <inheritdoc />
    public override void Validate()
    {
        if (!(Alpha >= 0) || double.IsInfinity(Alpha)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, $"the Birkhoff α must be a finite number ≥ 0, got {Text(Alpha)}");
    }

    /// <inheritdoc />
    public override string Describe() => $"Birkhoff α={Text(Alpha)}";
}
