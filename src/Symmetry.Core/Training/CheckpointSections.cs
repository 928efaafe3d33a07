using Symmetry.Torch;
using Symmetry.Torch.NN;
using Symmetry.Torch.Serialization;
using static Symmetry.Torch.Torch;

namespace Symmetry.Core.Training;

/// <summary>The named sections a checkpoint file is made of (<c>model.*</c>, <c>mask.*</c>, …): shared by training
/// checkpoints and experiment-state checkpoints so both read and write masks and states the same way.</summary>
internal static class CheckpointSections
{
    internal const string Model = "model.";
    internal const string Mask = "mask.";

    /// <summary>The entries of <paramref name="state"/> under <paramref name="prefix"/> (still owned by the state).</summary>
    internal static IEnumerable<KeyValuePair<string, Tensor>> Prefixed(string prefix, StateDict state) =>
        state.Entries.Select(e => new KeyValuePair<string, Tensor>(prefix + e.Key, e.Value));

    /// <summary>Copies of the file's entries under <paramref name="prefix"/>, with the prefix removed.</summary>
    internal static StateDict Unprefixed(string prefix, SafeTensorsFile file)
    {
        var state = new StateDict();
        using var scope = NewScope();
        foreach (var (name, tensor) in file)
            if (name.StartsWith(prefix, StringComparison.Ordinal)) state.Add(name[prefix.Length..], tensor.Clone());
        return state;
    }

    /// <summary>The masks of <paramref name="model"/>'s masked parameters, as <c>mask.&lt;parameter&gt;</c> entries.</summary>
    internal static IEnumerable<KeyValuePair<string, Tensor>> Masks(Module model) =>
        model.NamedParameters().Where(p => p.Parameter.Mask is not null)
            .Select(p => new KeyValuePair<string, Tensor>(Mask + p.Name, p.Parameter.Mask!));

    /// <summary>Sets every parameter's mask from the file (none where the file has no <c>mask.</c> entry for it).</summary>
    internal static void RestoreMasks(Module model, SafeTensorsFile file)
    {
        foreach (var (name, parameter) in model.NamedParameters())
            parameter.SetMask(file.TryGetValue(Mask + name, out var mask) ? mask : null);
    }
}
