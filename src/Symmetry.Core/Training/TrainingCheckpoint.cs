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
/// continues bit-identically. The file records the SHA-256 of its tensor bytes (<see cref="SafeTensors.ChecksumKey"/>),
/// so a damaged checkpoint is refused (<see cref="CorruptCheckpointException"/>) before it touches the trainer.
/// </summary>
public static class TrainingCheckpoint
{
    private const string FormatVersion = "1";
    private const string Optimizer = "optimizer.";
    private const string Init = "init.";

    /// <summary>Writes the checkpoint atomically (temporary file, flush, rename), with a checksum of its tensor bytes.</summary>
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
        using (torch.NewDisposeScope()) SafeTensors.Save(path, tensors, metadata, withChecksum: true);
    }

    /// <summary>Restores a checkpoint written by <see cref="Save"/> (or by the old binding, which wrote no checksum) into
    /// a trainer built the same way; returns the file's metadata. The whole file is read and checked first (checksum,
    /// format, seed, every metadata value), so a file that fails leaves the trainer untouched.</summary>
    /// <exception cref="CorruptCheckpointException">The file is unreadable, truncated or fails its checksum, is not a
    /// Symmetry training checkpoint, or lacks or garbles a metadata value; the trainer is untouched.</exception>
    /// <exception cref="InvalidDataException">The checkpoint was made with another seed, or holds a mask for a model
    /// that cannot hold one.</exception>
    public static IReadOnlyDictionary<string, string> Restore(Trainer trainer, string path)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        using var file = Read(path);
        var metadata = file.Metadata;
        var position = Position.Parse(path, metadata);
        if (metadata["seed"] != trainer.Options.Seed.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: checkpoint was made with seed {metadata["seed"]}, this run uses {trainer.Options.Seed}");
        RestoreMasks(trainer.Model, file);
        using (var model = Unprefixed(CheckpointSections.Model, file)) StateDicts.Load(trainer.Model, model);
        using (var optimizer = Unprefixed(Optimizer, file)) OptimizerStates.Restore(trainer.Optimizer, optimizer);
        using (var init = Unprefixed(Init, file)) trainer.ReplaceInitialParameters(init);
        trainer.Epoch = position.Epoch;
        trainer.Step = position.Step;
        trainer.CumulativeGradientNorm = position.CumulativeGradientNorm;
        trainer.WallSeconds = position.WallSeconds;
        trainer.Scheduler?.Restore(position.SchedulerSteps, position.SchedulerBaseLearningRate);
        // The scheduler recomputes the rate from its position; without one, the optimizer's saved rate stands.
        return metadata;
    }

    /// <summary>Loads only the model's parameters and buffers (<c>model.*</c>) of a checkpoint written by
    /// <see cref="Save"/> into <paramref name="model"/>, e.g. the weights of the best epoch of a finished run.</summary>
    /// <exception cref="CorruptCheckpointException">The file is not an intact training checkpoint.</exception>
    public static void LoadModel(torch.nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var file = Read(path);
        Position.Parse(path, file.Metadata);
        using var state = Unprefixed(CheckpointSections.Model, file);
        StateDicts.Load(model, state);
    }

    /// <summary>Checks that <paramref name="path"/> is a readable, intact training checkpoint (checksum, format, metadata)
    /// without touching any trainer.</summary>
    /// <exception cref="CorruptCheckpointException">It is not.</exception>
    public static void Verify(string path)
    {
        using var file = Read(path);
        Position.Parse(path, file.Metadata);
    }

    private static SafeTensorsFile Read(string path)
    {
        SafeTensorsFile file;
        try
        {
            file = SafeTensors.Load(path);
        }
        catch (SafeTensorsException error)
        {
            throw new CorruptCheckpointException(path, error.Reason, error);
        }
        if (!file.Metadata.TryGetValue("symmetry.checkpoint", out var version) || version != FormatVersion)
        {
            file.Dispose();
            throw new CorruptCheckpointException(path, $"not a Symmetry training checkpoint (format {FormatVersion})");
        }
        return file;
    }

    /// <summary>Where the trainer stood when the checkpoint was written (its metadata, parsed).</summary>
    private sealed record Position(int Epoch, long Step, double CumulativeGradientNorm, double WallSeconds, long SchedulerSteps,
        double SchedulerBaseLearningRate)
    {
        internal static Position Parse(string path, IReadOnlyDictionary<string, string> metadata)
        {
            string Text(string key) => metadata.TryGetValue(key, out var value)
                ? value
                : throw new CorruptCheckpointException(path, $"metadata '{key}' is missing");
            T Number<T>(string key) where T : IParsable<T> => T.TryParse(Text(key), CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new CorruptCheckpointException(path, $"metadata '{key}' = '{Text(key)}' is not a number");
            _ = Text("seed");
            return new Position(Number<int>("epoch"), Number<long>("step"), Number<double>(MetricNames.CumulativeGradientNorm),
                Number<double>(MetricNames.WallSeconds), Number<long>("scheduler_steps"), Number<double>("scheduler_base_lr"));
        }
    }
}
