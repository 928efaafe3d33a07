using System.Numerics;
using System.Reflection;
using Symmetry.Torch;
using TorchSharp;

namespace Symmetry.Core.Results;

/// <summary>Where a run stands. Only <see cref="ResultsStore.FinishRun"/> makes a run <see cref="Finished"/>.</summary>
public enum RunStatus
{
    /// <summary>Started (or resumed), not yet finished, and a process holds its lease: being trained now.</summary>
    Running,
    /// <summary><see cref="ResultsStore.FinishRun"/> committed.</summary>
    Finished,
    /// <summary><see cref="ResultsStore.FailRun"/> recorded an error; the run may be resumed.</summary>
    Failed,
    /// <summary>Started and not finished, but no process holds its lease: killed (or its machine went down); the next
    /// <see cref="ResultsStore.BeginRun"/> resumes it.</summary>
    Interrupted,
}

/// <summary>What <see cref="ResultsStore.BeginRun"/> found.</summary>
public enum RunStart
{
    /// <summary>No run with this id existed: it was created, status running.</summary>
    Created,
    /// <summary>A running (killed) or failed run existed: it was reopened, status running; resume it from
    /// <see cref="ResultsStore.LatestCheckpoint"/>.</summary>
    Resumed,
    /// <summary>The run already finished: nothing changed; the caller skips it.</summary>
    AlreadyFinished,
}

