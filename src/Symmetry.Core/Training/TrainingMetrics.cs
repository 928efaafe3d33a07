namespace Symmetry.Core.Training;

/// <summary>Everything recorded at one evaluation (ALGORITHMS §1).</summary>
public sealed record TrainingMetrics
{
    /// <summary>Optimizer steps so far.</summary>
    public long Step { get; init; }
    /// <summary>Completed epochs (fractional between epoch ends).</summary>
    public double Epoch { get; init; }
    /// <summary>Training-set loss and accuracy.</summary>
    public LossAccuracy Train { get; init; }
    /// <summary>Test-set loss and accuracy.</summary>
    public LossAccuracy Test { get; init; }
    /// <summary>Learning rate in force.</summary>
    public double LearningRate { get; init; }
    /// <summary>‖θ − θ₀‖ over all parameters.</summary>
    public double DistanceFromInit { get; init; }
    /// <summary>cos(θ, θ₀) over all parameters.</summary>
    public double CosineToInit { get; init; }
    /// <summary>Σ over steps of the global gradient norm.</summary>
    public double CumulativeGradientNorm { get; init; }
    /// <summary>Seconds of training (excluding evaluation) so far, across resumes.</summary>
    public double WallSeconds { get; init; }

    /// <summary>The metrics as flat (name, value) pairs, e.g. <c>test_accuracy</c>.</summary>
    public IEnumerable<(string Name, double Value)> Flatten()
    {
        yield return (MetricNames.TrainLoss, Train.Loss);
        yield return (MetricNames.TrainAccuracy, Train.Accuracy);
        yield return (MetricNames.TestLoss, Test.Loss);
        yield return (MetricNames.TestAccuracy, Test.Accuracy);
        yield return (MetricNames.LearningRate, LearningRate);
        yield return (MetricNames.DistanceFromInit, DistanceFromInit);
        yield return (MetricNames.CosineToInit, CosineToInit);
        yield return (MetricNames.CumulativeGradientNorm, CumulativeGradientNorm);
        yield return (MetricNames.WallSeconds, WallSeconds);
    }
}
