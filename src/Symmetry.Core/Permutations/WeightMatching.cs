using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Permutations;

/// <summary>The outcome of <see cref="WeightMatching.Match"/>.</summary>
/// <param name="Permutations">The permutation set P that aligns B to A: <c>spec.Apply(P, B)</c> is the aligned B.</param>
/// <param name="Objective">Σ ⟨W_A, P(W_B)⟩ over the matched tensors after alignment (float64).</param>
/// <param name="InitialObjective">The same sum before alignment (for the initial permutations, identities by default).</param>
/// <param name="Sweeps">Sweeps run, the last one included (a sweep visits every permutation once).</param>
/// <param name="Converged">True when the last sweep improved nothing; false when <c>maxSweeps</c> ended the search.</param>
public sealed record WeightMatchingResult(
    IReadOnlyDictionary<string, Permutation> Permutations,
    double Objective,
    double InitialObjective,
    int Sweeps,
    bool Converged);

/// <summary>
/// Git Re-Basin weight matching (Ainsworth et al. 2023; ALGORITHMS §6): finds hidden-unit permutations that align
/// model B's weights to model A's by coordinate ascent on Σ ⟨W_A, P(W_B)⟩, one permutation at a time, each step a
/// linear assignment problem.
/// </summary>
public static class WeightMatching
{
    /// <summary>
    /// Aligns <paramref name="b"/> to <paramref name="a"/>. Starting from identities (or <paramref name="initial"/>), each
    /// sweep visits the spec's permutations in an order drawn from <paramref name="generator"/>; for permutation p of
    /// size n it forms the n×n matrix C = Σ over the (tensor, axis) where p acts of W_A · W̃_Bᵀ, where both tensors have
    /// that axis moved first and the rest flattened to (n, −1) (an axis with block size b is first split into (n, b)), and
    /// W̃_B is B's tensor with every other permuted axis permuted by the current set (p's own axis left as it is). The
    /// assignment maximising Σᵢ C[i, π(i)] (<c>LinearAssignment.Solve(C, maximize: true)</c>) becomes the new p when it
    /// beats the current one by more than 1e-12 (relative). Row i of C is unit i of A, column j unit j of B, so p[i] = j
    /// brings B's unit j to position i, as <see cref="PermutationSpec.Apply(IReadOnlyDictionary{string, Permutation}, NamedTensors)"/>
    /// does. The search stops after a sweep without improvement or after <paramref name="maxSweeps"/> sweeps.
    /// <para>
    /// Convention: when B = spec.Apply(Q, A) with distinct units, the exact answer is P = Q⁻¹ (name by name), and
    /// <c>spec.Apply(P, B)</c> equals A bit for bit. Costs are computed in float64 on the tensors' device.
    /// </para>
    /// </summary>
    /// <param name="spec">The permutation spec of both models.</param>
    /// <param name="a">The reference state A (not modified): named tensors, e.g. <c>StateDicts.Copy(modelA)</c> of a zoo
    /// model or of an <c>nn.Sequential</c> of one's own, or its live <c>state_dict()</c>.</param>
    /// <param name="b">The state B to align (not modified).</param>
    /// <param name="generator">The stream for the visiting order (null: libtorch's global generator).</param>
    /// <param name="maxSweeps">Upper bound on sweeps, ≥ 1.</param>
    /// <param name="include">Which tensors enter the costs and the objective (default: every floating-point tensor of the
    /// spec: weights, biases, BatchNorm affine parameters and running statistics; tensors without a permuted axis add a
    /// constant to the objective).</param>
    /// <param name="initial">The starting set (default: identities).</param>
    /// <exception cref="ArgumentException">A state lacks a name of the spec, A and B differ in a shape, the initial set
    /// does not fit the spec, or <paramref name="maxSweeps"/> is below 1.</exception>
    public static WeightMatchingResult Match(PermutationSpec spec, IEnumerable<KeyValuePair<string, Tensor>> a,
        IEnumerable<KeyValuePair<string, Tensor>> b, Generator? generator, int maxSweeps = 100,
        Func<string, bool>? include = null, IReadOnlyDictionary<string, Permutation>? initial = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (maxSweeps < 1) throw new ArgumentOutOfRangeException(nameof(maxSweeps), maxSweeps, "at least one sweep is needed");
        var perms = new Dictionary<string, Permutation>(initial ?? spec.Identity(), StringComparer.Ordinal);
        spec.CheckPermutations(perms);
        var stateA = ByName(a, nameof(a));
        var stateB = ByName(b, nameof(b));
        TorchRuntime.Ensure();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var matched = new Dictionary<string, (Tensor A, Tensor B)>(StringComparer.Ordinal);
        foreach (var name in spec.TensorNames)
        {
            if (!stateA.TryGetValue(name, out var ta)) throw new ArgumentException($"state A lacks '{name}', named by the permutation spec", nameof(a));
            if (!stateB.TryGetValue(name, out var tb)) throw new ArgumentException($"state B lacks '{name}', named by the permutation spec", nameof(b));
            if (!ta.shape.SequenceEqual(tb.shape))
                throw new ArgumentException($"'{name}' has shape [{string.Join(", ", ta.shape)}] in A but [{string.Join(", ", tb.shape)}] in B", nameof(b));
            if (!ta.is_floating_point() || (include is not null && !include(name))) continue;
            matched[name] = (ta.detach().to(ScalarType.Float64), tb.detach().to(ScalarType.Float64, ta.device));
        }

        // Permutations that act on no matched tensor have no cost: they stay as they are.
        var active = spec.PermutationNames.Where(p => spec.UsesOf(p).Any(u => matched.ContainsKey(u.Tensor))).ToList();
        using var indices = new PermutationSpec.IndexCache(perms);
        var initialObjective = Objective(spec, matched, indices);
        var sweeps = 0;
        var converged = false;
        while (sweeps < maxSweeps && !converged)
        {
            sweeps++;
            var progress = false;
            long[] order;
            using (NewDisposeScope()) order = randperm(active.Count, ScalarType.Int64, generator: generator).data<long>().ToArray();
            foreach (var k in order)
            {
                var p = active[(int)k];
                var cost = CostMatrix(spec, p, matched, indices);
                var n = cost.GetLength(0);
                var assignment = LinearAssignment.Solve(cost, maximize: true);
                var current = perms[p];
                double oldValue = 0, newValue = 0;
                for (var i = 0; i < n; i++)
                {
                    oldValue += cost[i, current[i]];
                    newValue += cost[i, assignment[i]];
                }
                if (newValue > oldValue + 1e-12 * Math.Max(1, Math.Abs(oldValue)))
                {
                    perms[p] = new Permutation(assignment);
                    indices.Invalidate(p);
                    progress = true;
                }
            }
            converged = !progress;
        }
        var objective = Objective(spec, matched, indices);
        return new WeightMatchingResult(perms, objective, initialObjective, sweeps, converged);
    }

