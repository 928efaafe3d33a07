using Symmetry.Core.Masks;

namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>One cell of a sweep table: a mask type at a sparsity, averaged over seeds.</summary>
/// <param name="MaskType">Mask type.</param>
/// <param name="Sparsity">Requested sparsity.</param>
/// <param name="Runs">Runs averaged.</param>
/// <param name="MeanTestAccuracy">Mean of the runs' best test accuracy.</param>
/// <param name="MeanPermutationLog10">Mean log10(permutations + 1) of the propagated masks.</param>
public sealed record SweepCell(string MaskType, double Sparsity, int Runs, double MeanTestAccuracy, double MeanPermutationLog10);

/// <summary>The main job's sweep (issue: mask types × sparsities × seeds on MNIST_FC): its configurations and the
/// table that summarises the outcomes.</summary>
public static class WeightSymmetrySweep
{
    /// <summary>The sparsities swept by default. 0.875 is the highest a no-input-ablation mask allows on MNIST_FC 6×16:
    /// the output layer's 10 neurons must keep at least 2 of their 16 inputs each to cover all 16.</summary>
    public static IReadOnlyList<double> DefaultSparsities { get; } = [0.5, 0.75, 0.875];

    /// <summary>Runs of one architecture trained at once by default (<see cref="WeightSymmetryDriver.RunAll"/>); chosen
    /// from the throughput curve of <c>bench sweep-batched</c> on a 2-core CPU (bench/README.md).</summary>
    public const int DefaultBatchModels = 64;

    /// <summary>The seeds swept by default (each run's seed is also its mask seed).</summary>
    public static IReadOnlyList<ulong> DefaultSeeds { get; } = [0UL, 1UL];

    /// <summary>One shuffled-mask config per (mask type, sparsity, seed), all else from <paramref name="template"/>.</summary>
    public static IReadOnlyList<WeightSymmetryConfig> Configs(WeightSymmetryConfig template, IEnumerable<MaskType>? maskTypes = null,
        IEnumerable<double>? sparsities = null, IEnumerable<ulong>? seeds = null) =>
        (from type in maskTypes ?? Enum.GetValues<MaskType>()
         from sparsity in sparsities ?? DefaultSparsities
         from seed in seeds ?? DefaultSeeds
         select template with { Driver = new ShuffledMaskDriver { Mask = type, Sparsity = sparsity }, Seed = seed, MaskSeed = seed })
        .ToList();

    /// <summary>Averages outcomes per (mask type, sparsity), in the order the configs came.</summary>
    public static IReadOnlyList<SweepCell> Table(IEnumerable<(WeightSymmetryConfig Config, RunOutcome Outcome)> results) =>
        results.GroupBy(r => r.Config.Driver is ShuffledMaskDriver d
                ? (MaskTypes.Name(d.Mask), d.Sparsity)
                : throw new ArgumentException($"a sweep table holds shuffled-mask runs, not {r.Config.Driver.Name}", nameof(results)))
            .Select(g => new SweepCell(g.Key.Item1, g.Key.Item2, g.Count(),
                g.Average(r => r.Outcome.TestAccuracy), g.Average(r => r.Outcome.PermutationLog10)))
            .ToList();
}
