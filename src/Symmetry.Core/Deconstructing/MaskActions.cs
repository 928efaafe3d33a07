using Symmetry.Core.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Deconstructing;

/// <summary>What the weights a mask keeps start from (deconstructing-LT train_lottery.py's <c>--exp</c>; ALGORITHMS §4).
/// Each may be rescaled by size / kept (<see cref="MaskActions.Start"/>).</summary>
public enum MaskOneAction
{
    /// <summary>w_i, the lottery ticket (the original's <c>none</c>).</summary>
    Rewind,
    /// <summary>The layer's whole initial tensor, pruned positions included, shuffled into place (the original's
    /// <c>random_reinit</c>, 540–548): not a fresh sample.</summary>
    Reinit,
    /// <summary>w_i permuted among the kept positions (<c>random_reshuffle</c>).</summary>
    Reshuffle,
    /// <summary>The whole initial tensor's magnitudes shuffled, each position keeping sign(w_i).</summary>
    SignedReinit,
    /// <summary>The kept positions' magnitudes permuted among them, each keeping sign(w_i).</summary>
    SignedReshuffle,
    /// <summary>std of the whole initial layer × sign(w_i) (622–634).</summary>
    SignedConstant,
    /// <summary>std of the whole initial layer × a shuffle of the layer's signs (the README's "constant" control).</summary>
    RandSignedConstant,
}

/// <summary>What the weights a mask prunes are held at through training (<c>--model_type</c>).</summary>
public enum MaskZeroAction
{
    /// <summary>0 (the lottery ticket's <c>mask</c>).</summary>
    Zero,
    /// <summary>Frozen at w_i (<c>freeze_init</c>).</summary>
    Freeze,
    /// <summary>0 where the magnitude decreased (|w_i| &gt; |w_f|), else frozen at w_i (<c>freeze_init_zero_mask</c>).</summary>
    FreezeInitZero,
    /// <summary>As <see cref="FreezeInitZero"/>, and the kept weights whose magnitude decreased start at 0 too (V2,
    /// <c>freeze_init_zero_all</c>, 401–410).</summary>
    FreezeInitZeroAll,
    /// <summary>Control: as many pruned weights as <see cref="FreezeInitZero"/> zeroes, drawn at random; the rest frozen
    /// at w_i (<c>freeze_init_zero_reshuffle</c>).</summary>
    FreezeInitZeroReshuffle,
    /// <summary>Control: 0 where the magnitude increased (|w_i| &lt; |w_f|), else frozen at w_i (<c>freeze_init_zero_rev</c>).</summary>
    FreezeInitZeroRev,
}

/// <summary>The mask actions as pure functions of one layer's w_i, w_f and keep mask (and a generator for the shuffles),
/// and their names as the original spells them.</summary>
public static class MaskActions
{
    /// <summary>The weights one layer starts training from under <paramref name="one"/> (0 where pruned); with
    /// <paramref name="zero"/> = <see cref="MaskZeroAction.FreezeInitZeroAll"/> the kept weights whose magnitude
    /// decreased start at 0. <paramref name="rescale"/> multiplies by size / kept (the <c>_rescaling</c> variants).</summary>
    /// <param name="one">The mask-1 action.</param>
    /// <param name="rescale">Multiply by the layer's size over its kept count.</param>
    /// <param name="zero">The mask-0 action (only V2 changes the start).</param>
    /// <param name="initial">w_i.</param>
    /// <param name="final">w_f.</param>
    /// <param name="keep">The layer's mask (nonzero: kept).</param>
    /// <param name="generator">Draws of the shuffles.</param>
    public static Tensor Start(MaskOneAction one, bool rescale, MaskZeroAction zero, Tensor initial, Tensor final, Tensor keep, Generator generator)
    {
        var wi = initial.detach();
        var kept = keep.ne(0).to(wi.device);
        Tensor Shuffled(Tensor t) => t.flatten().index_select(0, randperm(t.numel(), generator: generator).to(t.device)).reshape(t.shape);
        Tensor AmongKept(Tensor values)
        {
            // Positions of kept weights, their values permuted among them.
            var positions = kept.flatten().nonzero().squeeze(1);
            var permuted = positions.index_select(0, randperm(positions.numel(), generator: generator).to(positions.device));
            return wi.flatten().clone().index_copy_(0, positions, values.flatten().index_select(0, permuted)).reshape(wi.shape);
        }
        var constant = wi.std(unbiased: false);
        var start = one switch
        {
            MaskOneAction.Rewind => wi.clone(),
            MaskOneAction.Reinit => Shuffled(wi),
            MaskOneAction.Reshuffle => AmongKept(wi),
            MaskOneAction.SignedReinit => Shuffled(wi).abs() * wi.sign(),
            MaskOneAction.SignedReshuffle => AmongKept(wi).abs() * wi.sign(),
            MaskOneAction.SignedConstant => constant * wi.sign(),
            MaskOneAction.RandSignedConstant => Shuffled(constant * wi.sign()),
            _ => throw new ArgumentOutOfRangeException(nameof(one), one, "unknown mask-1 action"),
        };
        if (rescale)
        {
            var count = kept.sum().item<long>();
            if (count > 0) start = start * ((double)kept.numel() / count);
        }
        if (zero == MaskZeroAction.FreezeInitZeroAll) start = start.masked_fill(Decreased(wi, final.detach()), 0.0);
        return start * kept;
    }