    /// <summary>C = Σ over p's uses of W_A(axis first) · W̃_B(axis first)ᵀ, as an n×n array.</summary>
    private static double[,] CostMatrix(PermutationSpec spec, string p, Dictionary<string, (Tensor A, Tensor B)> matched,
        PermutationSpec.IndexCache indices)
    {
        using var scope = NewDisposeScope();
        var n = spec.SizeOf(p);
        Tensor? total = null;
        foreach (var use in spec.UsesOf(p))
        {
            if (!matched.TryGetValue(use.Tensor, out var pair)) continue;
            var permutedB = spec.Permute(use.Tensor, pair.B, indices, exceptAxis: use.Axis);
            var fa = AxisFirst(pair.A, use.Axis, n, use.BlockSize);
            var fb = AxisFirst(permutedB, use.Axis, n, use.BlockSize);
            var c = fa.matmul(fb.t());
            total = total is null ? c : total + c;
        }
        var values = total!.cpu().contiguous().data<double>().ToArray();
        var cost = new double[n, n];
        Buffer.BlockCopy(values, 0, cost, 0, values.Length * sizeof(double));
        return cost;
    }

    /// <summary>The tensor with axis <paramref name="axis"/> (n blocks of <paramref name="block"/>) first, flattened to (n, −1).</summary>
    private static Tensor AxisFirst(Tensor t, int axis, long n, long block)
    {
        var x = block == 1 ? t : t.reshape(PermutationSpec.SplitShape(t.shape, axis, n, block));
        if (axis != 0)
        {
            var dims = new long[x.dim()];
            dims[0] = axis;
            for (int d = 0, k = 1; d < dims.Length; d++)
                if (d != axis) dims[k++] = d;
            x = x.permute(dims);
        }
        return x.reshape(n, -1);
    }

    /// <summary>Σ ⟨W_A, P(W_B)⟩ over the matched tensors.</summary>
    private static double Objective(PermutationSpec spec, Dictionary<string, (Tensor A, Tensor B)> matched, PermutationSpec.IndexCache indices)
    {
        using var scope = NewDisposeScope();
        var total = 0.0;
        foreach (var (name, (ta, tb)) in matched)
            total += (ta * spec.Permute(name, tb, indices, exceptAxis: null)).sum().item<double>();
        return total;
    }

    /// <summary>The named tensors as a dictionary (a name twice is an error).</summary>
    private static Dictionary<string, Tensor> ByName(IEnumerable<KeyValuePair<string, Tensor>> state, string parameterName)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in state)
            if (!result.TryAdd(name, tensor))
                throw new ArgumentException($"the state has '{name}' twice", parameterName);
        return result;
    }
}
