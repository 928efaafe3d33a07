using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Permutations;

/// <summary>
/// The linear assignment problem (as <c>scipy.optimize.linear_sum_assignment</c>): pick one distinct column per row so
/// that the sum of the picked costs is minimal (or maximal). Solved exactly by Jonker–Volgenant: column reduction,
/// reduction transfer and augmenting row reduction as a warm start, then shortest augmenting paths (Dijkstra on reduced
/// costs), the method scipy ≥ 1.4 uses without the warm start. O(n³) in the worst case, far less on typical inputs.
/// </summary>
/// <remarks>
/// <para>Shapes: with rows ≤ columns every row gets a distinct column. With rows &gt; columns the problem is solved on
/// the transpose: every column gets a distinct row, and the rows left over are reported as −1.</para>
/// <para>Costs must be finite (NaN or ±∞ raise <see cref="ArgumentException"/>) and at most 10^300 / (rows·columns) in
/// magnitude, so that sums of costs and prices cannot overflow. Ties are broken deterministically: the same matrix
/// always gives the same assignment.</para>
/// </remarks>
public static class LinearAssignment
{
    /// <summary>Marks a row with no column in the result (only when rows &gt; columns).</summary>
    public const int Unassigned = -1;

    /// <summary>
    /// Solves the assignment problem for <paramref name="cost"/> (rows × columns).
    /// </summary>
    /// <param name="cost">The cost of giving row i column j; finite values, at least one row and one column.</param>
    /// <param name="maximize">True to maximise the total instead of minimising it.</param>
    /// <returns>For each row i its column <c>result[i]</c>, all distinct; when rows &gt; columns, exactly
    /// <c>rows − columns</c> rows get <see cref="Unassigned"/> (−1).</returns>
    /// <exception cref="ArgumentException">The matrix is empty or holds NaN, infinite or overly large values.</exception>
    public static int[] Solve(double[,] cost, bool maximize = false)
    {
        ArgumentNullException.ThrowIfNull(cost);
        var rows = cost.GetLength(0);
        var cols = cost.GetLength(1);
        var flat = MemoryMarshal.CreateReadOnlySpan(
            ref Unsafe.As<byte, double>(ref MemoryMarshal.GetArrayDataReference(cost)), rows * cols);
        return Solve(flat, rows, cols, maximize);
    }

