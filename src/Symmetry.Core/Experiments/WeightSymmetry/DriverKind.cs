namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>The weight-symmetry experiment drivers (ALGORITHMS §1, seed 000).</summary>
public static class DriverKind
{
    /// <summary>Dense training.</summary>
    public const string Train = "train";
    /// <summary>Magnitude pruning, one-shot or iterative on an (epoch, sparsity) schedule.</summary>
    public const string Prune = "prune";
    /// <summary>A generated mask at a fixed sparsity.</summary>
    public const string ShuffledMask = "shuffled-mask";
    /// <summary>A generated mask at a sparsity drawn per run from a range.</summary>
    public const string RandomMask = "random-mask";
    /// <summary>MNIST_FC at a fixed parameter budget over depth and width, with a generated mask.</summary>
    public const string FixedParam = "fixed-param";

    /// <summary>Every driver name.</summary>
    public static IReadOnlyList<string> All { get; } = [Train, Prune, ShuffledMask, RandomMask, FixedParam];
}
