using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Symmetry.Core.Experiments;
using Symmetry.Core.Experiments.WeightSymmetry;
using Symmetry.Core.Results;

namespace Symmetry.Cli.Slurm;

/// <summary>Where a config of a SLURM sweep stands, read from its task's shard store.</summary>
internal enum ConfigState
{
    /// <summary>No run yet (not started, or its task never ran).</summary>
    Pending,
    /// <summary>A run being trained now.</summary>
    Running,
    /// <summary>A run that started and was killed (cancelled, preempted, out of time): it resumes when resubmitted.</summary>
    Interrupted,
    /// <summary>A run that failed with an error.</summary>
    Failed,
    /// <summary>A finished run.</summary>
    Done,
}

/// <summary>One config of a sweep with its array task and state.</summary>
internal sealed record ConfigStatus(int Index, int Task, string RunId, string Description, ConfigState State);

/// <summary>
/// A sweep as a SLURM job array: configs in order, <see cref="SlurmSettings.ConfigsPerTask"/> per array task. Each
/// task runs its configs into its own shard store (<c>task-K/shard.db</c>, checkpoints beside it: SQLite must not be
/// shared across nodes), in the sweep's folder <c>sweeps/&lt;key&gt;</c> beside the main store; the key hashes the
/// configs' run ids, so the same sweep always finds the same folder. Submitting again sends only the tasks with an
/// unfinished config that are not already queued; a killed run resumes from its shard's checkpoints.
/// </summary>
internal sealed class SlurmSweep
{
    private readonly IReadOnlyList<WeightSymmetryConfig> configs;
    private readonly int configsPerTask;

