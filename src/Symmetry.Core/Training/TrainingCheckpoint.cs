using System.Globalization;
using Symmetry.Core.Models;
using Symmetry.Torch;
using Symmetry.Torch.Serialization;
using TorchSharp;
using static Symmetry.Core.Training.CheckpointSections;

namespace Symmetry.Core.Training;

/// <summary>
/// Saves and restores a <see cref="Trainer"/> at an epoch boundary as one safetensors file: the model's parameters and
/// buffers (<c>model.*</c>), the optimizer's state (<c>optimizer.*</c>: <c>step</c>, <c>lr</c> and
/// <c>{parameter index}.{buffer}</c>), θ₀ (<c>init.*</c>), the model's mask (<c>mask.*</c>, for a <see cref="ZooModel"/>
/// with one) and, as metadata, the epoch, step, scheduler position and running metrics. The global random generator
/// is reseeded from (seed, epoch) at every epoch start and data order depends only on (seed, epoch), so a restored run
/// continues bit-identically.
/// </summary>
public static class TrainingCheckpoint
{
    private const string FormatVersion = "1";
    private const string Optimizer = "optimizer.";
    private const string Init = "init.";

    /// <summary>Writes the checkpoint atomically (temporary file, flush, rename).</summary>
    public static void Save(Trainer trainer, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        TorchRuntime.Ensure();
        using var model = StateDicts.Copy(trainer.Model);
        using var optimizer = OptimizerStates.Flatten(trainer.Optimizer);
        var tensors = Prefixed(CheckpointSections.Model, model).Concat(Prefixed(Optimizer, optimizer))
            .Concat(Prefixed(Init, trainer.InitialParameters)).Concat(CheckpointSections.Masks(trainer.Model)).ToList();
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            ["symmetry.checkpoint"] = FormatVersion,
            ["epoch"] = trainer.Epoch.ToString(CultureInfo.InvariantCulture),
            ["step"] = trainer.Step.ToString(CultureInfo.InvariantCulture),
            ["scheduler_steps"] = (trainer.Scheduler?.Steps ?? 0).ToString(CultureInfo.InvariantCulture),
            ["scheduler_base_lr"] = (trainer.Scheduler?.BaseLearningRate ?? trainer.LearningRate).ToString("R", CultureInfo.InvariantCulture),
            [MetricNames.CumulativeGradientNorm] = trainer.CumulativeGradientNorm.ToString("R", CultureInfo.InvariantCulture),
            [MetricNames.WallSeconds] = trainer.WallSeconds.ToString("R", CultureInfo.InvariantCulture),
            ["seed"] = trainer.Options.Seed.ToString(CultureInfo.InvariantCulture),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // The writer's host copies are temporaries: a scope frees them.
        using (torch.NewDisposeScope()) SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>Restores a checkpoint written by <see cref="Save"/> (or by the old binding) into a trainer built the
    /// same way; returns the file's metadata.</summary>
    /// <exception cref="InvalidDataException">The file is not a Symmetry training checkpoint, was made with another
    /// seed, or holds a mask for a model that cannot hold one.</exception>
    public static IReadOnlyDictionary<string, string> Restore(Trainer trainer, string path)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        using var file = SafeTensors.Load(path);
        var metadata = file.Metadata;
        if (!metadata.TryGetValue("symmetry.checkpoint", out var version) || version != FormatVersion)
            throw new InvalidDataException($"{path}: not a Symmetry training checkpoint (format {FormatVersion})");
        if (metadata["seed"] != trainer.Options.Seed.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: checkpoint was made with seed {metadata["seed"]}, this run uses {trainer.Options.Seed}");
        RestoreMasks(trainer.Model, file);
        using (var model = Unprefixed(CheckpointSections.Model, file)) StateDicts.Load(trainer.Model, model);
        using (var optimizer = Unprefixed(Optimizer, file)) OptimizerStates.Restore(trainer.Optimizer, optimizer);
        using (var init = Unprefixed(Init, file)) trainer.ReplaceInitialParameters(init);
        trainer.Epoch = int.Parse(metadata["epoch"], CultureInfo.InvariantCulture);
        trainer.Step = long.Parse(metadata["step"], CultureInfo.InvariantCulture);
        trainer.CumulativeGradientNorm = double.Parse(metadata[MetricNames.CumulativeGradientNorm], CultureInfo.InvariantCulture);
        trainer.WallSeconds = double.Parse(metadata[MetricNames.WallSeconds], CultureInfo.InvariantCulture);
        trainer.Scheduler?.Restore(long.Parse(metadata["scheduler_steps"], CultureInfo.InvariantCulture),
            double.Parse(metadata["scheduler_base_lr"], CultureInfo.InvariantCulture));
        // The scheduler recomputes the rate from its position; without one, the optimizer's saved rate stands.
        return metadata;
    }
}
