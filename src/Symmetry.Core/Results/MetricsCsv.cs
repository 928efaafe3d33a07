using System.Globalization;
using System.Text;

namespace Symmetry.Core.Results;

/// <summary>
/// The metrics of runs as one long CSV table, header <c>run_id,step,epoch,split,name,value</c>: invariant culture,
/// round-trip number formatting (<c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c> for non-finite values), RFC 4180
/// quoting (a field with a comma, quote, CR or LF is enclosed in quotes, quotes doubled) and CRLF line ends.
/// </summary>
public static class MetricsCsv
{
    /// <summary>The header line's fields.</summary>
    public static readonly IReadOnlyList<string> Header = ["run_id", "step", "epoch", "split", "name", "value"];

    /// <summary>Writes the metrics of <paramref name="runIds"/> (default: every run, oldest first) to
    /// <paramref name="path"/> atomically, creating its folder.</summary>
    /// <exception cref="KeyNotFoundException">A run id is not in the store.</exception>
    public static void Write(ResultsStore store, string path, IEnumerable<string>? runIds = null) =>
        AtomicFile.WriteAllText(path, ToCsv(store, runIds));

    /// <summary>The CSV text.</summary>
    public static string ToCsv(ResultsStore store, IEnumerable<string>? runIds = null)
    {
        var ids = runIds?.ToList() ?? store.Runs().Select(r => r.Id).ToList();
        var text = new StringBuilder();
        AppendLine(text, Header);
        foreach (var id in ids)
        {
            if (store.GetRun(id) is null) throw new KeyNotFoundException($"results store: no run '{id}'");
            foreach (var m in store.Metrics(id))
                AppendLine(text, [m.RunId, m.Step.ToString(CultureInfo.InvariantCulture), Number(m.Epoch), m.Split, m.Name, Number(m.Value)]);
        }
        return text.ToString();
    }

    /// <summary>One field, quoted per RFC 4180 when it holds a comma, a double quote, CR or LF.</summary>
    public static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void AppendLine(StringBuilder text, IReadOnlyList<string> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(Quote(fields[i]));
        }
        text.Append("\r\n");
    }
}
