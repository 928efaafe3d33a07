using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Masks;

/// <summary>
/// Draws the mask of one weight tensor: float 0/1 of the weight's shape, on the CPU. Neurons are the rows of the
/// (out, L) view (dim 0); L = fan-in = the product of the other dimensions (in for Linear, in·kh·kw for Conv2d).
/// Every random draw comes from the given generator, in a fixed order, so one generator state gives one mask.
/// </summary>
public static class LayerMasks
{
    /// <summary>
    /// A mask of <paramref name="type"/> for a weight of <paramref name="shape"/> at <paramref name="sparsity"/>, drawn
    /// from <paramref name="generator"/>. <paramref name="layerName"/> only names the layer in error messages.
    /// Draws: <c>random</c> one permutation of the layer (its first ⌈s·size⌉ positions are zeroed); <c>bernoulli</c>
    /// one uniform [0, 1) number per weight (zero when below s); <c>symmetric</c> one permutation of L;
    /// <c>per-neuron</c> one permutation of L per neuron; <c>per-neuron-no-input-ablation</c> see
    /// <see cref="MaskType.PerNeuronNoInputAblation"/> and the remarks of <see cref="DrawArray"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Sparsity NaN or outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A shape of rank below 2 (biases are never masked) or with a size below 1;
    /// a no-input-ablation mask that the sparsity makes impossible.</exception>
    /// <returns>A new float32 CPU tensor of <paramref name="shape"/>, in the current dispose scope.</returns>
    public static Tensor Draw(MaskType type, long[] shape, double sparsity, Generator generator, string layerName = "weight")
    {
        ArgumentNullException.ThrowIfNull(shape);
        MaskSparsity.Validate(sparsity);
        var (rows, fanIn) = NeuronView(shape, layerName);
        var data = DrawArray(type, rows, fanIn, sparsity, generator, layerName);
        return tensor(data, (long[])shape.Clone(), ScalarType.Float32);
    }

