namespace Symmetry.Core.Pruning;

/// <summary>One entry of a pruning schedule: after <paramref name="Epoch"/> epochs (0 = before training), prune by
/// magnitude until every prunable layer has <paramref name="Sparsity"/> zeros.</summary>
/// <param name="Epoch">Epochs completed when the pruning happens.</param>
/// <param name="Sparsity">Target fraction of zeros per layer.</param>
public sealed record PruneStep(int Epoch, double Sparsity);
