using System.Globalization;

namespace Symmetry.Cli;

/// <summary>Parses seed lists: <c>0..4</c> (inclusive), <c>1,5,9</c>, or a mix <c>0..2,10</c>.</summary>
internal static class SeedList
{
    internal static IReadOnlyList<ulong> Parse(string text)
    {
        var seeds = new List<ulong>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split("..");
            if (range.Length == 2 && ulong.TryParse(range[0], CultureInfo.InvariantCulture, out var low)
                && ulong.TryParse(range[1], CultureInfo.InvariantCulture, out var high) && low <= high && high - low < 100_000)
                for (var s = low; s <= high; s++) seeds.Add(s);
            else if (range.Length == 1 && ulong.TryParse(part, CultureInfo.InvariantCulture, out var single)) seeds.Add(single);
            else throw new ArgumentException($"cannot read seeds '{text}': use 0..4, 1,5,9 or a mix such as 0..2,10");
        }
        if (seeds.Count == 0) throw new ArgumentException("no seeds given");
        return seeds.Distinct().ToList();
    }

    internal static IReadOnlyList<double> ParseDoubles(string text, string what) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v : throw new ArgumentException($"cannot read {what} '{text}': expected comma-separated numbers"))
            .ToList();

    internal static IReadOnlyList<int> ParseInts(string text, string what) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                ? v : throw new ArgumentException($"cannot read {what} '{text}': expected comma-separated integers"))
            .ToList();
}
