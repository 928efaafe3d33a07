namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>What became of one run.</summary>
/// <param name="RunId">The run id.</param>
/// <param name="Reused">True when the store already held the finished run (nothing was trained).</param>
/// <param name="ResumedFromEpoch">The checkpoint epoch training resumed from, or null for a fresh start.</param>
/// <param name="TestAccuracy">Best test accuracy over the run's evaluations.</param>
/// <param name="PermutationLog10">log10(permutations + 1) of the propagated mask (the dense model's for unmasked runs).</param>
/// <param name="Sparsity">Sparsity of the mask the run trained with.</param>
public sealed record RunOutcome(string RunId, bool Reused, int? ResumedFromEpoch, double TestAccuracy, double PermutationLog10, double Sparsity);
