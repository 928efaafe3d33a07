using Symmetry.Torch;
using Symmetry.Torch.NN;
using Symmetry.Torch.Serialization;
using static Symmetry.Torch.Torch;

namespace Symmetry.Core.Experiments;

/// <summary>A state's weights on disk: the model's parameters and buffers (<c>model.*</c>) and the masks of masked
/// parameters (<c>mask.*</c>), plus the state key as metadata; written atomically.</summary>
public static class StateCheckpoint
{
    /// <summary>Writes <paramref name="model"/> as state <paramref name="key"/>.</summary>
    public static void Save(Module model, string key, string path)
    {
        using var scope = NewScope();
        using var state = model.StateDict();
        var tensors = state.Entries.Select(e => new KeyValuePair<string, Tensor>("model." + e.Key, e.Value))
            .Concat(model.NamedParameters().Where(p => p.Parameter.Mask is not null)
                .Select(p => new KeyValuePair<string, Tensor>("mask." + p.Name, p.Parameter.Mask!)))
            .ToList();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["symmetry.state"] = key });
    }

    /// <summary>Loads the weights and masks saved for state <paramref name="key"/> into <paramref name="model"/>.</summary>
    public static void Load(Module model, string key, string path)
    {
        using var file = SafeTensors.Load(path);
        if (!file.Metadata.TryGetValue("symmetry.state", out var saved) || saved != key)
            throw new InvalidDataException($"{path} holds state {saved ?? "(none)"}, not {key}");
        using var scope = NewScope();
        using var state = new StateDict();
        foreach (var (name, tensor) in file)
            if (name.StartsWith("model.", StringComparison.Ordinal)) state.Add(name["model.".Length..], tensor.Clone());
        model.Load(state);
        foreach (var (name, parameter) in model.NamedParameters())
            parameter.SetMask(file.TryGetValue("mask." + name, out var mask) ? mask : null);
    }
}
