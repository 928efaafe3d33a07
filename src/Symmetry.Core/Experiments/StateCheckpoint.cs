using Symmetry.Core.Models;
using Symmetry.Core.Training;
using Symmetry.Torch;
using Symmetry.Torch.Serialization;
using TorchSharp;

namespace Symmetry.Core.Experiments;

/// <summary>A state's weights on disk: the model's parameters and buffers (<c>model.*</c>) and its mask (<c>mask.*</c>,
/// for a <see cref="ZooModel"/> with one), plus the state key as metadata; written atomically.</summary>
public static class StateCheckpoint
{
    /// <summary>Writes <paramref name="model"/> as state <paramref name="key"/>.</summary>
    public static void Save(torch.nn.Module model, string key, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.Ensure();
        using var state = StateDicts.Copy(model);
        var tensors = CheckpointSections.Prefixed(CheckpointSections.Model, state).Concat(CheckpointSections.Masks(model)).ToList();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // The writer's host copies are temporaries: a scope frees them.
        using (torch.NewDisposeScope()) SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["symmetry.state"] = key });
    }

    /// <summary>Loads the weights and mask saved for state <paramref name="key"/> into <paramref name="model"/>
    /// (a <see cref="ZooModel"/>'s mask is replaced by the saved one, or removed when none was saved).</summary>
    /// <exception cref="InvalidDataException">The file holds another state, or a mask for a model that cannot hold one.</exception>
    public static void Load(torch.nn.Module model, string key, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var file = SafeTensors.Load(path);
        if (!file.Metadata.TryGetValue("symmetry.state", out var saved) || saved != key)
            throw new InvalidDataException($"{path} holds state {saved ?? "(none)"}, not {key}");
        using (var state = CheckpointSections.Unprefixed(CheckpointSections.Model, file)) StateDicts.Load(model, state);
        CheckpointSections.RestoreMasks(model, file);
    }

    /// <summary>The model tensors (parameters and buffers, by name) saved in the state checkpoint at
    /// <paramref name="path"/>, on the CPU, owned by the caller: for analyses that read weights without building the
    /// model.</summary>
    public static NamedTensors ReadModel(string path)
    {
        using var file = SafeTensors.Load(path);
        return CheckpointSections.Unprefixed(CheckpointSections.Model, file);
    }
}
