using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Torch;
using Symmetry.Torch.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training;

/// <summary>The named sections a checkpoint file is made of (<c>model.*</c>, <c>mask.*</c>, …): shared by training
/// checkpoints and experiment-state checkpoints so both read and write masks and states the same way.</summary>
internal static class CheckpointSections
{
    internal const string Model = "model.";
    internal const string Mask = "mask.";
    internal const string Frozen = "frozen.";

    /// <summary>The entries of <paramref name="state"/> under <paramref name="prefix"/> (still owned by the state).</summary>
    internal static IEnumerable<KeyValuePair<string, Tensor>> Prefixed(string prefix, IEnumerable<KeyValuePair<string, Tensor>> state) =>
        state.Select(e => new KeyValuePair<string, Tensor>(prefix + e.Key, e.Value));

    /// <summary>Copies of the file's entries under <paramref name="prefix"/>, with the prefix removed.</summary>
    internal static NamedTensors Unprefixed(string prefix, SafeTensorsFile file)
    {
        var state = new NamedTensors();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in file)
            if (name.StartsWith(prefix, StringComparison.Ordinal)) state.Add(name[prefix.Length..], tensor.clone());
        return state;
    }

    /// <summary>The mask of <paramref name="model"/> (a <see cref="ZooModel"/>'s <see cref="ZooModel.Mask"/>; none for
    /// other modules) as <c>mask.&lt;parameter&gt;</c> entries, in parameter order (still owned by the model's mask).</summary>
    internal static IEnumerable<KeyValuePair<string, Tensor>> Masks(nn.Module model)
    {
        if (model is not ZooModel { Mask: { } mask } zoo) return [];
        var entries = model.named_parameters().Where(p => mask.Contains(p.name))
            .Select(p => new KeyValuePair<string, Tensor>(Mask + p.name, mask[p.name])).ToList();
        // The values masked weights are held at (deconstructing-LT's freeze actions), when there are any.
        if (zoo.Frozen is { } frozen) entries.AddRange(frozen.Select(f => new KeyValuePair<string, Tensor>(Frozen + f.Key, f.Value)));
        return entries;
    }

    /// <summary>Sets the model's mask from the file's <c>mask.</c> entries (no mask when the file has none) and the values
    /// masked weights are held at from its <c>frozen.</c> entries.</summary>
    /// <exception cref="InvalidDataException">The file holds masks and the model is not a <see cref="ZooModel"/>, which
    /// is the only kind of model that holds one.</exception>
    internal static void RestoreMasks(nn.Module model, SafeTensorsFile file)
    {
        using var mask = new ModelMask();
        foreach (var (name, tensor) in file)
            if (name.StartsWith(Mask, StringComparison.Ordinal)) mask.Add(name[Mask.Length..], tensor);
        if (model is ZooModel zoo)
        {
            zoo.SetMask(mask.Count > 0 ? mask : null);
            using var frozen = Unprefixed(Frozen, file);
            if (frozen.Count > 0) zoo.SetFrozen(frozen);
        }
        else if (mask.Count > 0)
            throw new InvalidDataException($"{file.FilePath} holds masks ({string.Join(", ", mask.Names)}), but the model is a {model.GetType().Name}: only a ZooModel holds a mask");
    }
}
