namespace Symmetry.Core.Experiments.Rebasin;

/// <summary>Loss and accuracy of the networks (1 − λ)·θ_A + λ·θ_B along a path, on one data split.</summary>
/// <param name="Lambdas">Interpolation coefficients, increasing from 0 to 1.</param>
/// <param name="Losses">Mean cross-entropy at each λ.</param>
/// <param name="Accuracies">Accuracy at each λ.</param>
public sealed record InterpolationCurve(IReadOnlyList<double> Lambdas, IReadOnlyList<double> Losses, IReadOnlyList<double> Accuracies)
{
    /// <summary>The loss barrier of Entezari et al. and Git Re-Basin (Ainsworth et al. 2023, eq. 1):
    /// max over λ of L(λ) − ((1 − λ)·L(0) + λ·L(1)), the largest excess over the straight line between the ends' losses
    /// (0 when the path never rises above that line: the ends themselves give 0).</summary>
    public double LossBarrier => Barrier(Losses);

    /// <summary>The same for the error 1 − accuracy.</summary>
    public double ErrorBarrier => Barrier(Accuracies.Select(a => 1 - a).ToList());

    /// <summary>L(0.5) − (L(0) + L(1)) / 2: the barrier at the midpoint (both definitions of a barrier agree there).</summary>
    /// <exception cref="InvalidOperationException">λ = 0.5 is not on the path (an even number of points).</exception>
    public double LossBarrierAtMidpoint => AtMidpoint(Losses);

    /// <summary>The error's excess at the midpoint: (1 − acc(0.5)) − ((1 − acc(0)) + (1 − acc(1))) / 2.</summary>
    public double ErrorBarrierAtMidpoint => AtMidpoint(Accuracies.Select(a => 1 - a).ToList());

    private double Barrier(IReadOnlyList<double> values)
    {
        var (first, last) = (values[0], values[^1]);
        var excess = double.NegativeInfinity;
        for (var i = 0; i < values.Count; i++)
            excess = Math.Max(excess, values[i] - ((1 - Lambdas[i]) * first + Lambdas[i] * last));
        return excess;
    }

    private double AtMidpoint(IReadOnlyList<double> values)
    {
        var middle = Lambdas.ToList().IndexOf(0.5);
        if (middle < 0) throw new InvalidOperationException("λ = 0.5 is not on this path: use an odd number of points (25 by default)");
        return values[middle] - (values[0] + values[^1]) / 2;
    }
}