/// <summary>The runtime a run executes in, recorded with it (ARCHITECTURE rule 11).</summary>
/// <param name="LibraryVersion">Version of the Symmetry library.</param>
/// <param name="LibTorchVersion">Version of libtorch TorchSharp runs on, e.g. <c>2.10.0</c>.</param>
/// <param name="Threads">libtorch intra-op threads.</param>
/// <param name="Device">Device the run computes on, e.g. <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="Batched">Trained at once with other networks of its architecture (<c>BatchedTrainer</c>) rather than
/// alone; its records are otherwise those a sequential run writes.</param>
public sealed record RuntimeInfo(string LibraryVersion, string LibTorchVersion, int Threads, string Device, bool Batched = false)
{
    /// <summary>The version of this library (informational version of <c>Symmetry.Core</c>).</summary>
    public static string CurrentLibraryVersion =>
        typeof(RuntimeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(RuntimeInfo).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The version of libtorch TorchSharp was built for (its libtorch package version, three components).</summary>
    public static string CurrentLibTorchVersion
    {
        get
        {
            TorchRuntime.Ensure();
            var text = torch.__version__;
            return Version.TryParse(text, out var version) && version.Build >= 0 ? version.ToString(3) : text;
        }
    }

    /// <summary>The runtime of this process for a run on <paramref name="device"/> (loads the native library). A CUDA
    /// device without an index is recorded as <c>cuda:0</c>, as before.</summary>
    public static RuntimeInfo Capture(torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        TorchRuntime.Ensure();
        var name = device.type == DeviceType.CUDA && device.index < 0 ? "cuda:0" : device.ToString();
        return new(CurrentLibraryVersion, CurrentLibTorchVersion, torch.get_num_threads(), name);
    }
}

/// <summary>One row of the <c>runs</c> table.</summary>
/// <param name="Id">Run id (primary key).</param>
/// <param name="Kind">Experiment kind, e.g. <c>shuffled_mask</c>.</param>
/// <param name="ConfigJson">The run's configuration as JSON.</param>
/// <param name="Seed">Master seed (stored as the 64-bit pattern in an SQLite INTEGER).</param>
/// <param name="Status">Lifecycle status.</param>
/// <param name="CreatedAt">When the run was first begun.</param>
/// <param name="StartedAt">When the run was last begun or resumed.</param>
/// <param name="FinishedAt">When <see cref="ResultsStore.FinishRun"/> committed, or the failure time.</param>
/// <param name="WallSeconds">Wall time reported by <see cref="ResultsStore.FinishRun"/>.</param>
/// <param name="Runtime">Runtime recorded by the latest <see cref="ResultsStore.BeginRun"/>.</param>
/// <param name="Error">Error recorded by <see cref="ResultsStore.FailRun"/> (cleared on resume).</param>
public sealed record RunRecord(
    string Id, string Kind, string ConfigJson, ulong Seed, RunStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, double? WallSeconds,
    RuntimeInfo Runtime, string? Error);

/// <summary>One recorded metric value.</summary>
/// <param name="RunId">Run id.</param>
/// <param name="Step">Optimizer step of the evaluation.</param>
/// <param name="Epoch">Epoch (fractional between epoch ends).</param>
/// <param name="Split">Grouping label, e.g. <c>eval</c>, <c>train</c> or <c>test</c>.</param>
/// <param name="Name">Metric name, e.g. <c>test_accuracy</c>.</param>
/// <param name="Value">Value (NaN is stored as SQL NULL and read back as NaN).</param>
public sealed record MetricRow(string RunId, long Step, double Epoch, string Split, string Name, double Value);

/// <summary>The mask statistics of one layer (or of the whole model) of a run at one stage, as stored (see
/// <see cref="Masks.MaskStatistics"/> for what each count means).</summary>
/// <param name="RunId">Run id.</param>
/// <param name="Stage"><see cref="MaskStage.Mask"/> or <see cref="MaskStage.Propagated"/>.</param>
/// <param name="Layer">The layer's weight name, or <c>""</c> for the whole model.</param>
/// <param name="Weights">Weights (the model row: of the masked layers).</param>
/// <param name="Zeros">Masked (zero) weights.</param>
/// <param name="Sparsity">Zeros / weights (0 without weights).</param>
/// <param name="TotalNeurons">Neurons.</param>
/// <param name="ZeroedNeurons">Neurons with an all-zero incoming row.</param>
/// <param name="UniqueNeurons">Distinct incoming rows among the other neurons.</param>
/// <param name="SurvivingNeurons">Neurons that take part in the permutation count.</param>
/// <param name="PermutationGroups">Classes of surviving neurons with equal patterns.</param>
/// <param name="Permutations">The exact number of neuron permutations the mask still allows.</param>
/// <param name="PermutationLog10">log10(<paramref name="Permutations"/> + 1).</param>
public sealed record MaskStatRow(
    string RunId, string Stage, string Layer, long Weights, long Zeros, double Sparsity, long TotalNeurons,
    long ZeroedNeurons, long UniqueNeurons, long SurvivingNeurons, long PermutationGroups, BigInteger Permutations,
    double PermutationLog10)
{
    /// <summary>True for the whole-model row.</summary>
    public bool IsModel => Layer.Length == 0;

    /// <summary>Decimal digits of <see cref="Permutations"/>.</summary>
    public int PermutationDigits => Masks.MaskStatistics.Digits(Permutations);

    /// <summary>The statistics under the keys of <see cref="Masks.MaskStatistics.ToFlat"/>, in key order: counts as
    /// <see cref="long"/>, <c>permutations</c> as an exact <see cref="BigInteger"/>, ratios and logarithms as
    /// <see cref="double"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> ToFlat() =>
    [
        new("permutation_digits", (long)PermutationDigits),
        new("permutation_groups", PermutationGroups),
        new("permutation_log10", PermutationLog10),
        new("permutations", Permutations),
        new("sparsity", Sparsity),
        new("surviving_neurons", SurvivingNeurons),
        new("total_neurons", TotalNeurons),
        new("unique_neurons", UniqueNeurons),
        new("weights", Weights),
        new("zeroed_neurons", ZeroedNeurons),
        new("zeros", Zeros),
    ];
}

/// <summary>One metric of a best snapshot.</summary>
/// <param name="RunId">Run id.</param>
/// <param name="Criterion"><see cref="BestCriterion.TestAccuracy"/> or <see cref="BestCriterion.TrainLoss"/>.</param>
/// <param name="Step">Step of the best evaluation.</param>
/// <param name="Epoch">Epoch of the best evaluation.</param>
/// <param name="Name">Metric name.</param>
/// <param name="Value">Value at that evaluation.</param>
public sealed record BestRow(string RunId, string Criterion, long Step, double Epoch, string Name, double Value);

/// <summary>A checkpoint file recorded for a run.</summary>
/// <param name="RunId">Run id.</param>
/// <param name="Epoch">Epochs completed when it was written.</param>
/// <param name="Step">Optimizer steps when it was written.</param>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="CreatedAt">When it was recorded.</param>
public sealed record CheckpointRecord(string RunId, int Epoch, long Step, string Path, DateTimeOffset CreatedAt);

/// <summary>An experiment state: a node of the experiment DAG, content-addressed by <paramref name="Key"/>.</summary>
/// <param name="Key">Content hash of the state.</param>
/// <param name="ParentKey">The state it was derived from; null for a root.</param>
/// <param name="Kind">What produced it, e.g. <c>init</c>, <c>train</c>, <c>prune</c>.</param>
/// <param name="StateJson">The state's canonical JSON.</param>
/// <param name="CheckpointPath">Absolute path of its weights, if any.</param>
/// <param name="CreatedAt">When it was first stored.</param>
public sealed record StateRecord(
    string Key, string? ParentKey, string Kind, string StateJson, string? CheckpointPath, DateTimeOffset CreatedAt);

/// <summary>Names of the best-snapshot criteria (ALGORITHMS §1), as used in the store and the JSON summary.</summary>
public static class BestCriterion
{
    /// <summary>The evaluation with the highest test accuracy.</summary>
    public const string TestAccuracy = "best_test_acc";
    /// <summary>The evaluation with the lowest training loss.</summary>
    public const string TrainLoss = "best_train_loss";
}

/// <summary>Names of the mask-statistics stages, as used in the store and the JSON summary.</summary>
public static class MaskStage
{
    /// <summary>The mask as generated.</summary>
    public const string Mask = "mask";
    /// <summary>The mask after dead-unit propagation.</summary>
    public const string Propagated = "propagated_mask";
}
