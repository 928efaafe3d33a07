namespace Symmetry.Core.Experiments.Rebasin;

/// <summary>How a re-basin comparison is measured (ALGORITHMS §6). Every field enters the measurement's run id.</summary>
public sealed record RebasinSettings
{
    /// <summary>Points on each path, λ = 0 to 1 evenly spaced (the paper's 25; odd, so that λ = 0.5 is one).</summary>
    public int Points { get; init; } = 25;

    /// <summary>Seed of weight matching's visiting order.</summary>
    public ulong MatchingSeed { get; init; }

    /// <summary>Upper bound on weight matching's sweeps (the original's 100).</summary>
    public int MaxSweeps { get; init; } = 100;

    /// <summary>Also evaluate each point on the whole training set (the paper plots train and test loss).</summary>
    public bool TrainSet { get; init; } = true;

    /// <summary>Checks every field; the message names the field and the way out.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 points or fewer than 1 sweep.</exception>
    public void Validate()
    {
        if (Points < 2) throw new ArgumentOutOfRangeException(nameof(Points), Points, $"a path needs at least 2 points, got {Points}");
        if (MaxSweeps < 1) throw new ArgumentOutOfRangeException(nameof(MaxSweeps), MaxSweeps, $"weight matching needs at least 1 sweep, got {MaxSweeps}");
    }
}
