namespace Symmetry.Core.Training;

/// <summary>A learning-rate schedule: the factor applied to the base learning rate after <c>t</c> scheduler steps
/// (epochs or iterations, as the caller steps it). Pure functions of t, so a schedule's state is just t.</summary>
public abstract class Schedule
{
    /// <summary>The multiplier of the base learning rate at step <paramref name="t"/> (t = 0 before any step).</summary>
    public abstract double Factor(long t);

    /// <summary>Multiplies by <paramref name="gamma"/> every <paramref name="stepSize"/> steps (StepLR).</summary>
    public static Schedule StepDecay(long stepSize, double gamma = 0.1) => new FuncSchedule(t => Math.Pow(gamma, t / stepSize));

    /// <summary>Multiplies by <paramref name="gamma"/> at each milestone (MultiStepLR).</summary>
    public static Schedule MultiStep(IEnumerable<long> milestones, double gamma = 0.1)
    {
        var sorted = milestones.OrderBy(m => m).ToArray();
        return new FuncSchedule(t => Math.Pow(gamma, sorted.Count(m => m <= t)));
    }

    /// <summary>Multiplies by <paramref name="gamma"/> every step (ExponentialLR).</summary>
    public static Schedule Exponential(double gamma) => new FuncSchedule(t => Math.Pow(gamma, t));

    /// <summary>Cosine annealing from 1 to <paramref name="minFactor"/> over <paramref name="period"/> steps, then flat.</summary>
    public static Schedule Cosine(long period, double minFactor = 0) =>
        new FuncSchedule(t => t >= period ? minFactor : minFactor + (1 - minFactor) * (1 + Math.Cos(Math.PI * t / period)) / 2);

    /// <summary>Factor 1 until the first step, then each step's factor from its step on (absolute factors, not
    /// products).</summary>
    public static Schedule Piecewise(IEnumerable<(long Step, double Factor)> steps)
    {
        var sorted = steps.OrderBy(s => s.Step).ToArray();
        return new FuncSchedule(t =>
        {
            var factor = 1.0;
            foreach (var (step, f) in sorted)
                if (step <= t) factor = f;
            return factor;
        });
    }

    /// <summary>Constant factor 1.</summary>
    public static Schedule Constant() => new FuncSchedule(_ => 1);

    /// <summary>Linear warm-up from 1/(warmup+1) to 1 over <paramref name="warmupSteps"/> steps, then <paramref name="after"/>
    /// (counted from the end of the warm-up).</summary>
    public static Schedule LinearWarmup(long warmupSteps, Schedule? after = null) =>
        new FuncSchedule(t => t < warmupSteps ? (t + 1.0) / (warmupSteps + 1.0) : (after?.Factor(t - warmupSteps) ?? 1));

    private sealed class FuncSchedule(Func<long, double> factor) : Schedule
    {
        public override double Factor(long t) => factor(t);
    }
}
