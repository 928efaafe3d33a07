using System.Globalization;

namespace Symmetry.Core.Masks;

/// <summary>A closed range of sparsities [<see cref="Low"/>, <see cref="High"/>], written <c>low,high</c>.</summary>
public readonly record struct SparsityRange(double Low, double High)
{
    /// <summary>Reads <c>low,high</c>.</summary>
    /// <exception cref="ArgumentException">Not two numbers.</exception>
    public static SparsityRange Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high)
            ? new SparsityRange(low, high)
            : throw new ArgumentException($"cannot read sparsity range '{text}': use two numbers low,high such as 0.5,0.99");
    }

    /// <summary>The problem with this range as sparsities (each in [0, 1], low ≤ high), or null.</summary>
    public string? Problem() =>
        !(Low is >= 0 and <= 1) || !(High is >= 0 and <= 1)
            ? string.Create(CultureInfo.InvariantCulture, $"sparsity range [{Low}, {High}] must lie in [0, 1]")
            : Low > High ? string.Create(CultureInfo.InvariantCulture, $"sparsity range [{Low}, {High}] is empty: low must not exceed high")
            : null;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Low},{High}");
}
