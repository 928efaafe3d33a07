namespace Symmetry.Core.Stitching;

/// <summary>One evaluation of a stitched model (after an epoch of a phase).</summary>
/// <param name="Phase">1 or 2.</param>
/// <param name="Epoch">Epoch within the phase, from 1.</param>
/// <param name="ValidationAccuracy">Accuracy on the held-out split (NaN when selecting on test).</param>
/// <param name="TestAccuracy">Test accuracy.</param>
public sealed record StitchingEvaluation(int Phase, int Epoch, double ValidationAccuracy, double TestAccuracy);

/// <summary>A stitching run between models A and B at one cut point.</summary>
/// <param name="AKey">A's state key.</param>
/// <param name="BKey">B's state key.</param>
/// <param name="Point">The cut point.</param>
/// <param name="Preset">The preset's name (or a label of the settings).</param>
/// <param name="AccuracyA">A's clean test accuracy.</param>
/// <param name="AccuracyB">B's clean test accuracy.</param>
/// <param name="StitchedAccuracy">The selected stitched test accuracy.</param>
/// <param name="Evaluations">Every evaluation, in order.</param>
/// <param name="Reused">Read from the store rather than measured now.</param>
public sealed record StitchingResult(string AKey, string BKey, string Point, string Preset, double AccuracyA, double AccuracyB,
    double StitchedAccuracy, IReadOnlyList<StitchingEvaluation> Evaluations, bool Reused)
{
    /// <summary>The stitching penalty: the mean clean accuracy of A and B minus the stitched accuracy (ALGORITHMS §3).</summary>
    public double Penalty => (AccuracyA + AccuracyB) / 2 - StitchedAccuracy;

    /// <summary>Mean penalty over <paramref name="results"/> (model pairs) per (point, preset), in the order met.</summary>
    public static IReadOnlyList<StitchingPenalty> MeanPenalties(IEnumerable<StitchingResult> results) =>
        results.GroupBy(r => (r.Point, r.Preset)).Select(g => new StitchingPenalty(g.Key.Point, g.Key.Preset, g.Average(r => r.Penalty), g.Count())).ToList();
}

/// <summary>The stitching penalty at one cut point for one preset, averaged over model pairs.</summary>
/// <param name="Point">The cut point.</param>
/// <param name="Preset">The preset.</param>
/// <param name="MeanPenalty">Mean penalty (accuracy as a fraction).</param>
/// <param name="Pairs">Model pairs averaged.</param>
public sealed record StitchingPenalty(string Point, string Preset, double MeanPenalty, int Pairs);
