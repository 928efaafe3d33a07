using System.CommandLine;
using Symmetry.Cli;

var root = new RootCommand("symmetry — weight-symmetry experiments on libtorch, recorded in a SQLite results store")
{
    RunVerbs.Run(),
    RunVerbs.Sweep(),
    ExportVerbs.Summary(),
    ExportVerbs.Metrics(),
    ExportVerbs.States(),
};
return root.Parse(args).Invoke();
