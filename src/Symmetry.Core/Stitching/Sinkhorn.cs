using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>Sinkhorn's alternating normalisation towards the Birkhoff polytope (doubly stochastic matrices), as the
/// stitching paper's code does it (pnnl/modelsym <c>sinkhorn</c>): each iteration divides every row by its sum, then
/// every column by its sum; a zero sum divides by 1, so an all-zero row or column stays zero.</summary>
public static class Sinkhorn
{
    /// <summary>Iterations applied after every optimizer step (ALGORITHMS §3).</summary>
    public const int StepIterations = 16;

    /// <summary>Iterations applied to the uniform noise a Birkhoff stitcher starts from.</summary>
    public const int InitialIterations = 100;

    /// <summary>A new matrix: <paramref name="matrix"/> (n × m, non-negative) after <paramref name="iterations"/> row-then-column
    /// normalisations, in its dtype and on its device; the input is unchanged. The last step normalises columns, so
    /// column sums are 1 (or 0) exactly up to rounding; row sums converge as the iterations grow.</summary>
    /// <exception cref="ArgumentException">Not a 2-D tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative iteration count.</exception>
    public static Tensor Project(Tensor matrix, int iterations)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.dim() != 2) throw new ArgumentException($"Sinkhorn needs a 2-D matrix, got shape [{string.Join(", ", matrix.shape)}]", nameof(matrix));
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = matrix.detach().clone();
        for (var i = 0; i < iterations; i++)
        {
            result.div_(NonZero(result.sum(1, keepdim: true)));
            result.div_(NonZero(result.sum(0, keepdim: true)));
        }
        return result.MoveToOuterDisposeScope();
    }

    private static Tensor NonZero(Tensor sums) => where(sums.eq(0), ones_like(sums), sums);
}
