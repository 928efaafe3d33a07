using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Pruning;

/// <summary>The keep scores of a <see cref="KeepCriterion"/>: pure functions of one layer's initial and trained weights
/// (and, for <see cref="KeepCriterion.Random"/>, of a generator). Higher is kept.</summary>
public static class KeepScores
{
    /// <summary>The scores of <paramref name="criterion"/> for one layer, each of the weights' shape: one tensor, or
    /// two (init, final) for the combined criteria, which keep a weight only when both scores clear one shared
    /// percentile. The caller owns the results (they live in the current dispose scope).</summary>
    /// <param name="criterion">Which criterion.</param>
    /// <param name="initial">w_i, the layer's weights at the rewind point.</param>
    /// <param name="final">w_f, the layer's trained weights.</param>
    /// <param name="random">Draws of <see cref="KeepCriterion.Random"/> (required for it, unused otherwise).</param>
    /// <exception cref="ArgumentException">Shapes that differ, or no generator for the random criterion.</exception>
    public static Tensor[] Of(KeepCriterion criterion, Tensor initial, Tensor final, Generator? random = null)
    {
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(final);
        if (!initial.shape.SequenceEqual(final.shape))
            throw new ArgumentException($"initial weights [{string.Join(", ", initial.shape)}] and final weights [{string.Join(", ", final.shape)}] differ in shape");
        var (wi, wf) = (initial.detach(), final.detach());
        Tensor SameSign(Tensor score) => score.where(wi.sign().eq(wf.sign()), zeros_like(score));
        return criterion switch
        {
            KeepCriterion.LargeFinal => [wf.abs()],
            KeepCriterion.SmallFinal => [wf.abs().neg()],
            KeepCriterion.LargeInit => [wi.abs()],
            KeepCriterion.SmallInit => [wi.abs().neg()],
            KeepCriterion.LargeInitLargeFinal => [wi.abs(), wf.abs()],
            KeepCriterion.SmallInitSmallFinal => [wi.abs().neg(), wf.abs().neg()],
            KeepCriterion.MagnitudeIncrease => [wf.abs() - wi.abs()],
            KeepCriterion.Movement => [(wf - wi).abs()],
            KeepCriterion.Random => [rand(wi.shape, dtype: ScalarType.Float64,
                generator: random ?? throw new ArgumentException("the random criterion needs a generator"))],
            KeepCriterion.LargeFinalSameSign => [SameSign(wf.abs())],
            KeepCriterion.MagnitudeIncreaseSameSign => [SameSign(wf.abs() - wi.abs())],
            _ => throw new ArgumentOutOfRangeException(nameof(criterion), criterion, "unknown keep criterion"),
        };
    }
}
