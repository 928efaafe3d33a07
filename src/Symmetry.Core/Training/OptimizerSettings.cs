using System.Globalization;
using System.Text.Json.Serialization;
using Symmetry.Torch.Optimizers;
using TorchSharp;
using TorchSharp.Modules;

namespace Symmetry.Core.Training;

/// <summary>
/// Which optimizer and its hyper-parameters: a closed set of records, each default stated once here. Every field enters
/// a run's id and a state's key (canonical JSON, the <c>kind</c> naming the type).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(AdamSettings), "adam")]
[JsonDerivedType(typeof(AdamWSettings), "adamw")]
[JsonDerivedType(typeof(SgdSettings), "sgd")]
public abstract record OptimizerSettings
{
    /// <summary>Learning rate (the base rate a schedule scales).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Weight decay: L2 added to the gradient for Adam and SGD, decoupled for AdamW.</summary>
    public double WeightDecay { get; init; }

    /// <summary>The names <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["adam", "adamw", "sgd"];

    /// <summary>The optimizer named <paramref name="name"/> with its defaults.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static OptimizerSettings Parse(string name) => name switch
    {
        "adam" => new AdamSettings(),
        "adamw" => new AdamWSettings(),
        "sgd" => new SgdSettings(),
        _ => throw new ArgumentException($"unknown optimizer '{name}'; known optimizers: {string.Join(", ", Names)}"),
    };

    /// <summary>The name <see cref="Parse"/> takes for this type.</summary>
    [JsonIgnore]
    public string Name => this switch
    {
        AdamSettings => "adam",
        AdamWSettings => "adamw",
        SgdSettings => "sgd",
        _ => GetType().Name,
    };

    /// <summary>A TorchSharp optimizer over <paramref name="parameters"/> (move the model to its device first:
    /// <c>to(device)</c> makes new parameters): TorchSharp's own, with a step that keeps its scalars alive
    /// (<see cref="GcSafeAdam"/>).</summary>
    public abstract torch.optim.Optimizer Create(IEnumerable<Parameter> parameters);

    /// <summary>Checks every field; the message names the field and the allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value outside its range, infinite or NaN.</exception>
    public virtual void Validate()
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, $"learning rate must be a finite number > 0, got {Text(LearningRate)}");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, $"weight decay must be a finite number ≥ 0, got {Text(WeightDecay)}");
    }

    /// <summary>A value as the messages print it.</summary>
    protected static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>What Adam and AdamW share: the moment decay rates and ε.</summary>
public abstract record AdaptiveMomentSettings : OptimizerSettings
{
    /// <summary>β₁.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>β₂.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>ε.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, $"β₁ must be in [0, 1), got {Text(Beta1)}");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, $"β₂ must be in [0, 1), got {Text(Beta2)}");
        if (!(Eps > 0) || double.IsInfinity(Eps)) throw new ArgumentOutOfRangeException(nameof(Eps), Eps, $"ε must be a finite number > 0, got {Text(Eps)}");
    }
}

/// <summary>Adam (Kingma &amp; Ba) with L2 weight decay added to the gradient, as <c>torch.optim.Adam</c>.</summary>
public sealed record AdamSettings : AdaptiveMomentSettings
{
    /// <inheritdoc/>
    public override torch.optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        new GcSafeAdam(parameters, LearningRate, Beta1, Beta2, Eps, WeightDecay);
}

/// <summary>AdamW (Loshchilov &amp; Hutter): decoupled weight decay, as <c>torch.optim.AdamW</c> and Flax's Adam
/// weight decay (the seed-000 original).</summary>
public sealed record AdamWSettings : AdaptiveMomentSettings
{
    /// <inheritdoc/>
    public override torch.optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        new GcSafeAdamW(parameters, LearningRate, Beta1, Beta2, Eps, WeightDecay);
}

/// <summary>SGD with optional (Nesterov) momentum and L2 weight decay, as <c>torch.optim.SGD</c>.</summary>
public sealed record SgdSettings : OptimizerSettings
{
    /// <summary>Momentum (0: plain SGD).</summary>
    public double Momentum { get; init; }

    /// <summary>Nesterov momentum (needs momentum &gt; 0).</summary>
    public bool Nesterov { get; init; }

    /// <inheritdoc/>
    public override torch.optim.Optimizer Create(IEnumerable<Parameter> parameters) =>
        new GcSafeSgd(parameters, LearningRate, Momentum, Nesterov, WeightDecay);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (!(Momentum >= 0 && Momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, $"momentum must be in [0, 1), got {Text(Momentum)}");
        if (Nesterov && Momentum == 0)
            throw new ArgumentException("Nesterov momentum needs a momentum > 0 (e.g. --momentum 0.9)");
    }
}
