using System.Globalization;

namespace Symmetry.Core.Training;

/// <summary>How a model is trained: optimizer, schedule, batch size and epochs. The named presets (the original papers'
/// recipes) are <see cref="Models.TrainingRecipes"/>; a field set here overrides the preset's.</summary>
public sealed record TrainingSettings
{
    /// <summary>The optimizer and its hyper-parameters.</summary>
    public OptimizerSettings Optimizer { get; init; } = new AdamSettings();

    /// <summary>The learning-rate schedule over epochs.</summary>
    public ScheduleSettings Schedule { get; init; } = new ConstantSchedule();

    /// <summary>Batch size.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Checks every field; the message names the field and the way out.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An epoch count or batch size below 1 (zero epochs would record a
    /// "finished" run that never evaluated), or an optimizer value out of range.</exception>
    public void Validate()
    {
        Optimizer.Validate();
        Schedule.Validate();
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, $"epochs must be ≥ 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"batch size must be ≥ 1, got {BatchSize}");
    }

    /// <summary>
    /// A copy with the given fields replaced (null keeps this one's): how a command line or a script adjusts a recipe.
    /// Naming another optimizer starts from its defaults but keeps this recipe's learning rate and weight decay unless
    /// those are given too.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown optimizer or schedule name, or momentum/Nesterov for an
    /// optimizer other than SGD.</exception>
    public TrainingSettings Override(string? optimizer = null, double? learningRate = null, double? weightDecay = null,
        double? momentum = null, bool? nesterov = null, string? schedule = null, int? batchSize = null, int? epochs = null)
    {
        var chosen = optimizer is null || optimizer == Optimizer.Name
            ? Optimizer
            : OptimizerSettings.Parse(optimizer) with { LearningRate = Optimizer.LearningRate, WeightDecay = Optimizer.WeightDecay };
        chosen = chosen with
        {
            LearningRate = learningRate ?? chosen.LearningRate,
            WeightDecay = weightDecay ?? chosen.WeightDecay,
        };
        if (momentum is not null || nesterov is not null)
        {
            if (chosen is not SgdSettings sgd)
                throw new ArgumentException($"momentum and Nesterov apply to sgd only, not {chosen.Name} (add --optimizer sgd)");
            chosen = sgd with { Momentum = momentum ?? sgd.Momentum, Nesterov = nesterov ?? sgd.Nesterov };
        }
        return this with
        {
            Optimizer = chosen,
            Schedule = schedule is null ? Schedule : ScheduleSettings.Parse(schedule),
            BatchSize = batchSize ?? BatchSize,
            Epochs = epochs ?? Epochs,
        };
    }

    /// <summary>One line: optimizer, rate, decay, batch, schedule, epochs.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Optimizer.Name} lr {Optimizer.LearningRate:G4}, weight decay {Optimizer.WeightDecay:G4}, batch {BatchSize}, schedule {Schedule.Describe()}, {Epochs} epochs");
}
