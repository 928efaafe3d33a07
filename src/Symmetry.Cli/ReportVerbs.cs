using System.CommandLine;
using System.Globalization;
using Microsoft.FSharp.Collections;
using Symmetry.Analysis;

namespace Symmetry.Cli;

/// <summary>The <c>report</c> verb (every table and figure of the store, analysis/) and the main job's figure.</summary>
internal static class ReportVerbs
{
    private static readonly Option<string?> Output = new("--out")
    {
        Description = "the report's folder (index.html, one HTML per figure, SVG/PNG, tables/*.csv); default: report/ beside the store",
    };

    /// <summary>Where a store's report goes unless told: <c>report/</c> beside it (results/report for the default store).</summary>
    private static string BesideStore(string database) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(database))!, "report");

    private static readonly Option<bool> NoImages = new("--no-images")
    {
        Description = "HTML only: skip the static SVG and PNG images (drawn by headless Chromium)",
    };

    internal static Command Report()
    {
        var command = new Command("report", "regenerate every table and figure from the store into a folder with an index.html")
        {
            Output, NoImages,
        };
        command.Options.Add(RunVerbs.Database);
        command.SetAction(parse => RunVerbs.Guarded(() =>
        {
            var database = parse.GetValue(RunVerbs.Database)!;
            var settings = new ReportSettings(parse.GetValue(Output) ?? BesideStore(database),
                parse.GetValue(NoImages) ? FSharpList<ImageFormat>.Empty : ReportSettings.Default.Images);
            var result = Analysis.Report.writeStore(settings, database);
            Describe(result);
            Console.WriteLine($"report: {result.Index}");
            return 0;
        }));
        return command;
    }

    /// <summary>The main job's last step: the weight-symmetry figure of the sweep's runs, its path printed.</summary>
    internal static void WriteSweepFigure(string database, IEnumerable<string> runIds)
    {
        var settings = new ReportSettings(BesideStore(database), ReportSettings.Default.Images);
        var result = Analysis.Report.writeRunsFigure(settings, "sweep", database, runIds);
        if (result.Figures.IsEmpty) return;
        Describe(result);
        string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);
        var images = result.Images.IsEmpty ? "" : $" (static: {string.Join(", ", result.Images.Select(Relative))})";
        Console.WriteLine($"figure: {Relative(result.Figures.Head)}{images}");
    }

    private static void Describe(ReportResult result)
    {
        var images = result.ImagesSkipped is { } reason
            ? $"static images skipped: {reason.Value}"
            : $"{result.Images.Length} static image(s)";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Figures.Length} figure(s), {result.Tables.Length} table(s), {images}; {result.Seconds:0.0} s"));
    }
}