    public SlurmSweep(string storePath, IReadOnlyList<WeightSymmetryConfig> configs, int configsPerTask)
    {
        this.configs = configs;
        this.configsPerTask = configsPerTask;
        Key = CanonicalJson.Sha256(string.Join("\n", configs.Select(c => c.RunId)) + $"\nper-task {configsPerTask}")[..12];
        Folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(storePath))!, "sweeps", Key);
    }

    /// <summary>The sweep's key (12 hex digits).</summary>
    public string Key { get; }

    /// <summary>The sweep's folder: sweep.json, the batch script, logs and one folder per task.</summary>
    public string Folder { get; }

    /// <summary>The SLURM job name of every submission of this sweep.</summary>
    public string JobName => "symmetry-" + Key;

    /// <summary>Array tasks.</summary>
    public int TaskCount => (configs.Count + configsPerTask - 1) / configsPerTask;

    /// <summary>The configs array task <paramref name="task"/> runs.</summary>
    public IReadOnlyList<WeightSymmetryConfig> ConfigsOf(int task) =>
        task >= 0 && task < TaskCount
            ? configs.Skip(task * configsPerTask).Take(configsPerTask).ToList()
            : throw new ArgumentException($"--slurm-task {task} is outside this sweep's tasks 0..{TaskCount - 1}");

    /// <summary>The shard store of array task <paramref name="task"/>.</summary>
    public string ShardPath(int task) => Path.Combine(Folder, $"task-{task.ToString(CultureInfo.InvariantCulture)}", "shard.db");

    /// <summary>Every config's state, from the shards (a missing shard: pending).</summary>
    public IReadOnlyList<ConfigStatus> Status(Func<WeightSymmetryConfig, string> describe)
    {
        var states = new List<ConfigStatus>();
        for (var task = 0; task < TaskCount; task++)
        {
            var shard = ShardPath(task);
            using var store = File.Exists(shard) ? ResultsStore.Open(shard) : null;
            foreach (var (config, offset) in ConfigsOf(task).Select((c, i) => (c, i)))
            {
                states.Add(new ConfigStatus(task * configsPerTask + offset, task, config.RunId, describe(config), StateOf(store, config.RunId)));
            }
        }
        return states;
    }

    /// <summary>The state of run <paramref name="runId"/> in a shard (null: no shard yet).</summary>
    internal static ConfigState StateOf(ResultsStore? shard, string runId) => shard?.GetRun(runId)?.Status switch
    {
        RunStatus.Finished => ConfigState.Done,
        RunStatus.Failed => ConfigState.Failed,
        RunStatus.Running => ConfigState.Running,
        RunStatus.Interrupted => ConfigState.Interrupted,
        _ => ConfigState.Pending,
    };

    /// <summary>Writes sweep.json and the batch script, then submits the tasks that have an unfinished config and are
    /// not queued already. Returns the job id (null when nothing needed submitting) and the tasks submitted.</summary>
    /// <exception cref="InvalidOperationException">sbatch refused the job (its message is included).</exception>
    public (string? JobId, IReadOnlyList<int> Tasks) Submit(SlurmSettings settings, IReadOnlyList<string> taskArguments,
        IReadOnlyList<ConfigStatus> status)
    {
        var queued = QueuedTasks();
        var tasks = status.Where(s => s.State != ConfigState.Done).Select(s => s.Task).Distinct()
            .Where(t => !queued.Contains(t)).Order().ToList();
        if (tasks.Count == 0) return (null, tasks);
        Directory.CreateDirectory(Path.Combine(Folder, "logs"));
        File.WriteAllText(Path.Combine(Folder, "sweep.json"), JsonSerializer.Serialize(new
        {
            key = Key,
            tasks = TaskCount,
            configsPerTask,
            configs = status.Select(s => new { s.Index, s.Task, s.RunId, s.Description }),
        }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        var script = Path.Combine(Folder, "sweep.sbatch");
        File.WriteAllText(script, BatchScript(settings, taskArguments));
        var array = string.Join(",", tasks) + (settings.ArrayParallelism is { } n ? $"%{n}" : "");
        var (code, output, error) = Tool("sbatch", ["--parsable", $"--array={array}", script]);
        if (code != 0)
            throw new InvalidOperationException($"sbatch refused the sweep (exit {code}): {RunVerbs.OneLine(error + " " + output)}");
        var jobId = output.Trim().Split(';')[0];
        File.AppendAllText(Path.Combine(Folder, "submissions.txt"),
            $"{ResultsStoreTimestamp()} job {jobId} tasks {string.Join(",", tasks)}{Environment.NewLine}");
        return (jobId, tasks);
    }

    /// <summary>The batch script: one array task runs its configs with the same sweep flags into its shard.</summary>
    private string BatchScript(SlurmSettings settings, IReadOnlyList<string> taskArguments)
    {
        var text = new StringBuilder();
        text.AppendLine("#!/bin/bash");
        text.AppendLine($"#SBATCH --job-name={JobName}");
        text.AppendLine($"#SBATCH --output={Path.Combine(Folder, "logs", "task-%a.out")}");
        text.AppendLine("#SBATCH --cpus-per-task=1");
        if (settings.Partition is { } partition) text.AppendLine($"#SBATCH --partition={partition}");
        if (settings.Time is { } time) text.AppendLine($"#SBATCH --time={time}");
        if (settings.Gpus > 0) text.AppendLine($"#SBATCH --gpus={settings.Gpus}");
        text.AppendLine($"# Written by `symmetry sweep --slurm`: {TaskCount} task(s), {configsPerTask} config(s) each, each into its own");
        text.AppendLine("# shard store under this folder. Merge them with `symmetry merge <this folder> --into <store>`.");
        text.AppendLine("set -euo pipefail");
        var command = SelfCommand().Concat(["sweep", .. taskArguments]).Select(Shell);
        text.AppendLine($"exec {string.Join(" ", command)} --slurm-task \"$SLURM_ARRAY_TASK_ID\" " +
                        $"--db {Shell(Folder)}/task-\"$SLURM_ARRAY_TASK_ID\"/shard.db");
        return text.ToString();
    }

    /// <summary>Array tasks of this sweep waiting or running in the queue (none when squeue is unavailable).</summary>
    private HashSet<int> QueuedTasks()
    {
        try
        {
            var (code, output, _) = Tool("squeue", ["--noheader", "--array", $"--name={JobName}", "--format=%K"]);
            return code != 0 ? [] : output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.TryParse(t, CultureInfo.InvariantCulture, out var task) ? task : -1).Where(t => t >= 0).ToHashSet();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }

    /// <summary>How to start this tool again: the apphost, or <c>dotnet symmetry.dll</c>.</summary>
    private static IEnumerable<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(SlurmSweep).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, dll] : [process];
    }

    private static string Shell(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string ResultsStoreTimestamp() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Runs a SLURM client tool; throws Win32Exception when it is not installed.</summary>
    internal static (int Code, string Output, string Error) Tool(string name, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(name, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }
}
