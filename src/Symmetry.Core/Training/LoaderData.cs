using Symmetry.Core.Data;

namespace Symmetry.Core.Training;

/// <summary>Training data from loaded splits: a shuffled training loader whose order depends only on (seed, epoch),
/// and sequential loaders for evaluation.</summary>
public sealed class LoaderData : ITrainingData
{
    private readonly DataLoader train;
    private readonly DataLoader trainEvaluation;
    private readonly DataLoader test;

    /// <summary>Wraps <paramref name="splits"/> (still owned by the caller).</summary>
    public LoaderData(DataSplits splits, int batchSize, ulong seed, Augmentation? augmentation = null, int evaluationBatchSize = 1000)
    {
        train = new DataLoader(splits.Train, batchSize, shuffle: true, seed, augmentation: augmentation);
        trainEvaluation = new DataLoader(splits.Train, evaluationBatchSize, shuffle: false);
        test = new DataLoader(splits.Test, evaluationBatchSize, shuffle: false);
    }

    /// <summary>The shuffled training loader (the batched trainer gathers each network's batches by its order).</summary>
    internal DataLoader Train => train;

    /// <summary>The sequential loader over the training set used for evaluation.</summary>
    internal DataLoader TrainEvaluation => trainEvaluation;

    /// <summary>The sequential test loader.</summary>
    internal DataLoader Test => test;

    /// <summary>Batches per training epoch.</summary>
    public long BatchesPerEpoch => train.BatchCount;

    /// <inheritdoc />
    public IEnumerable<Batch> TrainBatches(int epoch) => train.Epoch(epoch).Select(b => new Batch(b.X, b.Y));

    /// <inheritdoc />
    public IEnumerable<Batch> TrainEvaluationBatches() => trainEvaluation.Epoch(0).Select(b => new Batch(b.X, b.Y));

    /// <inheritdoc />
    public IEnumerable<Batch> TestBatches() => test.Epoch(0).Select(b => new Batch(b.X, b.Y));
}
