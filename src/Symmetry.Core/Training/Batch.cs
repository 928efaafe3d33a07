using static TorchSharp.torch;

namespace Symmetry.Core.Training;

/// <summary>One mini-batch: inputs and int64 class labels (owned by the scope current when it was made).</summary>
/// <param name="Inputs">Inputs, batch first.</param>
/// <param name="Labels">Class indices.</param>
public readonly record struct Batch(Tensor Inputs, Tensor Labels);

/// <summary>The data a <see cref="Trainer"/> needs: training batches for an epoch (their order may depend only on the
/// epoch, so that a resumed run sees the same data) and the evaluation sets.</summary>
public interface ITrainingData
{
    /// <summary>The training batches of <paramref name="epoch"/> (0-based), created lazily in the caller's scope.</summary>
    IEnumerable<Batch> TrainBatches(int epoch);

    /// <summary>The training set in a fixed order, for evaluation.</summary>
    IEnumerable<Batch> TrainEvaluationBatches();

    /// <summary>The test set in a fixed order.</summary>
    IEnumerable<Batch> TestBatches();
}
