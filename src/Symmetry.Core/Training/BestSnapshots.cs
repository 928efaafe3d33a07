using Symmetry.Torch;

namespace Symmetry.Core.Training;

/// <summary>Keeps the metrics and a copy of the weights at the highest test accuracy and at the lowest train loss.</summary>
public sealed class BestSnapshots : ITrainingCallback, IDisposable
{
    /// <summary>Metrics of the evaluation with the highest test accuracy.</summary>
    public TrainingMetrics? BestTestAccuracy { get; private set; }
    /// <summary>Metrics of the evaluation with the lowest training loss.</summary>
    public TrainingMetrics? BestTrainLoss { get; private set; }
    /// <summary>The model state (parameters and buffers) at <see cref="BestTestAccuracy"/>.</summary>
    public NamedTensors? BestTestAccuracyState { get; private set; }
    /// <summary>The model state (parameters and buffers) at <see cref="BestTrainLoss"/>.</summary>
    public NamedTensors? BestTrainLossState { get; private set; }

    /// <inheritdoc />
    public void OnEvaluation(Trainer trainer, TrainingMetrics metrics)
    {
        if (BestTestAccuracy is null || metrics.Test.Accuracy > BestTestAccuracy.Test.Accuracy)
        {
            BestTestAccuracy = metrics;
            BestTestAccuracyState?.Dispose();
            BestTestAccuracyState = StateDicts.Copy(trainer.Model);
        }
        if (!double.IsNaN(metrics.Train.Loss) && (BestTrainLoss is null || metrics.Train.Loss < BestTrainLoss.Train.Loss))
        {
            BestTrainLoss = metrics;
            BestTrainLossState?.Dispose();
            BestTrainLossState = StateDicts.Copy(trainer.Model);
        }
    }

    /// <summary>Frees the snapshots.</summary>
    public void Dispose()
    {
        BestTestAccuracyState?.Dispose();
        BestTrainLossState?.Dispose();
    }
}

/// <summary>Stops when the test accuracy has not improved by at least <c>minDelta</c> for <c>patience</c> evaluations.</summary>
public sealed class EarlyStopping(int patience, double minDelta = 0) : ITrainingCallback
{
    private double best = double.NegativeInfinity;
    private int stale;

    /// <inheritdoc />
    public void OnEvaluation(Trainer trainer, TrainingMetrics metrics)
    {
        if (metrics.Test.Accuracy > best + minDelta)
        {
            best = metrics.Test.Accuracy;
            stale = 0;
        }
        else stale++;
    }

    /// <inheritdoc />
    public bool ShouldStop(Trainer trainer) => stale >= patience;
}
