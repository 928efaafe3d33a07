using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Symmetry.Cli.Slurm;
using Symmetry.Core.Results;

namespace Symmetry.Cli;

/// <summary>The <c>merge</c> and <c>status</c> verbs: shard stores of a SLURM sweep into one store, and where a sweep
/// stands.</summary>
internal static class ClusterVerbs
{
    private static readonly Argument<string[]> Sources = new("sources")
    {
        Arity = ArgumentArity.OneOrMore,
        Description = "shard stores (.db), or sweep folders (every task-*/shard.db in them)",
    };
    private static readonly Option<string> Into = new("--into") { Description = "the store to merge into", DefaultValueFactory = _ => ResultsStore.DefaultPath };
    private static readonly Argument<string> SweepFolder = new("sweep") { Description = "a sweep folder (printed by sweep --slurm)" };

    internal static Command Merge()
    {
        var command = new Command("merge", "merge shard stores (a SLURM sweep's tasks) into one store; idempotent, a finished run wins over a running one")
            { Sources, Into };
        command.SetAction(parse => RunVerbs.Guarded(() =>
        {
            // Every source is found before the target store is opened: a wrong path writes nothing.
            var shards = parse.GetValue(Sources)!.SelectMany(ShardsOf).ToList();
            using var store = ResultsStore.Open(parse.GetValue(Into)!);
            var total = new MergeReport(0, 0, 0, 0);
            foreach (var shard in shards)
            {
                var report = store.Merge(shard);
                Console.WriteLine($"{shard}: {Describe(report)}");
                total = new MergeReport(total.Added + report.Added, total.Replaced + report.Replaced, total.Kept + report.Kept, total.States + report.States);
            }
            Console.WriteLine($"{shards.Count} shard(s) into {store.DatabasePath}: {Describe(total)}");
            return 0;
        }));
        return command;
    }

    internal static Command Status()
    {
        var command = new Command("status", "where a SLURM sweep stands: done / running / failed / pending per config, from its shard stores")
            { SweepFolder };
        command.SetAction(parse => RunVerbs.Guarded(() =>
        {
            var folder = Path.GetFullPath(parse.GetValue(SweepFolder)!);
            var manifest = Path.Combine(folder, "sweep.json");
            if (!File.Exists(manifest)) throw new ArgumentException($"'{folder}' is not a sweep folder (no sweep.json): give the folder sweep --slurm printed");
            using var json = JsonDocument.Parse(File.ReadAllText(manifest));
            var counts = new Dictionary<ConfigState, int>();
            foreach (var config in json.RootElement.GetProperty("configs").EnumerateArray())
            {
                var task = config.GetProperty("task").GetInt32();
                var runId = config.GetProperty("runId").GetString()!;
                var shard = Path.Combine(folder, $"task-{task.ToString(CultureInfo.InvariantCulture)}", "shard.db");
                using var store = File.Exists(shard) ? ResultsStore.Open(shard) : null;
                var state = SlurmSweep.StateOf(store, runId);
                counts[state] = counts.GetValueOrDefault(state) + 1;
                Console.WriteLine($"task {task,3}  {state.ToString().ToLowerInvariant(),-8} {runId}  {config.GetProperty("description").GetString()}");
            }
            Console.WriteLine(string.Join(", ", Enum.GetValues<ConfigState>().Reverse().Select(s => $"{counts.GetValueOrDefault(s)} {s.ToString().ToLowerInvariant()}")));
            return 0;
        }));
        return command;
    }

    private static IEnumerable<string> ShardsOf(string source)
    {
        if (File.Exists(source)) return [Path.GetFullPath(source)];
        if (Directory.Exists(source))
        {
            var shards = Directory.GetDirectories(source, "task-*").Select(d => Path.Combine(d, "shard.db")).Where(File.Exists)
                .Order(StringComparer.Ordinal).ToList();
            return shards.Count > 0 ? shards : throw new ArgumentException($"'{source}' holds no task-*/shard.db: is it a sweep folder whose tasks have run?");
        }
        throw new ArgumentException($"'{source}' is neither a store nor a sweep folder");
    }

    private static string Describe(MergeReport r) => $"{r.Added} run(s) added, {r.Replaced} replaced, {r.Kept} kept, {r.States} state(s) added";
}
