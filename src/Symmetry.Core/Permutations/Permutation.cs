using System.Numerics;
using System.Text;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Permutations;

/// <summary>
/// An immutable bijection of 0 … n−1, stored as the array <c>p</c> with <c>p[i]</c> the image of <c>i</c>.
/// <para>
/// Conventions. Applying a permutation to a sequence (or to a tensor axis, see <see cref="PermutationSpec"/>) takes the
/// element at index <c>p[i]</c> to position <c>i</c>: <c>out[i] = x[p[i]]</c> (a gather; libtorch's
/// <c>index_select(axis, p)</c>). Composition is function composition, <c>(p ∘ q)[i] = p[q[i]]</c>
/// (<see cref="Compose"/>, operator <c>*</c>), so applying <c>p</c> and then <c>q</c> to a sequence equals applying
/// <c>p ∘ q</c> once: <c>q.Apply(p.Apply(x)) == (p ∘ q).Apply(x)</c>, and <c>p⁻¹.Apply(p.Apply(x)) == x</c>.
/// </para>
/// </summary>
public sealed class Permutation : IEquatable<Permutation>
{
    private readonly int[] map;

    /// <summary>Wraps a copy of <paramref name="map"/> (<c>map[i]</c> = image of <c>i</c>).</summary>
    /// <exception cref="ArgumentException">Not a bijection of 0 … n−1: an entry out of range or repeated (the message
    /// names the first offending position).</exception>
    public Permutation(IReadOnlyList<int> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        this.map = map.ToArray();
        Validate(this.map);
    }

    /// <summary>Wraps a copy of <paramref name="map"/>; see <see cref="Permutation(IReadOnlyList{int})"/>.</summary>
    /// <exception cref="ArgumentException">Not a bijection of 0 … n−1.</exception>
    public Permutation(IReadOnlyList<long> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var n = map.Count;
        this.map = new int[n];
        for (var i = 0; i < n; i++)
        {
            if (map[i] < 0 || map[i] >= n)
                throw new ArgumentException($"not a permutation of 0…{n - 1}: entry {i} is {map[i]}, outside 0…{n - 1}", nameof(map));
            this.map[i] = (int)map[i];
        }
        Validate(this.map);
    }

    private Permutation(int[] map, bool trusted)
    {
        _ = trusted;
        this.map = map;
    }

    private static void Validate(int[] map)
    {
        var n = map.Length;
        var seenAt = new int[n];
        Array.Fill(seenAt, -1);
        for (var i = 0; i < n; i++)
        {
            var v = map[i];
            if (v < 0 || v >= n)
                throw new ArgumentException($"not a permutation of 0…{n - 1}: entry {i} is {v}, outside 0…{n - 1}", "map");
            if (seenAt[v] >= 0)
                throw new ArgumentException($"not a permutation of 0…{n - 1}: value {v} appears at positions {seenAt[v]} and {i} (a bijection takes each value once)", "map");
            seenAt[v] = i;
        }
    }

    /// <summary>The size n (the permutation acts on 0 … n−1).</summary>
    public int Size => map.Length;

    /// <summary>The image of <paramref name="i"/>.</summary>
    public int this[int i] => map[i];

    /// <summary>A copy of the images, <c>p[0]</c> … <c>p[n−1]</c>.</summary>
    public int[] ToArray() => (int[])map.Clone();

    /// <summary>The images as a read-only list (no copy).</summary>
    public IReadOnlyList<int> Map => map;

    /// <summary>The identity of size <paramref name="n"/>.</summary>
    public static Permutation Identity(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var m = new int[n];
        for (var i = 0; i < n; i++) m[i] = i;
        return new Permutation(m, trusted: true);
    }

