using System.Globalization;

namespace Symmetry.Core.Masks;

/// <summary>Sparsity arithmetic shared by every mask type: validation and the number of zeros ⌈s·n⌉.</summary>
public static class MaskSparsity
{
    /// <summary>Throws unless <paramref name="sparsity"/> is a number in [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException">NaN, infinite or outside [0, 1]; the message names the value.</exception>
    public static void Validate(double sparsity, string parameterName = "sparsity")
    {
        if (double.IsNaN(sparsity) || sparsity < 0 || sparsity > 1)
            throw new ArgumentOutOfRangeException(parameterName, sparsity,
                $"sparsity must be a fraction of zeros in [0, 1], got {sparsity.ToString("R", CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// ⌈s·<paramref name="count"/>⌉, the number of zeros sparsity s asks of <paramref name="count"/> weights. A product
    /// within a relative 1e-12 of an integer is taken as that integer, so that rounding in s does not add a zero
    /// (0.3·10 is 3.0000000000000004 in floating point and gives 3, not 4): for s = p/q the result is the exact
    /// ⌈p·count/q⌉ whenever q ≤ 1000 and count ≤ 10⁸.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Invalid sparsity (see <see cref="Validate"/>) or negative count.</exception>
    public static long ZeroCount(double sparsity, long count)
    {
        Validate(sparsity);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var x = sparsity * count;
        var nearest = Math.Round(x);
        var zeros = Math.Abs(x - nearest) <= 1e-12 * Math.Max(1.0, x) ? nearest : Math.Ceiling(x);
        return Math.Clamp((long)zeros, 0, count);
    }

    /// <summary>The largest sparsity at which <c>per-neuron-no-input-ablation</c> can keep every one of
    /// <paramref name="fanIn"/> inputs connected to <paramref name="neurons"/> neurons: (L − ⌈L/n⌉)/L, i.e. each neuron
    /// keeps ⌈L/n⌉ connections.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1.</exception>
    public static double LargestNoInputAblationSparsity(long neurons, long fanIn)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(neurons, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(fanIn, 1);
        return (double)LargestNoInputAblationZeros(neurons, fanIn) / fanIn;
    }

    /// <summary>The most zeros per neuron that still let every input keep a connection: L − ⌈L/n⌉.</summary>
    internal static long LargestNoInputAblationZeros(long neurons, long fanIn) => fanIn - (fanIn + neurons - 1) / neurons;
}
