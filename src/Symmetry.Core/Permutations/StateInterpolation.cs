using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Permutations;

/// <summary>Linear interpolation between two states of one architecture, the path along which loss barriers are
/// measured (ALGORITHMS §4 and §6).</summary>
public static class StateInterpolation
{
    /// <summary>
    /// A new state (1 − <paramref name="alpha"/>)·A + <paramref name="alpha"/>·B for every floating-point tensor, in A's
    /// dtype and on A's device; integer and boolean tensors (e.g. <c>num_batches_tracked</c>) are copied from A. At α = 0
    /// the result equals A exactly, at α = 1 B's floating-point tensors exactly. The entries follow A's order. The caller owns the result. States of any TorchSharp
    /// module work (<c>StateDicts.Copy(model)</c>, a <c>state_dict()</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The states have different names, or a tensor has different shapes.</exception>
    public static NamedTensors Lerp(IEnumerable<KeyValuePair<string, Tensor>> a, IEnumerable<KeyValuePair<string, Tensor>> b, double alpha)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var entriesA = a.ToList();
        var byNameA = entriesA.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var byNameB = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in b) byNameB.TryAdd(name, tensor);
        var extra = byNameB.Keys.Where(n => !byNameA.Contains(n)).ToList();
        var missing = entriesA.Select(e => e.Key).Where(n => !byNameB.ContainsKey(n)).ToList();
        if (extra.Count > 0 || missing.Count > 0)
            throw new ArgumentException(
                $"cannot interpolate states with different names (only in A: {string.Join(", ", missing)}; only in B: {string.Join(", ", extra)})", nameof(b));
        TorchRuntime.Ensure();
        var result = new NamedTensors();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            foreach (var (name, ta) in entriesA)
            {
                var tb = byNameB[name];
                if (!ta.shape.SequenceEqual(tb.shape))
                    throw new ArgumentException($"'{name}' has shape [{string.Join(", ", ta.shape)}] in A but [{string.Join(", ", tb.shape)}] in B", nameof(b));
                if (!ta.is_floating_point())
                {
                    result.Add(name, ta.detach().clone());
                    continue;
                }
                var other = tb.detach().to(ta.dtype, ta.device);
                // The ends are copies, not arithmetic: 0·a + b can differ from b in the sign of a zero.
                result.Add(name, alpha == 0 ? ta.detach().clone() : alpha == 1 ? other.clone() : ta.detach() * (1 - alpha) + other * alpha);
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary><paramref name="points"/> evenly spaced interpolation coefficients from 0 to 1, both included (25 for
    /// ALGORITHMS §6's barrier plots).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 points.</exception>
    public static double[] Alphas(int points = 25)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "an interpolation path needs at least 2 points");
        return Enumerable.Range(0, points).Select(i => i == points - 1 ? 1.0 : (double)i / (points - 1)).ToArray();
    }
}
