using System.Globalization;
using System.Numerics;
using Microsoft.Data.Sqlite;

namespace Symmetry.Core.Results;

/// <summary>
/// The check before schema version 4, which turns the key/value mask statistics of versions 1–3 into typed rows: every
/// (run, stage, layer) group must hold exactly the statistics the library wrote (<see cref="Required"/>, plus the
/// derivable <c>permutation_digits</c>), each a number of its kind and the sparsity equal to zeros / weights, so the pivot loses nothing. Stores written by the
/// library always pass; hand-written rows with a missing, unknown or malformed statistic are refused.
/// </summary>
internal static class MaskStatsMigration
{
    /// <summary>The integer statistics of a group (the exact permutation count is checked as an integer too).</summary>
    private static readonly string[] Integers =
        ["weights", "zeros", "total_neurons", "zeroed_neurons", "unique_neurons", "surviving_neurons", "permutation_groups", "permutations"];

    /// <summary>Every statistic a group must hold.</summary>
    internal static readonly IReadOnlyList<string> Required = [.. Integers, "sparsity", "permutation_log10"];

    private const string Derived = "permutation_digits";

    /// <summary>Null when every group converts exactly; else the first group that does not, and why.</summary>
    internal static string? Refusal(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT run_id, stage, layer, key, value FROM mask_stats ORDER BY run_id, stage, layer";
        using var reader = command.ExecuteReader();
        (string Run, string Stage, string Layer)? group = null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var key = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            if (group != key)
            {
                if (group is { } done && Problem(values) is { } problem) return Describe(done, problem);
                group = key;
                values.Clear();
            }
            values[reader.GetString(3)] = reader.GetString(4);
        }
        return group is { } last && Problem(values) is { } lastProblem ? Describe(last, lastProblem) : null;
    }

    private static string Describe((string Run, string Stage, string Layer) group, string problem) =>
        $"the mask statistics of run '{group.Run}' (stage {group.Stage}, layer '{group.Layer}') {problem}, " +
        "and typed storage cannot keep that";

    private static string? Problem(Dictionary<string, string> values)
    {
        if (Required.FirstOrDefault(k => !values.ContainsKey(k)) is { } missing) return $"lack '{missing}'";
        if (values.Keys.FirstOrDefault(k => !Required.Contains(k) && k != Derived) is { } unknown) return $"hold an unknown statistic '{unknown}'";
        foreach (var key in Integers)
            if (!IsNonNegativeInteger(values[key], key == "permutations"))
                return $"hold '{values[key]}' for {key}, which is not a non-negative integer";
        foreach (var key in new[] { "sparsity", "permutation_log10" })
            if (!double.TryParse(values[key], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                return $"hold '{values[key]}' for {key}, which is not a number";
        // The pivot recomputes sparsity from the counts (exactly how it was computed before it became text).
        var weights = long.Parse(values["weights"], CultureInfo.InvariantCulture);
        var zeros = long.Parse(values["zeros"], CultureInfo.InvariantCulture);
        var sparsity = weights == 0 ? 0 : (double)zeros / weights;
        if (double.Parse(values["sparsity"], NumberStyles.Float, CultureInfo.InvariantCulture) != sparsity)
            return $"hold sparsity {values["sparsity"]}, which is not zeros / weights = {zeros} / {weights}";
        return null;
    }

    /// <summary>Digits only (as the pivot casts them); a 64-bit value unless <paramref name="big"/>.</summary>
    private static bool IsNonNegativeInteger(string text, bool big) =>
        text.Length > 0 && text.All(char.IsAsciiDigit)
        && (big ? BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _)
                : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _));
}
