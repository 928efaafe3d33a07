using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Symmetry.Core.Experiments.WeightSymmetry;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Training;
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

    private static readonly Argument<string> Driver = new("driver") { Description = string.Join(" | ", DriverSettings.Names) };
    private static readonly Option<string> Model = new("--model") { DefaultValueFactory = _ => "mnist-fc", Description = "zoo model" };
    private static readonly Option<string?> Widths = new("--widths") { Description = "hidden widths, e.g. 16,16,16" };
    private static readonly Option<double> Dropout = new("--dropout") { Description = "dropout after hidden layers" };
    private static readonly Option<bool> BatchNorm = new("--batch-norm") { Description = "BatchNorm after hidden layers" };
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
    private static readonly Option<bool> MaskOutputLayer = new("--mask-output-layer") { Description = "mask the output layer too (the original never does)" };
    private static readonly Option<string> SeedsOption = new("--seeds") { DefaultValueFactory = _ => "42", Description = "seeds: 0..4, 1,5,9" };
    private static readonly Option<ulong?> MaskSeed = new("--mask-seed") { Description = "fixed mask seed (default: each run's seed)" };
    private static readonly Option<string?> Mask = new("--mask") { Description = "mask type: random, bernoulli, symmetric, per-neuron, per-neuron-no-input-ablation" };
    private static readonly Option<double?> Sparsity = new("--sparsity") { Description = "fraction of zeros" };
    private static readonly Option<string?> SparsityRange = new("--sparsity-range") { Description = "low,high for random-mask" };
    private static readonly Option<string?> PruneSchedule = new("--prune-schedule") { Description = "epoch:sparsity,... e.g. 0:0.5,2:0.8" };
    private static readonly Option<bool> PruneScheduleOriginal = new("--prune-schedule-original") { Description = "prune as the original code does: only the epoch-0 steps fire" };
    private static readonly Option<long?> Budget = new("--budget") { Description = "weight budget for fixed-param" };
    private static readonly Option<int?> Depth = new("--depth") { Description = "depth for fixed-param" };
    private static readonly Option<double?> WidthMultiplier = new("--width-multiplier") { Description = "width ratio a for fixed-param" };
    private static readonly Option<bool> SparseInit = new("--sparse-init") { Description = "re-initialise from each neuron's masked fan-in" };
    private static readonly Option<bool> NoPropagate = new("--no-propagate") { Description = "keep dead units' connections" };

    private static readonly Option<string> SweepSeeds = new("--seeds") { DefaultValueFactory = _ => Joined(WeightSymmetrySweep.DefaultSeeds) };
    private static readonly Option<string> SweepSparsities = new("--sparsities") { DefaultValueFactory = _ => Joined(WeightSymmetrySweep.DefaultSparsities) };
    private static readonly Option<string?> SweepMasks = new("--masks") { Description = "mask types (default: all)" };
    private static readonly Option<int> SweepEpochs = new("--epochs") { DefaultValueFactory = _ => 2, Description = $"epochs of the {DefaultRecipe} recipe" };

    private const string DefaultRecipe = "seed-000";

    internal static void AddCommon(Command command)
    {
        foreach (var option in new Option[] { Database, DataPath, Threads, DeviceName, Verbose }) command.Options.Add(option);
    }

    internal static Command Run()
    {
        var command = new Command("run", "run a weight-symmetry driver for one or more seeds") { Driver };
        foreach (var option in new Option[] { Model, Widths, Dropout, BatchNorm, Recipe, Epochs, Batch, LearningRate, WeightDecay, Optimizer,
                     Momentum, Nesterov, ScheduleName, SeedsOption, MaskSeed, Mask, Sparsity, SparsityRange, PruneSchedule, PruneScheduleOriginal, Budget, Depth,
                     WidthMultiplier, SparseInit, NoPropagate, MaskOutputLayer })
            command.Options.Add(option);
        AddCommon(command);
        command.SetAction(parse => Guarded(() =>
        {
            var template = new WeightSymmetryConfig
            {
                Driver = DriverFrom(parse),
                Model = parse.GetValue(Model)!,
                Widths = parse.GetValue(Widths) is { } w ? SeedList.ParseInts(w, "widths") : null,
                Dropout = parse.GetValue(Dropout),
                BatchNorm = parse.GetValue(BatchNorm),
                Data = parse.GetValue(DataPath),
                Training = TrainingRecipes.Named(parse.GetValue(Recipe)!).Override(parse.GetValue(Optimizer), parse.GetValue(LearningRate),
                    parse.GetValue(WeightDecay), parse.GetValue(Momentum), parse.GetValue(Nesterov), parse.GetValue(ScheduleName),
                    parse.GetValue(Batch), parse.GetValue(Epochs)),
                SparseInit = parse.GetValue(SparseInit),
                Propagate = !parse.GetValue(NoPropagate),
                MaskOutputLayer = parse.GetValue(MaskOutputLayer),
            };
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
        foreach (var option in new Option[] { SweepSeeds, SweepSparsities, SweepMasks, SweepEpochs }) command.Options.Add(option);
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
            var configs = WeightSymmetrySweep.Configs(template, masks,
                SeedList.ParseDoubles(parse.GetValue(SweepSparsities)!, "sparsities"), SeedList.Parse(parse.GetValue(SweepSeeds)!));
            return Execute(parse, configs, printTable: true);
        }));
        return command;
    }

    private static int Execute(ParseResult parse, IReadOnlyList<WeightSymmetryConfig> configs, bool printTable)
    {
        // Every config is checked before the store is opened: a bad one writes nothing.
        foreach (var config in configs) config.Validate();
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
        var results = new List<(WeightSymmetryConfig, RunOutcome)>();
        for (var i = 0; i < configs.Count; i++)
        {
            var outcome = driver.Run(configs[i]);
            results.Add((configs[i], outcome));
            var how = outcome.Reused ? "reused" : outcome.ResumedFromEpoch is { } e ? $"resumed from epoch {e}" : "trained";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{i + 1}/{configs.Count}] {outcome.RunId} {Describe(configs[i])}: best test accuracy {outcome.TestAccuracy:0.0000}, permutation_log10 {outcome.PermutationLog10:0.00} ({how})"));
        }
        if (printTable) ResultsTable.Print(WeightSymmetrySweep.Table(results));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{configs.Count} run(s) in {clock.Elapsed.TotalSeconds:0.0} s; store {parse.GetValue(Database)}"));
        if (printTable) ReportVerbs.WriteSweepFigure(parse.GetValue(Database)!, results.Select(r => r.Item2.RunId));
        return 0;
    }

    private static string Joined<T>(IEnumerable<T> values) where T : IFormattable =>
        string.Join(",", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture)));

    /// <summary>The driver record from its name and the flags it takes; a flag it needs and lacks is named.</summary>
    private static DriverSettings DriverFrom(ParseResult parse)
    {
        MaskType MaskOf(string driver) => parse.GetValue(Mask) is { } name
            ? MaskTypes.Parse(name)
            : throw new ArgumentException($"{driver} needs a mask type (--mask {string.Join("|", MaskTypes.Names)})");
        return parse.GetValue(Driver) switch
        {
            "train" => new TrainDriver(),
            "prune" => new PruneDriver
            {
                Schedule = parse.GetValue(PruneSchedule) is { } p ? ParseSchedule(p) : [],
                Original = parse.GetValue(PruneScheduleOriginal),
            },
            "shuffled-mask" => new ShuffledMaskDriver
            {
                Mask = MaskOf("shuffled-mask"),
                Sparsity = parse.GetValue(Sparsity) ?? throw new ArgumentException("shuffled-mask needs a sparsity (--sparsity 0.9)"),
            },
            "random-mask" => parse.GetValue(SparsityRange) is { } r && SeedList.ParseDoubles(r, "sparsity range") is { Count: 2 } range
                ? new RandomMaskDriver { Mask = MaskOf("random-mask"), Low = range[0], High = range[1] }
                : throw new ArgumentException("random-mask needs a sparsity range of two values (--sparsity-range 0.5,0.99)"),
            "fixed-param" => new FixedParamDriver
            {
                Mask = MaskOf("fixed-param"),
                Sparsity = parse.GetValue(Sparsity) ?? 0,
                Budget = parse.GetValue(Budget) ?? throw new ArgumentException("fixed-param needs a parameter budget (--budget 20000)"),
                Depth = parse.GetValue(Depth) ?? throw new ArgumentException("fixed-param needs a depth (--depth 4)"),
                WidthMultiplier = parse.GetValue(WidthMultiplier) ?? 1,
            },
            var other => throw new ArgumentException($"unknown driver '{other}'; known drivers: {string.Join(", ", DriverSettings.Names)}"),
        };
    }

    private static string Describe(WeightSymmetryConfig c) => c.Driver switch
    {
        ShuffledMaskDriver d => string.Create(CultureInfo.InvariantCulture, $"{d.Name} {c.Model} {MaskTypes.Name(d.Mask)} s={d.Sparsity} seed {c.Seed}"),
        FixedParamDriver d => string.Create(CultureInfo.InvariantCulture, $"{d.Name} {c.Model} {MaskTypes.Name(d.Mask)} s={d.Sparsity} seed {c.Seed}"),
        RandomMaskDriver d => string.Create(CultureInfo.InvariantCulture, $"{d.Name} {c.Model} {MaskTypes.Name(d.Mask)} s∈[{d.Low}, {d.High}] seed {c.Seed}"),
        var d => string.Create(CultureInfo.InvariantCulture, $"{d.Name} {c.Model} seed {c.Seed}"),
    };

    private static IReadOnlyList<PruneStep> ParseSchedule(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
        {
            var pieces = part.Split(':');
            return pieces.Length == 2 && int.TryParse(pieces[0], CultureInfo.InvariantCulture, out var epoch)
                && double.TryParse(pieces[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var sparsity)
                ? new PruneStep(epoch, sparsity)
                : throw new ArgumentException($"cannot read pruning schedule '{text}': use epoch:sparsity pairs such as 0:0.5,2:0.8");
        }).ToList();

    /// <summary>Turns configuration mistakes, an unusable store and an unloadable libtorch into a one-line message and
    /// exit code 2.</summary>
    internal static int Guarded(Func<int> action)
    {
        try
        {
            return action();
        }
        // NotSupportedException: a store this version cannot open (newer, or not convertible), a model it cannot analyse.
        catch (Exception error) when (error is ArgumentException or NotSupportedException or Symmetry.Core.Data.DataFormatException or TorchRuntimeException)
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
