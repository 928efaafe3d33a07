using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Symmetry.Core.Training.Batched;

/// <summary>
/// Row-major float32 products for one small MLP's step (a batch of ~128 rows, layers of tens to hundreds of features),
/// in 16-lane vectors: <c>C = A·B</c> or <c>C = Aᵀ·B</c>, B's and C's rows contiguous. Columns come in whole vectors —
/// the caller pads B's and C's rows to a multiple of <see cref="Lanes"/> (zeros in B's padding give zeros in C's) — so
/// there is no scalar tail; rows go eight at a time, enough independent accumulators to keep the FMA units busy.
/// </summary>
internal static class SmallGemm
{
    /// <summary>Floats per vector; column counts and row strides of B and C are multiples of it.</summary>
    public const int Lanes = 16;

    private const int Rows = 8;

    /// <summary><paramref name="n"/> rounded up to whole vectors.</summary>
    public static int Padded(long n) => checked((int)((n + Lanes - 1) / Lanes * Lanes));

    /// <summary>C (m × n, stride ldc) = A (m × k, stride lda) · B (k × n, stride ldb); n a multiple of <see cref="Lanes"/>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k) =>
        Product(a, lda, 1, (m - 1) * lda + k, b, ldb, c, ldc, m, n, k);

    /// <summary>C (m × n, stride ldc) = Aᵀ · B for A (k × m, stride lda) and B (k × n, stride ldb); n a multiple of
    /// <see cref="Lanes"/>.</summary>
    public static void MultiplyTransposed(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k) =>
        Product(a, 1, lda, (k - 1) * lda + m, b, ldb, c, ldc, m, n, k);

    /// <summary>Writes the transpose of <paramref name="rows"/> × <paramref name="columns"/> (stride lds) into
    /// <paramref name="target"/> (columns × rows, stride ldt).</summary>
    public static void Transpose(ReadOnlySpan<float> source, int lds, Span<float> target, int ldt, int rows, int columns)
    {
        if (rows == 0 || columns == 0) return;
        if (source.Length < (rows - 1) * lds + columns || target.Length < (columns - 1) * ldt + rows)
            throw new ArgumentException("a span is shorter than its rows and strides say");
        ref var s0 = ref MemoryMarshal.GetReference(source);
        ref var t0 = ref MemoryMarshal.GetReference(target);
        for (var i = 0; i < rows; i++)
        {
            ref var line = ref Unsafe.Add(ref s0, i * lds);
            ref var column = ref Unsafe.Add(ref t0, i);
            for (var j = 0; j < columns; j++) Unsafe.Add(ref column, j * ldt) = Unsafe.Add(ref line, j);
        }
    }

