using System.CommandLine;
using Symmetry.Core.Experiments;
using Symmetry.Core.Results;

namespace Symmetry.Cli;

/// <summary>Verbs that read the store: JSON summary, metrics CSV, the state DAG as Graphviz DOT.</summary>
internal static class ExportVerbs
{
    internal static Command Summary() => Export("summary", "JSON summary keyed by run id (pandas.read_json(path, orient=\"index\"))",
        "results/summary.json", (store, path) => SummaryJson.Write(store, path));

    internal static Command Metrics() => Export("metrics", "every recorded metric as CSV", "results/metrics.csv",
        (store, path) => MetricsCsv.Write(store, path));

    internal static Command States() => Export("states", "the experiment-state tree as Graphviz DOT", "results/states.dot",
        (store, path) => File.WriteAllText(path, StateGraph.ToDot(store.States())));

    private static Command Export(string name, string description, string defaultPath, Action<ResultsStore, string> write)
    {
        var output = new Option<string>("--out") { DefaultValueFactory = _ => defaultPath, Description = "output file" };
        var command = new Command(name, description) { output };
        command.Options.Add(RunVerbs.Database);
        command.SetAction(parse => RunVerbs.Guarded(() =>
        {
            var database = parse.GetValue(RunVerbs.Database)!;
            if (!File.Exists(database)) throw new ArgumentException($"no results store at {database}: run `symmetry sweep` or `symmetry run` first, or pass --db");
            using var store = ResultsStore.Open(database);
            var path = parse.GetValue(output)!;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            write(store, path);
            Console.WriteLine($"wrote {path}");
            return 0;
        }));
        return command;
    }
}