    /// <summary>The values one layer's pruned weights are held at under <paramref name="zero"/> (0 where kept), or null
    /// for <see cref="MaskZeroAction.Zero"/>.</summary>
    public static Tensor? Frozen(MaskZeroAction zero, Tensor initial, Tensor final, Tensor keep, Generator generator)
    {
        if (zero == MaskZeroAction.Zero) return null;
        var (wi, wf) = (initial.detach(), final.detach());
        var pruned = keep.eq(0).to(wi.device);
        var zeroed = zero switch
        {
            MaskZeroAction.Freeze => zeros_like(pruned),
            MaskZeroAction.FreezeInitZero or MaskZeroAction.FreezeInitZeroAll => Decreased(wi, wf),
            MaskZeroAction.FreezeInitZeroRev => wi.abs().lt(wf.abs()),
            MaskZeroAction.FreezeInitZeroReshuffle => RandomAmong(pruned, Decreased(wi, wf).logical_and(pruned).sum().item<long>(), generator),
            _ => throw new ArgumentOutOfRangeException(nameof(zero), zero, "unknown mask-0 action"),
        };
        return wi.masked_fill(zeroed, 0.0) * pruned;
    }

    // |w_i| > |w_f|: the weights whose magnitude decreased in training.
    private static Tensor Decreased(Tensor wi, Tensor wf) => wi.abs().gt(wf.abs());

    // `count` of the positions `among` marks, drawn uniformly.
    private static Tensor RandomAmong(Tensor among, long count, Generator generator)
    {
        var positions = among.flatten().nonzero().squeeze(1);
        var chosen = positions.index_select(0, randperm(positions.numel(), generator: generator).to(positions.device).narrow(0, 0, count));
        return zeros(among.numel(), ScalarType.Bool, among.device).index_fill_(0, chosen, true).reshape(among.shape);
    }

    /// <summary>The original's name: <c>SignedReinit</c> → <c>signed_reinit</c>, with <c>_rescaling</c> when rescaled.</summary>
    public static string Name(MaskOneAction one, bool rescale = false) => KeepCriteria.Snake(one.ToString()) + (rescale ? "_rescaling" : "");

    /// <summary>The original's name: <c>FreezeInitZeroAll</c> → <c>freeze_init_zero_all</c>.</summary>
    public static string Name(MaskZeroAction zero) => KeepCriteria.Snake(zero.ToString());

    /// <summary>A mask-1 action by name (<c>signed_reinit</c>, <c>signed_constant_rescaling</c>, dashes allowed).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static (MaskOneAction Action, bool Rescale) ParseOne(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var wanted = name.Trim().Replace('-', '_');
        var rescale = wanted.EndsWith("_rescaling", StringComparison.Ordinal);
        var bare = rescale ? wanted[..^"_rescaling".Length] : wanted;
        foreach (var a in Enum.GetValues<MaskOneAction>())
            if (Name(a) == bare) return (a, rescale);
        throw new ArgumentException($"unknown mask-1 action '{name}'; known: {string.Join(", ", Enum.GetValues<MaskOneAction>().Select(a => Name(a)))} (each also with _rescaling)");
    }

    /// <summary>A mask-0 action by name (<c>freeze_init_zero_all</c>, dashes allowed).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static MaskZeroAction ParseZero(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var wanted = name.Trim().Replace('-', '_');
        foreach (var a in Enum.GetValues<MaskZeroAction>())
            if (Name(a) == wanted) return a;
        throw new ArgumentException($"unknown mask-0 action '{name}'; known: {string.Join(", ", Enum.GetValues<MaskZeroAction>().Select(Name))}");
    }
}
