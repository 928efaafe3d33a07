using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Data;

/// <summary>One affine warp per image of a batch (<see cref="Augmentation.Affine"/>): a rotation in degrees, a zoom
/// factor per axis and a shift in pixels per axis.</summary>
public sealed record AffineParameters(double[] Degrees, double[] RowShift, double[] ColumnShift, double[] RowZoom, double[] ColumnZoom)
{
    /// <summary>Images described.</summary>
    public int Count => Degrees.Length;

    /// <summary>Draws warps for <paramref name="count"/> images of <paramref name="height"/>×<paramref name="width"/>
    /// pixels, as Keras' <c>ImageDataGenerator.get_random_transform</c> does: θ ~ U(±rotation), row and column shifts
    /// ~ U(±shift)·height and ·width, row and column zooms ~ U(1 ± zoom). Only the enabled ranges draw, in that order,
    /// each as one float64 tensor from <paramref name="generator"/> (N angles, N × 2 shifts, N × 2 zooms).</summary>
    public static AffineParameters Draw(long count, long height, long width, double rotationDegrees, double shift, double zoom, Generator generator)
    {
        var n = checked((int)count);
        double[] Uniform(int columns, double range)
        {
            if (range == 0) return new double[n * columns];
            using var u = rand([n, columns], dtype: ScalarType.Float64, generator: generator);
            return [.. u.data<double>().Select(x => (2 * x - 1) * range)];
        }
        var degrees = Uniform(1, rotationDegrees);
        var shifts = Uniform(2, shift);
        var zooms = Uniform(2, zoom);
        return new(degrees,
            [.. Enumerable.Range(0, n).Select(i => shifts[2 * i] * height)],
            [.. Enumerable.Range(0, n).Select(i => shifts[2 * i + 1] * width)],
            [.. Enumerable.Range(0, n).Select(i => 1 + zooms[2 * i])],
            [.. Enumerable.Range(0, n).Select(i => 1 + zooms[2 * i + 1])]);
    }
}
