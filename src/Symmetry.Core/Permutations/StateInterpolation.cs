using Symmetry.Torch;
using Symmetry.Torch.NN;
using static Symmetry.Torch.Torch;

namespace Symmetry.Core.Permutations;

/// <summary>Linear interpolation between two states of one architecture, the path along which loss barriers are
/// measured (ALGORITHMS §4 and §6).</summary>
public static class StateInterpolation
{
    /// <summary>
    /// A new state (1 − <paramref name="alpha"/>)·A + <paramref name="alpha"/>·B for every floating-point tensor, in A's
    /// dtype and on A's device; integer and boolean tensors (e.g. <c>num_batches_tracked</c>) are copied from A. At α = 0
    /// the result equals A exactly. The caller owns the result.
    /// </summary>
    /// <exception cref="ArgumentException">The states have different names, or a tensor has different shapes.</exception>
    public static StateDict Lerp(StateDict a, StateDict b, double alpha)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var extra = b.Names.Where(n => !a.Contains(n)).ToList();
        var missing = a.Names.Where(n => !b.Contains(n)).ToList();
        if (extra.Count > 0 || missing.Count > 0)
            throw new ArgumentException(
                $"cannot interpolate states with different names (only in A: {string.Join(", ", missing)}; only in B: {string.Join(", ", extra)})", nameof(b));
        var result = new StateDict();
        try
        {
            using var scope = NewScope();
            using var noGrad = NoGrad();
            foreach (var (name, ta) in a.Entries)
            {
                var tb = b[name];
                if (!ta.Shape.SequenceEqual(tb.Shape))
                    throw new ArgumentException($"'{name}' has shape [{string.Join(", ", ta.Shape)}] in A but [{string.Join(", ", tb.Shape)}] in B", nameof(b));
                if (!ta.DType.IsFloatingPoint())
                {
                    result.Add(name, ta.Detach().Clone());
                    continue;
                }
                var other = tb.Detach().To(ta.Device, ta.DType);
                result.Add(name, alpha == 0 ? ta.Detach().Clone() : ta.Detach() * (1 - alpha) + other * alpha);
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
