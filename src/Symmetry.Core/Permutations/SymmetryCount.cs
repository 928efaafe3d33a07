using System.Globalization;
using System.Numerics;

namespace Symmetry.Core.Permutations;

/// <summary>
/// The number of neuron permutations that leave a dense network's function unchanged (ALGORITHMS §1): the product of
/// width! over the hidden layers, (N!)^L for L hidden layers of N neurons (6 × 16 gives ≈ 8.39·10^79). Reported
/// exactly as a <see cref="BigInteger"/>, with its digit count and log10.
/// </summary>
public static class SymmetryCount
{
    /// <summary>n! exactly.</summary>
    /// <param name="n">A non-negative integer.</param>
    /// <returns>1·2·…·n (1 for n = 0).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public static BigInteger Factorial(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        // Multiply in long chunks: far fewer BigInteger operations than one per factor.
        var result = BigInteger.One;
        var chunk = 1L;
        for (var k = 2L; k <= n; k++)
        {
            if (chunk > long.MaxValue / k)
            {
                result *= chunk;
                chunk = 1;
            }
            chunk *= k;
        }
        return result * chunk;
    }

    /// <summary>The exact number of hidden-neuron permutations of a dense network: Π width_i!.</summary>
    /// <param name="hiddenWidths">The width of each hidden layer (the input and output layers are not permuted).</param>
    /// <returns>The product of the factorials (1 for no hidden layer).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A width is negative.</exception>
    public static BigInteger Dense(IEnumerable<int> hiddenWidths)
    {
        ArgumentNullException.ThrowIfNull(hiddenWidths);
        var result = BigInteger.One;
        // Equal widths share one factorial (the common case is L layers of N).
        foreach (var group in hiddenWidths.Select(CheckWidth).GroupBy(w => w))
            result *= BigInteger.Pow(Factorial(group.Key), group.Count());
        return result;
    }

    /// <summary>(N!)^L: <paramref name="layers"/> hidden layers of <paramref name="width"/> neurons each.</summary>
    /// <param name="width">Neurons per hidden layer, N ≥ 0.</param>
    /// <param name="layers">Number of hidden layers, L ≥ 0.</param>
    /// <returns>(N!)^L exactly.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument.</exception>
    public static BigInteger Dense(int width, int layers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        return BigInteger.Pow(Factorial(width), layers);
    }

    /// <summary>log10(n!), accurate to a few units in the last place for every n (no big integers involved).</summary>
    /// <param name="n">A non-negative integer.</param>
    /// <returns>log10(n!) (0 for n = 0 and 1).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public static double Log10Factorial(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n <= 20)
        {
            // 20! < 2^63: exact in a long, rounded once to double.
            var f = 1L;
            for (var k = 2; k <= n; k++) f *= k;
            return Math.Log10(f);
        }
        // Stirling's series for ln Γ(n+1); for n > 20 the first omitted term is below 1e-15.
        double x = n;
        var inv = 1.0 / x;
        var inv2 = inv * inv;
        var series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680))));
        var ln = x * Math.Log(x) - x + 0.5 * Math.Log(2 * Math.PI * x) + series;
        return ln / Math.Log(10);
    }

    /// <summary>log10 of <see cref="Dense(IEnumerable{int})"/>, computed without big integers (any size).</summary>
    /// <param name="hiddenWidths">The width of each hidden layer.</param>
    /// <returns>Σ log10(width_i!).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A width is negative.</exception>
    public static double Log10Dense(IEnumerable<int> hiddenWidths)
    {
        ArgumentNullException.ThrowIfNull(hiddenWidths);
        return hiddenWidths.Select(CheckWidth).GroupBy(w => w).Sum(g => g.Count() * Log10Factorial(g.Key));
    }

    /// <summary>log10 of (N!)^L, computed without big integers.</summary>
    /// <param name="width">Neurons per hidden layer.</param>
    /// <param name="layers">Number of hidden layers.</param>
    /// <returns>L · log10(N!).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument.</exception>
    public static double Log10Dense(int width, int layers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        return layers * Log10Factorial(width);
    }

    /// <summary>Number of decimal digits of |<paramref name="value"/>| (1 for zero).</summary>
    /// <param name="value">Any integer.</param>
    /// <returns>The length of its decimal representation, without a sign.</returns>
    public static int Digits(BigInteger value)
    {
        value = BigInteger.Abs(value);
        if (value.IsZero) return 1;
        // Estimate from log10, then correct by comparing with powers of ten (the estimate can be off by one at 10^k).
        var digits = (int)Math.Floor(BigInteger.Log10(value)) + 1;
        while (digits > 1 && value < BigInteger.Pow(10, digits - 1)) digits--;
        while (value >= BigInteger.Pow(10, digits)) digits++;
        return digits;
    }

    /// <summary>The permutation count of a dense network, exactly, with its digit count and log10.</summary>
    /// <param name="hiddenWidths">The width of each hidden layer.</param>
    /// <returns>The summary (log10 from <see cref="Log10Dense(IEnumerable{int})"/>, not from the big integer).</returns>
    public static SymmetryCountSummary Summarize(IEnumerable<int> hiddenWidths)
    {
        ArgumentNullException.ThrowIfNull(hiddenWidths);
        var widths = hiddenWidths.ToArray();
        var exact = Dense(widths);
        return new SymmetryCountSummary(exact, Digits(exact), Log10Dense(widths));
    }

    private static int CheckWidth(int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width, "hidden width");
        return width;
    }
}

/// <summary>A permutation count: exact value, number of decimal digits and log10.</summary>
/// <param name="Exact">The exact count.</param>
/// <param name="Digits">Decimal digits of <paramref name="Exact"/>.</param>
/// <param name="Log10">log10 of <paramref name="Exact"/> (accurate double).</param>
public readonly record struct SymmetryCountSummary(BigInteger Exact, int Digits, double Log10)
{
    /// <summary>The exact count in decimal, for JSON (a string: it does not fit a JSON number).</summary>
    public string ExactString => Exact.ToString(CultureInfo.InvariantCulture);

    /// <summary>Scientific notation with four significant digits, e.g. <c>8.393e79</c>.</summary>
    public override string ToString()
    {
        var exponent = Math.Floor(Log10);
        var mantissa = Math.Pow(10, Log10 - exponent);
        if (mantissa >= 9.9995)
        {
            mantissa /= 10;
            exponent++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{mantissa:0.000}e{exponent:0}");
    }
}
