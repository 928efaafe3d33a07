using System.CommandLine;
using Symmetry.Cli;
using Symmetry.Torch;

// TorchSharp's natives first (design rule 2): a missing or unloadable libtorch is a one-line error, not a stack trace.
try
{
    TorchRuntime.Ensure();
}
catch (TorchRuntimeException error)
{
    Console.Error.WriteLine($"error: {RunVerbs.OneLine(error.Message)}");
    return 2;
}

var root = new RootCommand("symmetry — weight-symmetry experiments on TorchSharp, recorded in a SQLite results store")
{
    RunVerbs.Run(),
    RunVerbs.Sweep(),
    ExportVerbs.Summary(),
    ExportVerbs.Metrics(),
    ExportVerbs.States(),
    ReportVerbs.Report(),
};
return root.Parse(args).Invoke();
