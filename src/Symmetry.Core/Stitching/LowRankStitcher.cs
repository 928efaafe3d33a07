using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>The low-rank stitcher: W = Up · Down with Down (r × features) and Up (features × r), two 1×1 convolutions
/// or linear layers without bias in a row (pnnl/modelsym <c>LowRank</c>); rank W ≤ r.</summary>
public sealed class LowRankStitcher : Stitcher
{
    /// <summary>A stitcher of rank at most <paramref name="rank"/> on <paramref name="features"/> channels, Down then Up drawn
    /// from <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rank below 1.</exception>
    public LowRankStitcher(long features, int rank, Generator? generator) : base(nameof(LowRankStitcher), features)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        Rank = rank;
        Down = DefaultInitialised(rank, features, generator);
        Up = DefaultInitialised(features, rank, generator);
        register_parameter("down", Down);
        register_parameter("up", Up);
    }

    /// <summary>r, the bound on W's rank.</summary>
    public int Rank { get; }

    /// <summary>The first map, features → r (parameter <c>down</c>).</summary>
    public Parameter Down { get; }

    /// <summary>The second map, r → features (parameter <c>up</c>).</summary>
    public Parameter Up { get; }

    /// <inheritdoc />
    public override Tensor Matrix() => Up.matmul(Down);

    /// <inheritdoc />
    public override string Describe() => $"low-rank r={Rank}";
}
