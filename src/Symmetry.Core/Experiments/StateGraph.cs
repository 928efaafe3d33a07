using System.Text;
using System.Text.Json.Nodes;
using Symmetry.Core.Results;

namespace Symmetry.Core.Experiments;

/// <summary>Draws the recorded state tree as Graphviz DOT: one node per state (key prefix and recipe), one edge per
/// parent → child.</summary>
public static class StateGraph
{
    /// <summary>DOT text for <paramref name="records"/>.</summary>
    public static string ToDot(IEnumerable<StateRecord> records)
    {
        var text = new StringBuilder("digraph states {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n");
        var list = records.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        foreach (var record in list)
            text.Append($"  \"{record.Key}\" [label=\"{record.Key[..12]}\\n{Escape(Label(record))}\"];\n");
        foreach (var record in list.Where(r => r.ParentKey is not null))
            text.Append($"  \"{record.ParentKey}\" -> \"{record.Key}\";\n");
        return text.Append("}\n").ToString();
    }

    private static string Label(StateRecord record)
    {
        var recipe = JsonNode.Parse(record.StateJson)?["recipe"]?.AsObject();
        if (recipe is null) return record.Kind;
        var arguments = recipe.Where(p => p.Key != "kind").Select(p => $"{p.Key}={p.Value?.ToJsonString()}");
        return $"{record.Kind}({string.Join(", ", arguments)})";
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
