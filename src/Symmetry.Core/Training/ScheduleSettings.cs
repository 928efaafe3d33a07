using System.Text.Json.Serialization;

namespace Symmetry.Core.Training;

/// <summary>A learning-rate schedule over epochs as settings (a closed set of records; every field enters run ids and
/// state keys). <see cref="Build"/> turns it into the <see cref="Schedule"/> the trainer steps once per epoch.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(ConstantSchedule), "constant")]
[JsonDerivedType(typeof(CosineSchedule), "cosine")]
[JsonDerivedType(typeof(PiecewiseSchedule), "piecewise")]
[JsonDerivedType(typeof(ExponentialSchedule), "exponential")]
[JsonDerivedType(typeof(StepDecaySchedule), "step-decay")]
public abstract record ScheduleSettings
{
    /// <summary>The names <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "cosine"];

    /// <summary>The schedule named <paramref name="name"/> (piecewise schedules come from recipes).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static ScheduleSettings Parse(string name) => name switch
    {
        "constant" or "none" => new ConstantSchedule(),
        "cosine" => new CosineSchedule(),
        _ => throw new ArgumentException($"unknown schedule '{name}'; known schedules: {string.Join(", ", Names)}"),
    };

    /// <summary>The schedule for a run of <paramref name="epochs"/> epochs.</summary>
    public abstract Schedule Build(int epochs);

    /// <summary>Checks the schedule's own values (finite factors, epochs ≥ 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range; the message names it.</exception>
    public virtual void Validate() { }

    /// <summary>A short label.</summary>
    public abstract string Describe();
}

/// <summary>The base rate throughout.</summary>
public sealed record ConstantSchedule : ScheduleSettings
{
    /// <inheritdoc/>
    public override Schedule Build(int epochs) => Schedule.Constant();

    /// <inheritdoc/>
    public override string Describe() => "constant";
}

/// <summary>Cosine annealing from the base rate to <see cref="MinFactor"/> × base over the run's epochs.</summary>
public sealed record CosineSchedule : ScheduleSettings
{
    /// <summary>The final factor.</summary>
    public double MinFactor { get; init; }

    /// <inheritdoc/>
    public override Schedule Build(int epochs) => Schedule.Cosine(Math.Max(1, epochs), MinFactor);

    /// <inheritdoc/>
    public override void Validate()
    {
        if (!(MinFactor >= 0 && MinFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(MinFactor), MinFactor, $"cosine schedule's final factor must be in [0, 1], got {MinFactor}");
    }

    /// <inheritdoc/>
    public override string Describe() => "cosine";
}

/// <summary>Factors of the base rate from given epochs on (the seed-000 original: ×0.01 from epoch 50, ×0.001 from
/// 70, ×1e-4 from 90); before the first step the factor is 1.</summary>
public sealed record PiecewiseSchedule : ScheduleSettings
{
    /// <summary>(epoch, factor) steps, in increasing epoch order.</summary>
    public IReadOnlyList<ScheduleStep> Steps { get; init; } = [];

    /// <inheritdoc/>
    public override Schedule Build(int epochs)
    {
        var steps = Steps.OrderBy(s => s.Epoch).ToArray();
        return Schedule.Piecewise(steps.Select(s => ((long)s.Epoch, s.Factor)));
    }

    /// <inheritdoc/>
    public override void Validate()
    {
        foreach (var step in Steps)
        {
            if (step.Epoch < 0) throw new ArgumentOutOfRangeException(nameof(Steps), step.Epoch, $"schedule step epoch must be ≥ 0, got {step.Epoch}");
            if (!(step.Factor >= 0) || double.IsInfinity(step.Factor))
                throw new ArgumentOutOfRangeException(nameof(Steps), step.Factor, $"schedule step factor must be a finite number ≥ 0, got {step.Factor}");
        }
    }

    /// <inheritdoc/>
    public override string Describe() => "piecewise " + string.Join(",", Steps.Select(s => $"{s.Epoch}:{s.Factor:G3}"));
}

/// <summary>The base rate × γ^epoch (Keras' <c>lr·0.95**epoch</c>, LaPerm's Conv7, F1 and F2 recipes).</summary>
public sealed record ExponentialSchedule : ScheduleSettings
{
    /// <summary>γ, the factor per epoch.</summary>
    public double Gamma { get; init; } = 0.95;

    /// <inheritdoc/>
    public override Schedule Build(int epochs) => Schedule.Exponential(Gamma);

    /// <inheritdoc/>
    public override void Validate()
    {
        if (!(Gamma > 0 && Gamma <= 1))
            throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, $"exponential schedule's γ must be in (0, 1], got {Gamma}");
    }

    /// <inheritdoc/>
    public override string Describe() => $"exponential γ {Gamma:G3}";
}

/// <summary>The base rate × γ^⌊epoch / every⌋ (StepLR; LaPerm's CIFAR recipes: 0.6 every 10 epochs).</summary>
public sealed record StepDecaySchedule : ScheduleSettings
{
    /// <summary>Epochs between two decays.</summary>
    public int Every { get; init; } = 10;

    /// <summary>γ, the factor at each decay.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <inheritdoc/>
    public override Schedule Build(int epochs) => Schedule.StepDecay(Every, Gamma);

    /// <inheritdoc/>
    public override void Validate()
    {
        if (Every < 1) throw new ArgumentOutOfRangeException(nameof(Every), Every, $"step-decay schedule's period must be ≥ 1 epoch, got {Every}");
        if (!(Gamma > 0 && Gamma <= 1))
            throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, $"step-decay schedule's γ must be in (0, 1], got {Gamma}");
    }

    /// <inheritdoc/>
    public override string Describe() => $"×{Gamma:G3} every {Every} epochs";
}

/// <summary>From <paramref name="Epoch"/> epochs on, the rate is <paramref name="Factor"/> × base.</summary>
/// <param name="Epoch">Epochs completed when the factor takes effect.</param>
/// <param name="Factor">Multiplier of the base rate.</param>
public sealed record ScheduleStep(int Epoch, double Factor);
