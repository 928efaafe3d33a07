using System.Globalization;

namespace Symmetry.Core.LaPerm;

/// <summary>
/// LaPerm's own settings (ALGORITHMS §2): the synchronisation period k (or a schedule k(epoch)) and which parameters
/// are synchronised. The inner optimizer is the training settings' optimizer; its state is never reset at a sync.
/// </summary>
public sealed record LaPermSettings
{
    /// <summary>k: synchronise after every k-th optimizer step (global 1-based step t with t mod k = 0).</summary>
    public int SyncPeriod { get; init; } = 20;

    /// <summary>A schedule k(epoch): from each step's epoch (0-based) on, its period replaces <see cref="SyncPeriod"/>
    /// (LaPerm.py's k_schedule). Null or empty: k is constant.</summary>
    public IReadOnlyList<SyncPeriodStep>? SyncSchedule { get; init; }

    /// <summary>Synchronise biases too (each bias vector is one row). The loop's default skips them (skip_bias=True);
    /// the reference runs of Conv7, F1 and F2 synchronise them.</summary>
    public bool SynchroniseBiases { get; init; }

    /// <summary>Synchronise BatchNorm's γ and β too (running statistics never are). The loop's default skips them.</summary>
    public bool SynchroniseBatchNorm { get; init; }

    /// <summary>Synchronise after the last step of training as well when it is not a multiple of k, so that the trained
    /// weights are a permutation of θ₀ row by row (the original stops wherever the last batch falls).</summary>
    public bool SyncAtEnd { get; init; } = true;

    /// <summary>k in force during <paramref name="epoch"/> (0-based).</summary>
    public int PeriodAt(int epoch)
    {
        var period = SyncPeriod;
        foreach (var step in (SyncSchedule ?? []).OrderBy(s => s.Epoch))
            if (step.Epoch <= epoch) period = step.Period;
        return period;
    }

    /// <summary>Every period this run may use.</summary>
    public IEnumerable<int> Periods() => (SyncSchedule ?? []).Select(s => s.Period).Prepend(SyncPeriod).Distinct();

    /// <summary>The evaluation period that lands right after a sync about once per epoch: the smallest multiple of
    /// every period (their least common multiple) that is at least <paramref name="stepsPerEpoch"/>.</summary>
    public long AlignedEvaluationPeriod(long stepsPerEpoch)
    {
        var common = Periods().Aggregate(1L, (a, b) => a / Gcd(a, b) * b);
        return Math.Max(1, (stepsPerEpoch + common - 1) / common) * common;
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>Checks every field; the message names the field and the allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A period below 1 or a schedule epoch below 0.</exception>
    public void Validate()
    {
        if (SyncPeriod < 1) throw new ArgumentOutOfRangeException(nameof(SyncPeriod), SyncPeriod, $"LaPerm's sync period k must be ≥ 1, got {SyncPeriod}");
        foreach (var step in SyncSchedule ?? [])
        {
            if (step.Epoch < 0) throw new ArgumentOutOfRangeException(nameof(SyncSchedule), step.Epoch, $"k schedule epoch must be ≥ 0, got {step.Epoch}");
            if (step.Period < 1) throw new ArgumentOutOfRangeException(nameof(SyncSchedule), step.Period, $"k schedule period must be ≥ 1, got {step.Period}");
        }
    }

    /// <summary>One line: k (and its schedule) and what is synchronised.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"LaPerm k {SyncPeriod}{(SyncSchedule is { Count: > 0 } s ? " then " + string.Join(",", s.Select(x => $"{x.Epoch}:{x.Period}")) : "")}" +
        $", biases {(SynchroniseBiases ? "synced" : "free")}, BatchNorm {(SynchroniseBatchNorm ? "synced" : "free")}");
}

/// <summary>From epoch <paramref name="Epoch"/> (0-based) on, synchronise every <paramref name="Period"/> steps.</summary>
public sealed record SyncPeriodStep(int Epoch, int Period);
