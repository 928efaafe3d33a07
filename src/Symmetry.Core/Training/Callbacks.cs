namespace Symmetry.Core.Training;

/// <summary>Callbacks from plain functions, so that a script passes a lambda (an F# <c>fun</c>) instead of
/// implementing <see cref="ITrainingCallback"/>.</summary>
public static class Callbacks
{
    /// <summary>Calls <paramref name="action"/> after each evaluation.</summary>
    public static ITrainingCallback OnEvaluation(Action<Trainer, TrainingMetrics> action) => new Evaluation(action);

    /// <summary>Calls <paramref name="action"/> after each epoch and its evaluation (with the epochs completed).</summary>
    public static ITrainingCallback OnEpochEnd(Action<Trainer, int> action) => new EpochEnd(action);

    private sealed class Evaluation(Action<Trainer, TrainingMetrics> action) : ITrainingCallback
    {
        public void OnEvaluation(Trainer trainer, TrainingMetrics metrics) => action(trainer, metrics);
    }

    private sealed class EpochEnd(Action<Trainer, int> action) : ITrainingCallback
    {
        public void OnEpochEnd(Trainer trainer, int epoch) => action(trainer, epoch);
    }
}