    /// <summary>C = A·B with A's element (i, p) at i·rowStride + p·columnStride.</summary>
    private static void Product(ReadOnlySpan<float> a, int rowStride, int columnStride, int aExtent, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, int m, int n, int k)
    {
        if (n % Lanes != 0) throw new ArgumentException($"columns {n} are not a multiple of {Lanes}", nameof(n));
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            for (var i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        // The loops below index past no end: check the spans once, then read without bounds checks.
        if (a.Length < aExtent || b.Length < (k - 1) * ldb + n || c.Length < (m - 1) * ldc + n)
            throw new ArgumentException("a span is shorter than its rows and strides say");
        ref var a0 = ref MemoryMarshal.GetReference(a);
        ref var b0 = ref MemoryMarshal.GetReference(b);
        ref var c0 = ref MemoryMarshal.GetReference(c);
        var row = 0;
        for (; row + 2 * Rows <= m; row += 2 * Rows)
            for (var column = 0; column < n; column += Lanes)
                SixteenRows(ref Unsafe.Add(ref a0, row * rowStride), rowStride, columnStride, ref Unsafe.Add(ref b0, column), ldb,
                    ref Unsafe.Add(ref c0, row * ldc + column), ldc, k);
        for (; row + Rows <= m; row += Rows)
            for (var column = 0; column < n; column += Lanes)
                EightRows(ref Unsafe.Add(ref a0, row * rowStride), rowStride, columnStride, ref Unsafe.Add(ref b0, column), ldb,
                    ref Unsafe.Add(ref c0, row * ldc + column), ldc, k);
        for (; row < m; row++)
            for (var column = 0; column < n; column += Lanes)
                OneRow(ref Unsafe.Add(ref a0, row * rowStride), columnStride, ref Unsafe.Add(ref b0, column), ldb, ref Unsafe.Add(ref c0, row * ldc + column), k);
    }

    /// <summary>Sixteen rows share each load of B: half the B traffic of two <see cref="EightRows"/>, for B that spills
    /// out of L1 (layer 1's 784-wide inputs). Each row sums p in order, one accumulator, as every other kernel here.</summary>
    private static void SixteenRows(ref float a, int rs, int cs, ref float b, int ldb, ref float c, int ldc, int k)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Vector512<float> s8 = default, s9 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
        for (var p = 0; p < k; p++)
        {
            var v = Vector512.LoadUnsafe(ref b, (nuint)(p * ldb));
            ref var x = ref Unsafe.Add(ref a, p * cs);
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(x), v, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, rs)), v, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 2 * rs)), v, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 3 * rs)), v, s3);
            s4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 4 * rs)), v, s4);
            s5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 5 * rs)), v, s5);
            s6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 6 * rs)), v, s6);
            s7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 7 * rs)), v, s7);
            s8 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 8 * rs)), v, s8);
            s9 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 9 * rs)), v, s9);
            s10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 10 * rs)), v, s10);
            s11 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 11 * rs)), v, s11);
            s12 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 12 * rs)), v, s12);
            s13 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 13 * rs)), v, s13);
            s14 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 14 * rs)), v, s14);
            s15 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, 15 * rs)), v, s15);
        }
        s0.StoreUnsafe(ref c);
        s1.StoreUnsafe(ref c, (nuint)ldc);
        s2.StoreUnsafe(ref c, (nuint)(2 * ldc));
        s3.StoreUnsafe(ref c, (nuint)(3 * ldc));
        s4.StoreUnsafe(ref c, (nuint)(4 * ldc));
        s5.StoreUnsafe(ref c, (nuint)(5 * ldc));
        s6.StoreUnsafe(ref c, (nuint)(6 * ldc));
        s7.StoreUnsafe(ref c, (nuint)(7 * ldc));
        s8.StoreUnsafe(ref c, (nuint)(8 * ldc));
        s9.StoreUnsafe(ref c, (nuint)(9 * ldc));
        s10.StoreUnsafe(ref c, (nuint)(10 * ldc));
        s11.StoreUnsafe(ref c, (nuint)(11 * ldc));
        s12.StoreUnsafe(ref c, (nuint)(12 * ldc));
        s13.StoreUnsafe(ref c, (nuint)(13 * ldc));
        s14.StoreUnsafe(ref c, (nuint)(14 * ldc));
        s15.StoreUnsafe(ref c, (nuint)(15 * ldc));
    }

    private static void EightRows(ref float a, int rs, int cs, ref float b, int ldb, ref float c, int ldc, int k)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        ref var a1 = ref Unsafe.Add(ref a, rs);
        ref var a2 = ref Unsafe.Add(ref a, 2 * rs);
        ref var a3 = ref Unsafe.Add(ref a, 3 * rs);
        ref var a4 = ref Unsafe.Add(ref a, 4 * rs);
        ref var a5 = ref Unsafe.Add(ref a, 5 * rs);
        ref var a6 = ref Unsafe.Add(ref a, 6 * rs);
        ref var a7 = ref Unsafe.Add(ref a, 7 * rs);
        for (var p = 0; p < k; p++)
        {
            var v = Vector512.LoadUnsafe(ref b, (nuint)(p * ldb));
            var q = p * cs;
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a, q)), v, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a1, q)), v, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a2, q)), v, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a3, q)), v, s3);
            s4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a4, q)), v, s4);
            s5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a5, q)), v, s5);
            s6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a6, q)), v, s6);
            s7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a7, q)), v, s7);
        }
        s0.StoreUnsafe(ref c);
        s1.StoreUnsafe(ref c, (nuint)ldc);
        s2.StoreUnsafe(ref c, (nuint)(2 * ldc));
        s3.StoreUnsafe(ref c, (nuint)(3 * ldc));
        s4.StoreUnsafe(ref c, (nuint)(4 * ldc));
        s5.StoreUnsafe(ref c, (nuint)(5 * ldc));
        s6.StoreUnsafe(ref c, (nuint)(6 * ldc));
        s7.StoreUnsafe(ref c, (nuint)(7 * ldc));
    }

    private static void OneRow(ref float a, int cs, ref float b, int ldb, ref float c, int k)
    {
        // One accumulator, p in order, as EightRows sums: the same rounding for every row.
        var sum = Vector512<float>.Zero;
        for (var p = 0; p < k; p++)
            sum = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a, p * cs)), Vector512.LoadUnsafe(ref b, (nuint)(p * ldb)), sum);
        sum.StoreUnsafe(ref c);
    }
}
