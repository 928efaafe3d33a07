using System.CommandLine;
using Symmetry.Torch;

namespace Symmetry.Cli;

/// <summary>The <c>symmetry</c> tool as a function of its arguments, so that tests can run it in-process (standard
/// output and error are the console's: a caller may redirect them).</summary>
public static class SymmetryTool
{
    /// <summary>Runs the tool with <paramref name="args"/>; returns its exit code (0 done, 2 bad input or an unusable
    /// store, with one line on standard error).</summary>
    public static int Run(string[] args)
    {
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
            ClusterVerbs.Merge(),
            ClusterVerbs.Status(),
            ReportVerbs.Report(),
            ExportVerbs.Summary(),
            ExportVerbs.Metrics(),
            ExportVerbs.States(),
        };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = Console.Out, Error = Console.Error });
    }
}
