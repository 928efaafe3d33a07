using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Symmetry.Core.Experiments.WeightSymmetry;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Training;
using Symmetry.Cli.Slurm;
using Symmetry.Torch;

namespace Symmetry.Cli;

/// <summary>The <c>run</c> and <c>sweep</c> verbs: weight-symmetry runs recorded in the results store.</summary>
internal static class RunVerbs
{
    internal static readonly Option<string> Database = new("--db") { Description = "results store (SQLite)", DefaultValueFactory = _ => Core.Results.ResultsStore.DefaultPath };
    internal static readonly Option<string?> DataPath = new("--data") { Description = "data directory (MNIST IDX or CIFAR-10 binary); default Fashion-MNIST" };
    internal static readonly Option<int> Threads = new("--threads") { Description = "libtorch intra-op threads, at least 1 (1 is fastest for small MLPs; more oversubscribes a busy machine)", DefaultValueFactory = _ => 1 };
    internal static readonly Option<string> DeviceName = new("--device") { Description = "cpu, cuda or cuda:N (CUDA needs TorchSharp's CUDA package)", DefaultValueFactory = _ => "cpu" };
    internal static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "print every evaluation" };
    internal static readonly Option<int> BatchModels = new("--batch-models")
    {
        DefaultValueFactory = _ => WeightSymmetrySweep.DefaultBatchModels,
        Description = "train up to this many runs of one MLP architecture and training setting at once, each recorded as its own run (1: one at a time)",
    };

    private static readonly Argument<string> Driver = new("driver") { Description = string.Join(" | ", DriverSettings.Names) };
    // The run's own settings and each driver's, as flags derived from their records (names, help, defaults).
    private static readonly SettingsFlags ConfigFlags = new([typeof(WeightSymmetryConfig)]);
    private static readonly SettingsFlags DriverFlags = new(DriverSettings.Types.Values, type => DriverSettings.Types.First(t => t.Value == type).Key);
    // Training flags override the recipe; their defaults are the recipe's, stated once in TrainingRecipes.
    private static readonly Option<string> Recipe = new("--recipe")
    {
        DefaultValueFactory = _ => DefaultRecipe,
        Description = $"training recipe, overridden by the flags below: {string.Join(", ", TrainingRecipes.Names)} ({DefaultRecipe}: {TrainingRecipes.Named(DefaultRecipe).Describe()})",
    };
    private static readonly Option<int?> Epochs = new("--epochs") { Description = "epochs (default: the recipe's)" };
    private static readonly Option<int?> Batch = new("--batch") { Description = "batch size (default: the recipe's)" };
    private static readonly Option<double?> LearningRate = new("--lr") { Description = "learning rate (default: the recipe's)" };
    private static readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "weight decay (default: the recipe's; decoupled for adamw)" };
    private static readonly Option<string?> Optimizer = new("--optimizer") { Description = $"{string.Join(" | ", OptimizerSettings.Names)} (default: the recipe's)" };
    private static readonly Option<double?> Momentum = new("--momentum") { Description = "SGD momentum" };
    private static readonly Option<bool?> Nesterov = new("--nesterov") { Description = "SGD Nesterov momentum" };
    private static readonly Option<string?> ScheduleName = new("--schedule") { Description = $"{string.Join(" | ", ScheduleSettings.Names)} (default: the recipe's)" };
    private static readonly Option<string> SeedsOption = new("--seeds") { DefaultValueFactory = _ => "42", Description = "seeds: 0..4, 1,5,9" };
    private static readonly Option<ulong?> MaskSeed = new("--mask-seed") { Description = "fixed mask seed (default: each run's seed)" };

    private static readonly Option<string> SweepSeeds = new("--seeds") { DefaultValueFactory = _ => Joined(WeightSymmetrySweep.DefaultSeeds) };
    private static readonly Option<string> SweepSparsities = new("--sparsities") { DefaultValueFactory = _ => Joined(WeightSymmetrySweep.DefaultSparsities) };
    private static readonly Option<string?> SweepMasks = new("--masks") { Description = "mask types (default: all)" };
    private static readonly Option<int> SweepEpochs = new("--epochs") { DefaultValueFactory = _ => 2, Description = $"epochs of the {DefaultRecipe} recipe" };

    private static readonly Option<bool> SubmitToSlurm = new("--slurm") { Description = "submit the sweep as a SLURM job array (one shard store per task) instead of running it here" };
    private static readonly SettingsFlags SlurmFlags = new([typeof(SlurmSettings)]);
    private static readonly Option<int?> SlurmTask = new("--slurm-task") { Hidden = true, Description = "run one array task of a --slurm sweep" };

    private const string DefaultRecipe = "seed-000";

    internal static void AddCommon(Command command)
    {
        foreach (var option in new Option[] { Database, DataPath, Threads, DeviceName, Verbose, BatchModels }) command.Options.Add(option);
    }

    internal static Command Run()
    {
        var command = new Command("run", "run a weight-symmetry driver for one or more seeds") { Driver };
        foreach (var option in new Option[] { Recipe, Epochs, Batch, LearningRate, WeightDecay, Optimizer, Momentum, Nesterov, ScheduleName,
                     SeedsOption, MaskSeed }.Concat(ConfigFlags.Options).Concat(DriverFlags.Options))
            command.Options.Add(option);
        AddCommon(command);
        command.SetAction(parse => Guarded(() =>
        {
            var driver = DriverSettings.Create(parse.GetValue(Driver)!);
            if (driver is TrainDriver or PruneDriver && parse.GetResult(MaskSeed) is { Implicit: false })
                throw new ArgumentException($"--mask-seed applies to the mask drivers (shuffled-mask, random-mask, fixed-param), not to {driver.Name}");
            var template = ConfigFlags.Bind(parse, new WeightSymmetryConfig
            {
                Driver = DriverFlags.Bind(parse, driver, driver.Name, DriverSettings.Types.Values),
                Data = parse.GetValue(DataPath),
                Training = TrainingRecipes.Named(parse.GetValue(Recipe)!).Override(parse.GetValue(Optimizer), parse.GetValue(LearningRate),
                    parse.GetValue(WeightDecay), parse.GetValue(Momentum), parse.GetValue(Nesterov), parse.GetValue(ScheduleName),
                    parse.GetValue(Batch), parse.GetValue(Epochs)),
            }, "run");
            var fixedMaskSeed = parse.GetValue(MaskSeed);
            var configs = SeedList.Parse(parse.GetValue(SeedsOption)!)
                .Select(seed => template with { Seed = seed, MaskSeed = fixedMaskSeed ?? seed }).ToList();
            return Execute(parse, configs, printTable: false);
        }));
        return command;
    }

    internal static Command Sweep()
    {
        var command = new Command("sweep", "the main job: mask types × sparsities × seeds on MNIST_FC 6×16, then a table");
        foreach (var option in new Option[] { SweepSeeds, SweepSparsities, SweepMasks, SweepEpochs, SubmitToSlurm, SlurmTask }.Concat(SlurmFlags.Options))
            command.Options.Add(option);
        AddCommon(command);
        command.SetAction(parse => Guarded(() =>
        {
            var template = new WeightSymmetryConfig
            {
                Model = "mnist-fc", Widths = [16, 16, 16, 16, 16, 16], Data = parse.GetValue(DataPath),
                Training = TrainingRecipes.Named(DefaultRecipe) with { Epochs = parse.GetValue(SweepEpochs) },
            };
            var masks = parse.GetValue(SweepMasks) is { } m
                ? m.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(MaskTypes.Parse).ToList()
                : null;
            if (masks is { Count: 0 }) throw new ArgumentException($"--masks names no mask type: give some of {string.Join(",", MaskTypes.Names)}, or drop it for all");
            var sparsities = SeedList.ParseDoubles(parse.GetValue(SweepSparsities)!, "sparsities");
            if (sparsities.Count == 0) throw new ArgumentException("--sparsities names no sparsity: give some, e.g. --sparsities 0.5,0.75");
            var configs = WeightSymmetrySweep.Configs(template, masks, sparsities, SeedList.Parse(parse.GetValue(SweepSeeds)!));
            var slurm = SlurmFlags.Bind(parse, new SlurmSettings(), "--slurm");
            if (slurm.Problem() is { } problem) throw new ArgumentException(problem);
            if (!parse.GetValue(SubmitToSlurm) && parse.GetValue(SlurmTask) is null && SlurmFlags.GivenFlags(parse) is [var flag, ..])
                throw new ArgumentException($"{flag} applies to SLURM sweeps: add --slurm");
            if (parse.GetValue(SubmitToSlurm))
            {
                // Run ids name the data's fingerprint: the sweep's key and the shard lookups must use the ids the tasks
                // store. (A task picks its configs by index and its driver adds the fingerprint when it loads the data.)
                using var splits = Core.Data.DataSets.Load(template.Data);
                configs = configs.Select(c => WeightSymmetryDriver.WithData(c, splits)).ToList();
            }
            var sweep = new SlurmSweep(parse.GetValue(Database)!, configs, slurm.ConfigsPerTask);
            if (parse.GetValue(SlurmTask) is { } task) return Execute(parse, sweep.ConfigsOf(task), printTable: false);
            return parse.GetValue(SubmitToSlurm) ? SubmitSweep(parse, sweep, slurm, configs) : Execute(parse, configs, printTable: true);
        }));
        return command;
    }

    private static int Execute(ParseResult parse, IReadOnlyList<WeightSymmetryConfig> configs, bool printTable)
    {
        // Every config is checked before the store is opened: a bad one writes nothing.
        foreach (var config in configs) config.Validate();
        var batchModels = parse.GetValue(BatchModels);
        if (batchModels < 1) throw new ArgumentException($"--batch-models {batchModels}: the number of models per batch must be at least 1 (1 trains one run at a time)");
        var device = DeviceChoice.Parse(parse.GetValue(DeviceName)!);
        var clock = Stopwatch.StartNew();
        using var session = new Session(parse.GetValue(Threads), device);
        var verbose = parse.GetValue(Verbose);
        // Then against the data and the models (is every mask possible?), still before the store exists.
        foreach (var config in configs) WeightSymmetryDriver.Preflight(config, session.Data(config.Data));
        var driver = new WeightSymmetryDriver(session.OpenStore(parse.GetValue(Database)!), session.Data, device)
        {
            CallbacksFor = verbose
                ? id => [Core.Training.Callbacks.OnEvaluation((_, m) => Console.WriteLine($"  {id} {Core.Training.ConsoleProgress.Describe(m)}"))]
                : null,
        };
        var done = 0;
        var outcomes = driver.RunAll(configs, batchModels, (i, outcome) =>
        {
            var how = outcome.Reused ? "reused" : outcome.ResumedFromEpoch is { } e ? $"resumed from epoch {e}" : "trained";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{++done}/{configs.Count}] {outcome.RunId} {Describe(configs[i])}: best test accuracy {outcome.TestAccuracy:0.0000}, permutation_log10 {outcome.PermutationLog10:0.00} ({how})"));
        });
        var results = configs.Zip(outcomes).ToList();
        if (printTable) ResultsTable.Print(WeightSymmetrySweep.Table(results));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{configs.Count} run(s) in {clock.Elapsed.TotalSeconds:0.0} s; store {parse.GetValue(Database)}"));
        if (printTable) ReportVerbs.WriteSweepFigure(parse.GetValue(Database)!, results.Select(r => r.Item2.RunId));
        return 0;
    }

    /// <summary>Checks every config, then submits the sweep's unfinished tasks; the tasks rerun this verb with the same
    /// sweep flags and <c>--slurm-task</c>.</summary>
    private static int SubmitSweep(ParseResult parse, SlurmSweep sweep, SlurmSettings slurm, IReadOnlyList<WeightSymmetryConfig> configs)
    {
        foreach (var config in configs) config.Validate();
        _ = DeviceChoice.Parse(parse.GetValue(DeviceName)!);
        var status = sweep.Status(Describe);
        string[] arguments =
        [
            "--seeds", parse.GetValue(SweepSeeds)!, "--sparsities", parse.GetValue(SweepSparsities)!,
            "--epochs", parse.GetValue(SweepEpochs).ToString(CultureInfo.InvariantCulture),
            "--threads", parse.GetValue(Threads).ToString(CultureInfo.InvariantCulture), "--device", parse.GetValue(DeviceName)!,
            "--configs-per-task", slurm.ConfigsPerTask.ToString(CultureInfo.InvariantCulture),
            "--batch-models", parse.GetValue(BatchModels).ToString(CultureInfo.InvariantCulture),
            .. parse.GetValue(SweepMasks) is { } masks ? new[] { "--masks", masks } : [],
            .. parse.GetValue(DataPath) is { } data ? new[] { "--data", Path.GetFullPath(data) } : [],
        ];
        (string? JobId, IReadOnlyList<int> Tasks) submitted;
        try
        {
            submitted = sweep.Submit(slurm, arguments, status);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ArgumentException("sbatch was not found: run where SLURM's client tools are installed, or drop --slurm to run here");
        }
        var done = status.Count(s => s.State == ConfigState.Done);
        Console.WriteLine(submitted.JobId is { } job
            ? $"submitted job {job}: task(s) {string.Join(",", submitted.Tasks)} of {sweep.TaskCount} ({done} of {configs.Count} config(s) already done)"
            : done == configs.Count ? $"nothing to submit: all {done} config(s) done"
            : $"nothing to submit: {done} of {configs.Count} config(s) done, the others' tasks are queued");
        Console.WriteLine($"sweep folder {sweep.Folder}");
        Console.WriteLine($"progress:  symmetry status {sweep.Folder}");
        Console.WriteLine($"when done: symmetry merge {sweep.Folder} --into {parse.GetValue(Database)}");
        return 0;
    }

    private static string Joined<T>(IEnumerable<T> values) where T : IFormattable =>
        string.Join(",", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture)));

    internal static string Describe(WeightSymmetryConfig c) => c.Driver switch
    {
        ShuffledMaskDriver d => string.Create(CultureInfo.InvariantCulture, $"{d.Name} {c.Model} {MaskTypes.Name(d.Mask)} s={d.Sparsity} seed {c.Seed}"),
        FixedParamDriver d => string.Create(CultureInfo.InvariantCulture, $"{d.Name} {c.Model} {MaskTypes.Name(d.Mask)} s={d.Sparsity} seed {c.Seed}"),
        RandomMaskDriver d => string.Create(CultureInfo.InvariantCulture, $"{d.Name} {c.Model} {MaskTypes.Name(d.Mask)} s∈[{d.SparsityRange.Low}, {d.SparsityRange.High}] seed {c.Seed}"),
        var d => string.Create(CultureInfo.InvariantCulture, $"{d.Name} {c.Model} seed {c.Seed}"),
    };

    /// <summary>Turns configuration mistakes, bad data, an unusable store (not writable, not a database, corrupt, newer),
    /// a run another process is training and an unloadable libtorch into a one-line message and exit code 2.</summary>
    internal static int Guarded(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception error) when (error is ArgumentException or Symmetry.Core.Data.DataFormatException or TorchRuntimeException
                                          or Core.Results.ResultsStoreException or Core.Results.RunLeasedException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {OneLine(Plain(error))}");
            return 2;
        }
    }

    /// <summary>An exception's own message, without the "(Parameter 'x')" and "Actual value was …" that
    /// ArgumentException and ArgumentOutOfRangeException append (our messages already name the value).</summary>
    internal static string Plain(Exception error) => error switch
    {
        ArgumentOutOfRangeException range when range.ParamName is { } name =>
            Strip(range.Message.Split(Environment.NewLine)[0], name),
        ArgumentException argument when argument.ParamName is { } name => Strip(argument.Message, name),
        _ => error.Message,
    };

    private static string Strip(string message, string parameter)
    {
        var suffix = $" (Parameter '{parameter}')";
        var cut = message.IndexOf(suffix, StringComparison.Ordinal);
        return cut < 0 ? message : message[..cut];
    }

    /// <summary>A message on one line (a loader's message may span several).</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
