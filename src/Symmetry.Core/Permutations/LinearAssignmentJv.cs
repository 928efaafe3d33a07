using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Symmetry.Core.Permutations;

/// <summary>
/// Jonker–Volgenant (1987) for an n × m minimisation with n ≤ m, on a row-major span of finite costs: a warm start
/// (column reduction, reduction transfer, augmenting row reduction), then shortest augmenting paths for the rows still
/// free, in the single-pass form of scipy's <c>rectangular_lsap</c> (Crouse 2016).
/// </summary>
/// <remarks>
/// <para>Duals: column prices v; a row's dual is u_i = min_j (c_ij − v_j), and every assigned row sits on a column
/// attaining that minimum. Every phase keeps this invariant, so the final shortest-augmenting-path phase is exact
/// whatever the warm start left behind.</para>
/// <para>Square problems start with column reduction on the row-reduced costs and reduction transfer. Rectangular ones
/// start from v = 0 (column reduction would give unassigned columns positive prices, which breaks optimality when
/// columns may stay free); both then run augmenting row reduction, which only lowers prices of columns it assigns, so
/// v ≤ 0 and v &lt; 0 only on assigned columns (the rectangular optimality condition) hold throughout.</para>
/// <para>Augmenting row reduction is an auction with zero increment; on near-ties it can bounce a few rows between two
/// columns many times, so its work is capped (the rows it has not placed go to the exact phase).</para>
/// </remarks>
internal static class LinearAssignmentJv
{
    /// <summary>Augmenting-row-reduction passes (JV use 2).</summary>
    private const int ReductionPasses = 2;

    /// <summary>Returns the column of each row (n ≤ m; all distinct).</summary>
    public static int[] Solve(ReadOnlySpan<double> cost, int n, int m)
    {
        var rowsol = new int[n];
        if (m == 1)
        {
            rowsol[0] = 0;
            return rowsol;
        }
        var colsol = new int[m];
        var v = new double[m];
        var free = new int[n];
        Array.Fill(rowsol, -1);
        Array.Fill(colsol, -1);
        ref var c = ref MemoryMarshal.GetReference(cost);

        int numFree;
        if (n == m) numFree = ColumnReduction(ref c, n, v, rowsol, colsol, free);
        else
        {
            for (var i = 0; i < n; i++) free[i] = i;
            numFree = n;
        }

        for (var pass = 0; pass < ReductionPasses && numFree > 0; pass++)
            numFree = AugmentingRowReduction(ref c, m, v, rowsol, colsol, free, numFree);

        if (numFree > 0) Augment(ref c, m, v, rowsol, colsol, free, numFree);
        return rowsol;
    }

