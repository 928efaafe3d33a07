namespace Symmetry.Core.Training;

/// <summary>The names metrics are stored and exported under (ALGORITHMS §1), stated once.</summary>
public static class MetricNames
{
    /// <summary>Training-set loss.</summary>
    public const string TrainLoss = "train_loss";
    /// <summary>Training-set accuracy.</summary>
    public const string TrainAccuracy = "train_accuracy";
    /// <summary>Test-set loss.</summary>
    public const string TestLoss = "test_loss";
    /// <summary>Test-set accuracy.</summary>
    public const string TestAccuracy = "test_accuracy";
    /// <summary>Learning rate in force.</summary>
    public const string LearningRate = "learning_rate";
    /// <summary>‖θ − θ₀‖.</summary>
    public const string DistanceFromInit = "distance_from_init";
    /// <summary>cos(θ, θ₀) (the original's key <c>cosine_distance</c> holds this similarity).</summary>
    public const string CosineToInit = "cosine_to_init";
    /// <summary>Σ of the global gradient norm over steps.</summary>
    public const string CumulativeGradientNorm = "cumulative_gradient_norm";
    /// <summary>Seconds of training so far.</summary>
    public const string WallSeconds = "wall_seconds";
}
