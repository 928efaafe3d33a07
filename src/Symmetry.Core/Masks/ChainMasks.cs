using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Masks;

/// <summary>
/// The masks of a model's prunable chain as row-major (units, fan-in) 0/1 arrays, null for a layer without a mask
/// (dense), with the unit arithmetic that propagation and statistics share.
/// </summary>
internal sealed class ChainMasks
{
    private ChainMasks(IReadOnlyList<PrunableLayer> layers, float[]?[] data)
    {
        Layers = layers;
        Data = data;
    }

    public IReadOnlyList<PrunableLayer> Layers { get; }

    /// <summary>Per layer, its mask (row-major (units, fan-in), values 0/1), or null when dense.</summary>
    public float[]?[] Data { get; }

    public int Count => Layers.Count;

    /// <summary>Reads the chain of <paramref name="model"/> and the entries of <paramref name="mask"/> for it.</summary>
    /// <exception cref="NotSupportedException">Not a plain chain (see <see cref="PrunableLayers.Chain"/>).</exception>
    /// <exception cref="ArgumentException">An entry whose shape differs from the layer's weight.</exception>
    public static ChainMasks Read(nn.Module model, ModelMask mask)
    {
        var layers = PrunableLayers.Chain(model);
        var data = new float[]?[layers.Count];
        using var scope = NewDisposeScope();
        for (var i = 0; i < layers.Count; i++)
        {
            if (!mask.TryGet(layers[i].WeightName, out var tensor)) continue;
            if (!tensor.shape.SequenceEqual(layers[i].Shape))
                throw new ArgumentException(
                    $"mask of '{layers[i].WeightName}' has shape [{string.Join(", ", tensor.shape)}], the weight [{string.Join(", ", layers[i].Shape)}]", nameof(mask));
            data[i] = tensor.detach().cpu().ne(0).to(ScalarType.Float32).contiguous().data<float>().ToArray();
        }
        return new ChainMasks(layers, data);
    }

    /// <summary>True when unit <paramref name="u"/> of layer <paramref name="i"/> has no incoming connection (a dense
    /// layer has them all).</summary>
    public bool RowIsZero(int i, long u)
    {
        var d = Data[i];
        if (d is null) return false;
        var l = Layers[i].FanIn;
        for (long k = u * l, end = k + l; k < end; k++)
            if (d[k] != 0f) return false;
        return true;
    }

    /// <summary>True when unit <paramref name="u"/> of layer <paramref name="i"/> (i &lt; Count − 1) feeds at least one
    /// connection of layer i + 1 (always when layer i + 1 is dense).</summary>
    public bool HasOutgoing(int i, long u)
    {
        var next = Data[i + 1];
        if (next is null) return true;
        var (rows, l, b) = Shape(i + 1);
        for (long r = 0; r < rows; r++)
            for (long k = r * l + u * b, end = k + b; k < end; k++)
                if (next[k] != 0f) return true;
        return false;
    }

    /// <summary>Zeroes every connection of layer i + 1 fed by unit <paramref name="u"/> of layer <paramref name="i"/>
    /// (rows r, fan-in positions [u·b, (u+1)·b)); true when one was kept before.</summary>
    public bool ZeroOutgoing(int i, long u)
    {
        var next = Data[i + 1];
        if (next is null) return false;
        var (rows, l, b) = Shape(i + 1);
        var changed = false;
        for (long r = 0; r < rows; r++)
            for (long k = r * l + u * b, end = k + b; k < end; k++)
                if (next[k] != 0f)
                {
                    next[k] = 0f;
                    changed = true;
                }
        return changed;
    }

    /// <summary>Unit <paramref name="u"/>'s incoming row of layer <paramref name="i"/> as a compact key (equal keys ⇔
    /// equal rows; a dense layer's rows are all ones).</summary>
    public string RowKey(int i, long u)
    {
        var d = Data[i];
        var l = Layers[i].FanIn;
        var key = new char[(l + 15) / 16];
        for (long k = 0; k < l; k++)
            if (d is null || d[u * l + k] != 0f) key[k >> 4] |= (char)(1 << (int)(k & 15));
        return new string(key);
    }

    /// <summary>Unit <paramref name="u"/>'s outgoing connections into layer i + 1 as a compact key (row-major over the
    /// next layer's rows and the unit's block).</summary>
    public string OutgoingKey(int i, long u)
    {
        var next = Data[i + 1];
        var (rows, l, b) = Shape(i + 1);
        var key = new char[(rows * b + 15) / 16];
        long bit = 0;
        for (long r = 0; r < rows; r++)
            for (long k = r * l + u * b, end = k + b; k < end; k++, bit++)
                if (next is null || next[k] != 0f) key[bit >> 4] |= (char)(1 << (int)(bit & 15));
        return new string(key);
    }

    private (long Rows, long FanIn, long Block) Shape(int i) => (Layers[i].Units, Layers[i].FanIn, Layers[i].InputBlock);
}
