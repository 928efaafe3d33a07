namespace Symmetry.Cli.Slurm;

/// <summary>How a sweep is laid out as a SLURM job array. Null fields leave the cluster's defaults.</summary>
internal sealed record SlurmSettings
{
    /// <summary>Partition (<c>--partition</c>); null: the cluster's default.</summary>
    public string? Partition { get; init; }

    /// <summary>At most this many array tasks at once (<c>--array=…%N</c>); null: no limit.</summary>
    public int? ArrayParallelism { get; init; }

    /// <summary>Time limit per task (<c>--time</c>, e.g. <c>2:00:00</c>); null: the partition's.</summary>
    public string? Time { get; init; }

    /// <summary>GPUs per task (<c>--gpus</c>); 0 asks for none.</summary>
    public int Gpus { get; init; }

    /// <summary>Configs one array task runs, one after the other.</summary>
    public int ConfigsPerTask { get; init; } = 1;

    /// <summary>The first unusable setting, or null.</summary>
    public string? Problem() =>
        ConfigsPerTask < 1 ? $"--configs-per-task must be ≥ 1, got {ConfigsPerTask}"
        : ArrayParallelism is < 1 ? $"--array-parallelism must be ≥ 1, got {ArrayParallelism}"
        : Gpus < 0 ? $"--gpus must be ≥ 0, got {Gpus}"
        : null;
}