    /// <summary>
    /// Solves the assignment problem for a row-major <paramref name="rows"/> × <paramref name="cols"/> cost matrix
    /// held in <paramref name="cost"/> (no copy is made when minimising with rows ≤ columns).
    /// </summary>
    /// <param name="cost">The costs in row-major order: entry (i, j) at <c>i·cols + j</c>.</param>
    /// <param name="rows">Number of rows (≥ 1).</param>
    /// <param name="cols">Number of columns (≥ 1).</param>
    /// <param name="maximize">True to maximise the total instead of minimising it.</param>
    /// <returns>As <see cref="Solve(double[,], bool)"/>.</returns>
    /// <exception cref="ArgumentException">The matrix is empty, its size does not match, or it holds NaN, infinite or overly large values.</exception>
    public static int[] Solve(ReadOnlySpan<double> cost, int rows, int cols, bool maximize = false)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"negative shape {rows} × {cols}");
        if (rows == 0 || cols == 0)
            throw new ArgumentException($"the cost matrix is empty ({rows} × {cols}): linear assignment needs at least one row and one column", nameof(cost));
        if ((long)rows * cols != cost.Length)
            throw new ArgumentException($"a {rows} × {cols} cost matrix needs {(long)rows * cols} values, got {cost.Length}", nameof(cost));
        Validate(cost, cols);

        if (rows <= cols && !maximize) return LinearAssignmentJv.Solve(cost, rows, cols);

        // Negate and/or transpose into a scratch copy so that the solver always minimises with n ≤ m.
        var transpose = rows > cols;
        var (n, m) = transpose ? (cols, rows) : (rows, cols);
        var work = new double[cost.Length];
        var sign = maximize ? -1.0 : 1.0;
        if (!transpose)
        {
            for (var k = 0; k < work.Length; k++) work[k] = sign * cost[k];
            return LinearAssignmentJv.Solve(work, n, m);
        }
        for (var i = 0; i < rows; i++)
        {
            var row = cost.Slice(i * cols, cols);
            for (var j = 0; j < cols; j++) work[j * rows + i] = sign * row[j];
        }
        var columnToRow = LinearAssignmentJv.Solve(work, n, m);
        var result = new int[rows];
        Array.Fill(result, Unassigned);
        for (var j = 0; j < cols; j++) result[columnToRow[j]] = j;
        return result;
    }

    /// <summary>
    /// Solves the assignment problem for a 2-D tensor of costs (any floating or integer dtype, any device): the values
    /// are copied to the host as float64 first.
    /// </summary>
    /// <param name="cost">A rows × columns tensor of finite costs.</param>
    /// <param name="maximize">True to maximise the total instead of minimising it.</param>
    /// <returns>As <see cref="Solve(double[,], bool)"/>.</returns>
    /// <exception cref="ArgumentException">The tensor is not 2-D, is empty, or holds NaN, infinite or overly large values.</exception>
    public static int[] Solve(Tensor cost, bool maximize = false)
    {
        ArgumentNullException.ThrowIfNull(cost);
        var shape = cost.shape;
        if (shape.Length != 2)
            throw new ArgumentException($"linear assignment needs a 2-D cost tensor, got shape [{string.Join(", ", shape)}]", nameof(cost));
        if (shape[0] > int.MaxValue || shape[1] > int.MaxValue || shape[0] * shape[1] > Array.MaxLength)
            throw new ArgumentException($"cost tensor of shape [{shape[0]}, {shape[1]}] is too large", nameof(cost));
        double[] values;
        using (NewDisposeScope())
        using (no_grad())
            values = cost.detach().to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
        return Solve(values, (int)shape[0], (int)shape[1], maximize);
    }

    /// <summary>The total cost Σ cost[i, assignment[i]] over the rows that have a column (−1 entries are skipped).</summary>
    /// <param name="cost">The cost matrix the assignment is for.</param>
    /// <param name="assignment">One column per row, or −1.</param>
    /// <returns>The sum of the chosen entries.</returns>
    /// <exception cref="ArgumentException">The lengths do not match or a column is out of range.</exception>
    public static double Objective(double[,] cost, int[] assignment)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(assignment);
        var rows = cost.GetLength(0);
        var cols = cost.GetLength(1);
        if (assignment.Length != rows)
            throw new ArgumentException($"the assignment has {assignment.Length} entries but the cost matrix has {rows} rows", nameof(assignment));
        var total = 0.0;
        for (var i = 0; i < rows; i++)
        {
            var j = assignment[i];
            if (j == Unassigned) continue;
            if (j < 0 || j >= cols)
                throw new ArgumentException($"row {i} is assigned column {j}, outside 0..{cols - 1}", nameof(assignment));
            total += cost[i, j];
        }
        return total;
    }

    private static void Validate(ReadOnlySpan<double> cost, int cols)
    {
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        for (var k = 0; k < cost.Length; k++)
        {
            var x = cost[k];
            if (!double.IsFinite(x))
                throw new ArgumentException(
                    $"cost[{k / cols}, {k % cols}] is {x}: linear assignment needs finite costs (mask forbidden pairs with a large finite value)",
                    nameof(cost));
            if (x < min) min = x;
            if (x > max) max = x;
        }
        // The solver works with differences of costs and prices: they must not overflow.
        if (!double.IsFinite(max - min) || Math.Max(Math.Abs(min), Math.Abs(max)) > 1e300 / Math.Max(cost.Length, 1))
            throw new ArgumentException($"the costs span [{min}, {max}], too wide for double arithmetic: rescale them", nameof(cost));
    }
}
