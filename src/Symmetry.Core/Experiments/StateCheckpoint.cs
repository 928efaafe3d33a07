using Symmetry.Core.Training;
using Symmetry.Torch.NN;
using Symmetry.Torch.Serialization;

namespace Symmetry.Core.Experiments;

/// <summary>A state's weights on disk: the model's parameters and buffers (<c>model.*</c>) and the masks of masked
/// parameters (<c>mask.*</c>), plus the state key as metadata; written atomically.</summary>
public static class StateCheckpoint
{
    /// <summary>Writes <paramref name="model"/> as state <paramref name="key"/>.</summary>
    public static void Save(Module model, string key, string path)
    {
        using var state = model.StateDict();
        var tensors = CheckpointSections.Prefixed(CheckpointSections.Model, state).Concat(CheckpointSections.Masks(model)).ToList();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["symmetry.state"] = key });
    }

    /// <summary>Loads the weights and masks saved for state <paramref name="key"/> into <paramref name="model"/>.</summary>
    public static void Load(Module model, string key, string path)
    {
        using var file = SafeTensors.Load(path);
        if (!file.Metadata.TryGetValue("symmetry.state", out var saved) || saved != key)
            throw new InvalidDataException($"{path} holds state {saved ?? "(none)"}, not {key}");
        using (var state = CheckpointSections.Unprefixed(CheckpointSections.Model, file)) model.Load(state);
        CheckpointSections.RestoreMasks(model, file);
    }
}
