namespace Symmetry.Core.Pruning;

/// <summary>
/// The keep-score criteria of "Deconstructing lottery tickets" (Zhou et al. 2019; ALGORITHMS §4, uber-research
/// get_weight_init.py): each scores every weight of a layer from its initial value w_i and its trained value w_f, and
/// the lowest scores are pruned. <see cref="KeepScores.Of"/> computes them.
/// </summary>
public enum KeepCriterion
{
    /// <summary>|w_f| (the lottery ticket's own criterion).</summary>
    LargeFinal,
    /// <summary>−|w_f|.</summary>
    SmallFinal,
    /// <summary>|w_i|.</summary>
    LargeInit,
    /// <summary>−|w_i|.</summary>
    SmallInit,
    /// <summary>Kept when both |w_i| and |w_f| are above one shared percentile (found by bisection).</summary>
    LargeInitLargeFinal,
    /// <summary>Kept when both −|w_i| and −|w_f| are above one shared percentile (found by bisection).</summary>
    SmallInitSmallFinal,
    /// <summary>|w_f| − |w_i|.</summary>
    MagnitudeIncrease,
    /// <summary>|w_f − w_i|.</summary>
    Movement,
    /// <summary>A uniform draw per weight (the control).</summary>
    Random,
    /// <summary>|w_f| where sign(w_i) = sign(w_f), else 0 (the supermask criterion).</summary>
    LargeFinalSameSign,
    /// <summary>|w_f| − |w_i| where sign(w_i) = sign(w_f), else 0.</summary>
    MagnitudeIncreaseSameSign,
}

/// <summary>The criteria's names as the original code spells them (<c>large_final_same_sign</c>), for scripts and tables.</summary>
public static class KeepCriteria
{
    /// <summary>Every criterion, in declaration order.</summary>
    public static IReadOnlyList<KeepCriterion> All { get; } = Enum.GetValues<KeepCriterion>();

    /// <summary>The original code's name: <c>LargeFinalSameSign</c> → <c>large_final_same_sign</c>.</summary>
    public static string Name(KeepCriterion criterion) => Snake(criterion.ToString());

    /// <summary>The criterion named <paramref name="name"/> (the original's spelling, or with dashes).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static KeepCriterion Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var wanted = name.Trim().Replace('-', '_');
        foreach (var c in All)
            if (Name(c) == wanted) return c;
        throw new ArgumentException($"unknown keep criterion '{name}'; known: {string.Join(", ", All.Select(Name))}");
    }

    /// <summary>Whether the criterion has two scores and one shared threshold (<see cref="KeepCriterion.LargeInitLargeFinal"/>,
    /// <see cref="KeepCriterion.SmallInitSmallFinal"/>).</summary>
    public static bool IsCombined(KeepCriterion criterion) =>
        criterion is KeepCriterion.LargeInitLargeFinal or KeepCriterion.SmallInitSmallFinal;

    internal static string Snake(string pascal) =>
        string.Concat(pascal.Select((ch, i) => char.IsUpper(ch) && i > 0 ? "_" + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));
}
