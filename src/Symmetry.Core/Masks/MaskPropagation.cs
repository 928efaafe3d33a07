using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Masks;

/// <summary>
/// Removes the connections a mask makes useless (ALGORITHMS §1, "mask propagation"), over the chain of prunable layers
/// of a model (<see cref="PrunableLayers.Chain"/>).
/// </summary>
/// <remarks>
/// <para><b>Forward (always).</b> A unit whose incoming row (a Linear row, a conv filter) is all zero is dead: its
/// outgoing connections in the next prunable layer are zeroed — the column of a following Linear, the input-channel
/// slice (out, u, :, :) of a following conv, the H·W columns of its channel after a flatten of C×H×W (one column after
/// global pooling). This is what the original code does (forward only); the zeroing cascades through the layers.</para>
/// <para><b>Backward (option <c>removeUnitsWithoutOutputs</c>, off by default).</b> A hidden unit none of whose outgoing
/// connections is kept is useless: its incoming row is zeroed too, cascading towards the input. The output layer's
/// units are never removed.</para>
/// <para>Both rules are applied until nothing changes, so the result is a fixed point: propagating it again returns it
/// unchanged. Propagation only ever zeroes entries. "Dead" is about connectivity: a dead unit still outputs the
/// constant its bias (or a BatchNorm shift) gives, which the zeroed connections no longer pass on.</para>
/// <para>Layers without a mask entry count as dense and stay without one: a dead unit feeding an unmasked layer keeps
/// its connections there (mask every layer, the default of <see cref="ModelMasks.Create(nn.Module, MaskType, double, ulong, bool)"/>,
/// to have them removed). Entries for parameters outside the chain are copied unchanged.</para>
/// </remarks>
public static class MaskPropagation
{
    /// <summary>The propagated copy of <paramref name="mask"/> for <paramref name="model"/> (same names, same order);
    /// neither argument is changed. Any TorchSharp module that is a plain chain works (a zoo model or an
    /// <c>nn.Sequential</c> of one's own).</summary>
    /// <exception cref="NotSupportedException">A residual / branching model or a layer sequence that is not a plain
    /// chain (see <see cref="PrunableLayers.Chain"/>).</exception>
    /// <exception cref="ArgumentException">A mask entry whose shape differs from its weight.</exception>
    public static ModelMask Propagate(nn.Module model, ModelMask mask, bool removeUnitsWithoutOutputs = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(mask);
        TorchRuntime.Ensure();
        var chain = ChainMasks.Read(model, mask);
        Run(chain, removeUnitsWithoutOutputs);
        var byName = new Dictionary<string, int>();
        for (var i = 0; i < chain.Count; i++) byName[chain.Layers[i].WeightName] = i;
        var result = new ModelMask();
        try
        {
            using var scope = NewDisposeScope();
            foreach (var (name, tensor) in mask)
            {
                var propagated = byName.TryGetValue(name, out var i) && chain.Data[i] is { } data
                    ? torch.tensor(data, chain.Layers[i].Shape, ScalarType.Float32).to(tensor.device)
                    : tensor.clone();
                result.SetOwned(name, propagated.DetachFromDisposeScope());
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Applies the rules in place until nothing changes.</summary>
    internal static void Run(ChainMasks chain, bool backward)
    {
        bool changed;
        do
        {
            changed = false;
            for (var i = 1; i < chain.Count; i++)
            {
                if (chain.Data[i] is null) continue;
                for (long u = 0; u < chain.Layers[i - 1].Units; u++)
                    if (chain.RowIsZero(i - 1, u) && chain.ZeroOutgoing(i - 1, u))
                        changed = true;
            }
            if (!backward) break;
            for (var i = chain.Count - 2; i >= 0; i--)
            {
                var data = chain.Data[i];
                if (data is null) continue;
                var l = chain.Layers[i].FanIn;
                for (long u = 0; u < chain.Layers[i].Units; u++)
                    if (!chain.RowIsZero(i, u) && !chain.HasOutgoing(i, u))
                    {
                        Array.Clear(data, checked((int)(u * l)), checked((int)l));
                        changed = true;
                    }
            }
        } while (changed);
    }
}
