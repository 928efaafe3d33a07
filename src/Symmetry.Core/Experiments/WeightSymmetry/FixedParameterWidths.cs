namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>
/// Widths of an MLP with about a given number of weights (ALGORITHMS §1 <c>fixed_param</c>): depth d, widths
/// l·aⁱ (i = 0 … d−1), inputs n_in and classes n_out. The weight count n_in·l + Σᵢ l²·a^(2i+1) + l·a^(d−1)·n_out is
/// quadratic in l; we solve it for the first width l and round every width to the nearest integer.
/// </summary>
public static class FixedParameterWidths
{
    /// <summary>The widths for budget <paramref name="budget"/> (weights, biases excluded).</summary>
    /// <exception cref="ArgumentException">The budget is too small for the depth (a width would be below 1), or the
    /// depth, multiplier or sizes are not positive.</exception>
    public static int[] Solve(long budget, int depth, double multiplier, long inputs = 784, long classes = 10)
    {
        if (depth < 1) throw new ArgumentException($"depth must be at least 1, got {depth}", nameof(depth));
        if (!(multiplier > 0) || double.IsInfinity(multiplier)) throw new ArgumentException($"width multiplier must be a finite number > 0, got {multiplier}", nameof(multiplier));
        if (budget < 1) throw new ArgumentException($"parameter budget must be positive, got {budget}", nameof(budget));
        double quadratic = 0;
        for (var i = 0; i < depth - 1; i++) quadratic += Math.Pow(multiplier, 2 * i + 1);
        var linear = inputs + classes * Math.Pow(multiplier, depth - 1);
        var first = quadratic == 0
            ? budget / linear
            : (-linear + Math.Sqrt(linear * linear + 4 * quadratic * budget)) / (2 * quadratic);
        var exact = Enumerable.Range(0, depth).Select(i => Math.Round(first * Math.Pow(multiplier, i))).ToArray();
        if (exact.Any(w => !(w <= int.MaxValue)))
            throw new ArgumentException($"width multiplier {multiplier} over depth {depth} makes a width beyond {int.MaxValue}: use a multiplier nearer 1 or a smaller depth", nameof(multiplier));
        var widths = exact.Select(w => (int)w).ToArray();
        if (widths.Any(w => w < 1))
            throw new ArgumentException(
                $"a budget of {budget} weights is too small for depth {depth} with width multiplier {multiplier}: " +
                $"the widths would be [{string.Join(", ", widths)}]; the smallest budget for this depth is about {WeightCount(Enumerable.Repeat(1, depth).Select((_, i) => Math.Max(1, (int)Math.Round(Math.Pow(multiplier, i)))).ToArray(), inputs, classes)}",
                nameof(budget));
        return widths;
    }

    /// <summary>Weights (biases excluded) of an MLP with these hidden widths.</summary>
    public static long WeightCount(IReadOnlyList<int> widths, long inputs = 784, long classes = 10)
    {
        long count = 0, previous = inputs;
        foreach (var width in widths)
        {
            count += previous * width;
            previous = width;
        }
        return count + previous * classes;
    }
}