    /// <summary>A uniformly random permutation of size <paramref name="n"/>, drawn with <c>randperm</c> from
    /// <paramref name="generator"/> (null: libtorch's global generator).</summary>
    public static Permutation Random(int n, Generator? generator)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        TorchRuntime.Ensure();
        using var scope = NewDisposeScope();
        var drawn = randperm(n, ScalarType.Int64, generator: generator).data<long>().ToArray();
        return new Permutation(drawn);
    }

    /// <summary>Reads a permutation from a 1-D integer tensor.</summary>
    /// <exception cref="ArgumentException">Not 1-D, not integer, or not a bijection.</exception>
    public static Permutation FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() != 1) throw new ArgumentException($"a permutation tensor must be 1-D, got shape [{string.Join(", ", tensor.shape)}]", nameof(tensor));
        if (!torch.is_integral(tensor.dtype) || tensor.dtype == ScalarType.Bool)
            throw new ArgumentException($"a permutation tensor must hold integers, got {tensor.dtype}", nameof(tensor));
        using var scope = NewDisposeScope();
        return new Permutation(tensor.to(ScalarType.Int64, CPU).contiguous().data<long>().ToArray());
    }

    /// <summary>The images as a 1-D int64 tensor on <paramref name="device"/> (the CPU when null), in the current
    /// dispose scope, ready for <c>index_select</c>.</summary>
    public Tensor ToTensor(Device? device = null)
    {
        TorchRuntime.Ensure();
        return tensor(map.Select(v => (long)v).ToArray(), [map.Length], ScalarType.Int64, device ?? CPU);
    }

    /// <summary>The inverse q with q[p[i]] = i.</summary>
    public Permutation Inverse()
    {
        var inverse = new int[map.Length];
        for (var i = 0; i < map.Length; i++) inverse[map[i]] = i;
        return new Permutation(inverse, trusted: true);
    }

    /// <summary>Function composition <c>this ∘ other</c>: <c>(this ∘ other)[i] = this[other[i]]</c> (apply
    /// <paramref name="other"/> to an index first). As a gather on sequences, applying <c>this</c> then
    /// <paramref name="other"/> equals applying <c>this ∘ other</c>.</summary>
    /// <exception cref="ArgumentException">Different sizes.</exception>
    public Permutation Compose(Permutation other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Size != Size) throw new ArgumentException($"cannot compose permutations of sizes {Size} and {other.Size}", nameof(other));
        var result = new int[map.Length];
        for (var i = 0; i < map.Length; i++) result[i] = map[other.map[i]];
        return new Permutation(result, trusted: true);
    }

    /// <summary><c>p * q</c> = <c>p.Compose(q)</c> = p ∘ q, i.e. <c>(p * q)[i] = p[q[i]]</c>.</summary>
    public static Permutation operator *(Permutation p, Permutation q)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Compose(q);
    }

    /// <summary>Gathers a sequence: <c>out[i] = items[this[i]]</c> (the convention of tensor axes).</summary>
    /// <exception cref="ArgumentException">The sequence has another length than <see cref="Size"/>.</exception>
    public T[] Apply<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count != Size) throw new ArgumentException($"a permutation of size {Size} cannot reorder {items.Count} items", nameof(items));
        var result = new T[Size];
        for (var i = 0; i < Size; i++) result[i] = items[map[i]];
        return result;
    }

    /// <summary>The disjoint cycles, fixed points included as 1-cycles: each cycle starts at its smallest element and
    /// lists i, p[i], p[p[i]], …; cycles are ordered by their first element.</summary>
    public IReadOnlyList<int[]> Cycles()
    {
        var seen = new bool[map.Length];
        var cycles = new List<int[]>();
        for (var start = 0; start < map.Length; start++)
        {
            if (seen[start]) continue;
            var cycle = new List<int>();
            for (var i = start; !seen[i]; i = map[i])
            {
                seen[i] = true;
                cycle.Add(i);
            }
            cycles.Add(cycle.ToArray());
        }
        return cycles;
    }

    /// <summary>The permutation with the given disjoint cycles (each lists i, p[i], p[p[i]], …) on 0 … n−1; elements in
    /// no cycle are fixed.</summary>
    /// <exception cref="ArgumentException">An element out of range or in two cycles.</exception>
    public static Permutation FromCycles(int n, IEnumerable<IReadOnlyList<int>> cycles)
    {
        ArgumentNullException.ThrowIfNull(cycles);
        var m = new int[n];
        var set = new bool[n];
        for (var i = 0; i < n; i++) m[i] = i;
        foreach (var cycle in cycles)
            for (var k = 0; k < cycle.Count; k++)
            {
                var x = cycle[k];
                if (x < 0 || x >= n) throw new ArgumentException($"cycle element {x} is outside 0…{n - 1}", nameof(cycles));
                if (set[x]) throw new ArgumentException($"element {x} appears in more than one place of the cycles", nameof(cycles));
                set[x] = true;
                m[x] = cycle[(k + 1) % cycle.Count];
            }
        return new Permutation(m, trusted: true);
    }

    /// <summary>The order: the least k ≥ 1 with pᵏ = identity, the lcm of the cycle lengths (1 for n = 0).</summary>
    public BigInteger Order()
    {
        var order = BigInteger.One;
        foreach (var length in Cycles().Select(c => c.Length).Distinct())
            order = order / BigInteger.GreatestCommonDivisor(order, length) * length;
        return order;
    }

    /// <summary>The sign: +1 for even, −1 for odd permutations, (−1)^(n − number of cycles).</summary>
    public int Sign => (Size - Cycles().Count) % 2 == 0 ? 1 : -1;

    /// <summary>True for the identity.</summary>
    public bool IsIdentity
    {
        get
        {
            for (var i = 0; i < map.Length; i++)
                if (map[i] != i) return false;
            return true;
        }
    }

    /// <summary>Same size and same images.</summary>
    public bool Equals(Permutation? other) => other is not null && map.AsSpan().SequenceEqual(other.map);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Permutation p && Equals(p);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(map.Length);
        foreach (var v in map) hash.Add(v);
        return hash.ToHashCode();
    }

    /// <summary>Equality of images.</summary>
    public static bool operator ==(Permutation? a, Permutation? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Inequality of images.</summary>
    public static bool operator !=(Permutation? a, Permutation? b) => !(a == b);

    /// <summary>One-line notation, e.g. <c>[2 0 1]</c> (the first 64 images, then "…").</summary>
    public override string ToString()
    {
        const int shown = 64;
        var builder = new StringBuilder("[");
        for (var i = 0; i < Math.Min(shown, map.Length); i++)
        {
            if (i > 0) builder.Append(' ');
            builder.Append(map[i]);
        }
        if (map.Length > shown) builder.Append(" … (n = ").Append(map.Length).Append(')');
        return builder.Append(']').ToString();
    }

    /// <summary>Cycle notation without fixed points, e.g. <c>(0 2 1)(3 4)</c>; <c>()</c> for the identity.</summary>
    public string ToCycleString()
    {
        var nonTrivial = Cycles().Where(c => c.Length > 1).ToList();
        return nonTrivial.Count == 0 ? "()" : string.Concat(nonTrivial.Select(c => "(" + string.Join(' ', c) + ")"));
    }
}