    /// <summary>
    /// The mask as a row-major (rows, fanIn) array of 0/1, drawn from <paramref name="generator"/>.
    /// </summary>
    /// <remarks>
    /// <c>per-neuron-no-input-ablation</c> with n = <paramref name="rows"/>, L = <paramref name="fanIn"/>,
    /// Z = ⌈s·L⌉ and K = L − Z kept connections per neuron; it needs n·K ≥ L. (1) Draw a permutation π of the L columns
    /// and a permutation ρ of the n neurons, and give column π[j] to neuron ρ[j mod n]: every column is kept by exactly
    /// one neuron so far and each neuron holds ⌈L/n⌉ or ⌊L/n⌋ of them, never more than K because K ≥ L/n. (2) For each
    /// neuron in order, draw a permutation of L and keep the first K − (columns it already holds) columns of it that it
    /// does not hold yet. Every neuron ends with exactly K kept connections and every column with at least one.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">Sparsity NaN or outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A no-input-ablation mask is impossible: n·(L − ⌈s·L⌉) &lt; L.</exception>
    public static float[] DrawArray(MaskType type, long rows, long fanIn, double sparsity, Generator generator, string layerName = "weight")
    {
        ArgumentNullException.ThrowIfNull(generator);
        MaskSparsity.Validate(sparsity);
        TorchRuntime.Ensure();
        if (rows < 1 || fanIn < 1) throw new ArgumentException($"layer '{layerName}': a mask needs at least one neuron and one input, got ({rows}, {fanIn})");
        var size = checked((int)(rows * fanIn));
        var (n, l) = ((int)rows, (int)fanIn);
        var mask = new float[size];
        using var scope = NewDisposeScope();
        switch (type)
        {
            case MaskType.Random:
            {
                Array.Fill(mask, 1f);
                var zeros = MaskSparsity.ZeroCount(sparsity, size);
                var order = Permutation(size, generator);
                for (var k = 0; k < zeros; k++) mask[order[k]] = 0f;
                break;
            }
            case MaskType.Bernoulli:
            {
                var u = rand([size], ScalarType.Float64, generator: generator).data<double>().ToArray();
                for (var i = 0; i < size; i++) mask[i] = u[i] < sparsity ? 0f : 1f;
                break;
            }
            case MaskType.Symmetric:
            {
                var zeros = MaskSparsity.ZeroCount(sparsity, l);
                var pattern = new float[l];
                Array.Fill(pattern, 1f);
                var order = Permutation(l, generator);
                for (var k = 0; k < zeros; k++) pattern[order[k]] = 0f;
                for (var r = 0; r < n; r++) Array.Copy(pattern, 0, mask, r * l, l);
                break;
            }
            case MaskType.PerNeuron:
            {
                Array.Fill(mask, 1f);
                var zeros = MaskSparsity.ZeroCount(sparsity, l);
                for (var r = 0; r < n; r++)
                {
                    var order = Permutation(l, generator);
                    for (var k = 0; k < zeros; k++) mask[r * l + order[k]] = 0f;
                }
                break;
            }
            case MaskType.PerNeuronNoInputAblation:
                NoInputAblation(mask, n, l, sparsity, generator, layerName);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, $"unknown mask type; known mask types: {string.Join(", ", MaskTypes.Names)}");
        }
        return mask;
    }

    private static void NoInputAblation(float[] mask, int n, int l, double sparsity, Generator generator, string layerName)
    {
        var zeros = MaskSparsity.ZeroCount(sparsity, l);
        long keep = l - zeros;
        if (n * keep < l)
        {
            var largestZeros = MaskSparsity.LargestNoInputAblationZeros(n, l);
            var largest = (double)largestZeros / l;
            throw new ArgumentException(
                $"layer '{layerName}': a per-neuron-no-input-ablation mask at sparsity {sparsity.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} is impossible: " +
                $"each of its {n} neurons keeps {l} − ⌈s·{l}⌉ = {keep} of {l} inputs, so at most {n}·{keep} = {n * keep} of the {l} inputs " +
                $"can stay connected (it needs neurons·kept ≥ inputs). The largest sparsity that works for this layer is " +
                $"{largestZeros}/{l} ≈ {largest.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)} " +
                $"({l - largestZeros} kept per neuron).", "sparsity");
        }
        // (1) every column to one neuron, cyclically over a random neuron order, columns in a random order.
        var columns = Permutation(l, generator);
        var neurons = Permutation(n, generator);
        var held = new int[n];
        for (var j = 0; j < l; j++)
        {
            var r = neurons[j % n];
            mask[(long)r * l + columns[j]] = 1f;
            held[r]++;
        }
        // (2) fill each neuron up to exactly `keep` connections with columns drawn uniformly from the rest.
        for (var r = 0; r < n; r++)
        {
            var missing = keep - held[r];
            if (missing <= 0) continue;
            var order = Permutation(l, generator);
            var offset = (long)r * l;
            for (var k = 0; k < l && missing > 0; k++)
            {
                var position = offset + order[k];
                if (mask[position] != 0f) continue;
                mask[position] = 1f;
                missing--;
            }
        }
    }

    /// <summary>(rows, fan-in) of a weight shape: dim 0 and the product of the others.</summary>
    internal static (long Rows, long FanIn) NeuronView(long[] shape, string layerName)
    {
        if (shape.Length < 2)
            throw new ArgumentException($"layer '{layerName}': masks apply to weights of rank ≥ 2 (Linear (out, in), Conv2d (out, in, kh, kw)), got shape [{string.Join(", ", shape)}]; biases are never masked", nameof(shape));
        if (shape.Any(s => s < 1))
            throw new ArgumentException($"layer '{layerName}': every size must be ≥ 1, got shape [{string.Join(", ", shape)}]", nameof(shape));
        return (shape[0], shape.Skip(1).Aggregate(1L, (a, b) => a * b));
    }

    private static int[] Permutation(int n, Generator generator)
    {
        using var scope = NewDisposeScope();
        var drawn = randperm(n, ScalarType.Int64, generator: generator).data<long>().ToArray();
        var result = new int[n];
        for (var i = 0; i < n; i++) result[i] = (int)drawn[i];
        return result;
    }
}