    /// <summary>Column reduction and reduction transfer (square case); returns the number of free rows written to
    /// <paramref name="free"/>.</summary>
    private static int ColumnReduction(ref double c, int n, double[] v, int[] rowsol, int[] colsol, int[] free)
    {
        // Row reduction then column reduction: v_j = min_i (c_ij − min_k c_ik), with its first arg-min, row by row
        // (cache-friendly). Subtracting the row minima first keeps the prices meaningful when rows have very different
        // scales (plain column reduction hands every column to the few rows with the lowest costs).
        var argmin = new int[n];
        Array.Fill(v, double.PositiveInfinity);
        for (var i = 0; i < n; i++)
        {
            var row = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref c, (nint)i * n), n);
            var rowMin = row[0];
            for (var j = 1; j < row.Length; j++)
                if (row[j] < rowMin) rowMin = row[j];
            for (var j = 0; j < row.Length; j++)
            {
                var h = row[j] - rowMin;
                if (h < v[j])
                {
                    v[j] = h;
                    argmin[j] = i;
                }
            }
        }

        // Columns in reverse order, as JV: a row that is the minimum of several columns keeps the cheapest.
        var matches = new int[n];
        for (var j = n - 1; j >= 0; j--)
        {
            var imin = argmin[j];
            if (++matches[imin] == 1)
            {
                rowsol[imin] = j;
                colsol[j] = imin;
            }
            else if (v[j] < v[rowsol[imin]])
            {
                var j1 = rowsol[imin];
                rowsol[imin] = j;
                colsol[j] = imin;
                colsol[j1] = -1;
            }
            else colsol[j] = -1;
        }

        // Reduction transfer: a row that is the minimum of exactly one column lowers that column's price until the
        // column costs the row as much as its second-best, so the row's dual takes the slack.
        var numFree = 0;
        for (var i = 0; i < n; i++)
        {
            if (matches[i] == 0)
            {
                free[numFree++] = i;
                continue;
            }
            if (matches[i] != 1) continue;
            var j1 = rowsol[i];
            var row = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref c, (nint)i * n), n);
            var min = double.PositiveInfinity;
            for (var j = 0; j < row.Length; j++)
            {
                if (j == j1) continue;
                var h = row[j] - v[j];
                if (h < min) min = h;
            }
            v[j1] = row[j1] - min;
        }
        return numFree;
    }

    /// <summary>One pass of augmenting row reduction over the free rows; returns the new number of free rows.</summary>
    private static int AugmentingRowReduction(ref double c, int m, double[] v, int[] rowsol, int[] colsol, int[] free, int previousFree)
    {
        ref var v0 = ref MemoryMarshal.GetArrayDataReference(v);
        var numFree = 0;
        var k = 0;
        // Cap on rows sent back to the front of the queue (the zero-increment auction can bounce on near-ties).
        var budget = 16L * previousFree + 1024;
        while (k < previousFree)
        {
            var i = free[k++];
            ref var row = ref Unsafe.Add(ref c, (nint)i * m);

            // Smallest and second-smallest reduced cost of row i (first arg-min on ties).
            var umin = row - v0;
            var j1 = 0;
            var usubmin = double.PositiveInfinity;
            var j2 = -1;
            for (var j = 1; j < m; j++)
            {
                var h = Unsafe.Add(ref row, j) - Unsafe.Add(ref v0, j);
                if (h < usubmin)
                {
                    if (h >= umin)
                    {
                        usubmin = h;
                        j2 = j;
                    }
                    else
                    {
                        usubmin = umin;
                        umin = h;
                        j2 = j1;
                        j1 = j;
                    }
                }
            }

            var i0 = colsol[j1];
            var strict = umin < usubmin;
            if (strict) v[j1] -= usubmin - umin;
            else if (i0 >= 0)
            {
                // A tie: take the other best column instead of displacing j1's row.
                j1 = j2;
                i0 = colsol[j2];
            }
            rowsol[i] = j1;
            colsol[j1] = i;
            if (i0 < 0) continue;
            rowsol[i0] = -1;
            if (strict && --budget > 0) free[--k] = i0;
            else free[numFree++] = i0;
        }
        return numFree;
    }

    /// <summary>
    /// Shortest augmenting paths from each free row to a free column: Dijkstra on reduced costs c_ij − u_i − v_j, one
    /// fused pass per scanned column that relaxes the unreached columns and picks the nearest (a free one on ties), as
    /// scipy's <c>rectangular_lsap</c>; then the dual update and the flip of the path.
    /// </summary>
    private static void Augment(ref double c, int m, double[] v, int[] rowsol, int[] colsol, int[] free, int numFree)
    {
        var n = rowsol.Length;
        // Explicit row duals: an assigned row's is its reduced cost at its column (its row minimum, by the invariant);
        // a free row's is arbitrary (it only shifts that row's distances), 0 here.
        var u = new double[n];
        for (var i = 0; i < n; i++)
            if (rowsol[i] >= 0) u[i] = Unsafe.Add(ref c, (nint)i * m + rowsol[i]) - v[rowsol[i]];

        var distance = new double[m];
        var pred = new int[m];
        var remaining = new int[m];
        var scannedRows = new int[n];
        var scannedCols = new int[m];
        ref var v0 = ref MemoryMarshal.GetArrayDataReference(v);
        ref var distance0 = ref MemoryMarshal.GetArrayDataReference(distance);
        ref var pred0 = ref MemoryMarshal.GetArrayDataReference(pred);
        ref var remaining0 = ref MemoryMarshal.GetArrayDataReference(remaining);
        ref var colsol0 = ref MemoryMarshal.GetArrayDataReference(colsol);

        for (var f = 0; f < numFree; f++)
        {
            var freeRow = free[f];
            for (var j = 0; j < m; j++) remaining[j] = m - 1 - j;
            Array.Fill(distance, double.PositiveInfinity);
            var numRemaining = m;
            var numScannedRows = 0;
            var numScannedCols = 0;
            var minVal = 0.0;
            var i = freeRow;
            var sink = -1;
            while (sink < 0)
            {
                scannedRows[numScannedRows++] = i;
                ref var row = ref Unsafe.Add(ref c, (nint)i * m);
                var shift = minVal - u[i];
                var lowest = double.PositiveInfinity;
                var index = -1;
                for (var k = 0; k < numRemaining; k++)
                {
                    var j = Unsafe.Add(ref remaining0, k);
                    var r = Unsafe.Add(ref row, j) - Unsafe.Add(ref v0, j) + shift;
                    ref var dj = ref Unsafe.Add(ref distance0, j);
                    if (r < dj)
                    {
                        Unsafe.Add(ref pred0, j) = i;
                        dj = r;
                    }
                    if (dj < lowest || (dj == lowest && Unsafe.Add(ref colsol0, j) < 0))
                    {
                        lowest = dj;
                        index = k;
                    }
                }
                if (index < 0)
                    throw new InvalidOperationException("linear assignment: reduced costs overflowed (are the costs finite and of moderate size?)");
                minVal = lowest;
                var column = remaining[index];
                scannedCols[numScannedCols++] = column;
                remaining[index] = remaining[--numRemaining];
                if (colsol[column] < 0) sink = column;
                else i = colsol[column];
            }

            // Dual update: keeps every reduced cost ≥ 0 and makes the path's edges tight.
            u[freeRow] += minVal;
            for (var k = 1; k < numScannedRows; k++)
            {
                var r = scannedRows[k];
                u[r] += minVal - distance[rowsol[r]];
            }
            for (var k = 0; k < numScannedCols; k++)
            {
                var j = scannedCols[k];
                v[j] -= minVal - distance[j];
            }

            // Flip the path: every column on it moves to the row that reached it.
            var end = sink;
            while (true)
            {
                var owner = pred[end];
                colsol[end] = owner;
                var next = rowsol[owner];
                rowsol[owner] = end;
                if (owner == freeRow) break;
                end = next;
            }
        }
    }
}
