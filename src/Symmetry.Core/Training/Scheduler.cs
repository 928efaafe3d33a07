using TorchSharp;

namespace Symmetry.Core.Training;

/// <summary>Drives a TorchSharp optimizer's learning rate by a <see cref="Schedule"/>: every parameter group gets
/// base·factor(steps). Its state is the step count (and the base rate).</summary>
public sealed class Scheduler
{
    private readonly torch.optim.Optimizer optimizer;
    private readonly Schedule schedule;

    /// <summary>Sets the optimizer's rate to base·factor(0) at once.</summary>
    /// <param name="optimizer">The optimizer whose parameter groups' learning rates are set.</param>
    /// <param name="schedule">The schedule.</param>
    /// <param name="baseLearningRate">The rate the factors multiply; null: the optimizer's current rate
    /// (<see cref="LearningRates.Get"/>).</param>
    public Scheduler(torch.optim.Optimizer optimizer, Schedule schedule, double? baseLearningRate = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(schedule);
        (this.optimizer, this.schedule) = (optimizer, schedule);
        BaseLearningRate = baseLearningRate ?? LearningRates.Get(optimizer);
        Apply();
    }

    /// <summary>The rate the factors multiply.</summary>
    public double BaseLearningRate { get; private set; }

    /// <summary>Scheduler steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>Advances one step and updates the optimizer's learning rate.</summary>
    public void Step()
    {
        Steps++;
        Apply();
    }

    /// <summary>Restores the position saved from <see cref="Steps"/> (and the base rate, when given).</summary>
    public void Restore(long steps, double? baseLearningRate = null)
    {
        Steps = steps;
        BaseLearningRate = baseLearningRate ?? BaseLearningRate;
        Apply();
    }

    private void Apply() => LearningRates.Set(optimizer, BaseLearningRate * schedule.Factor(Steps));
}
