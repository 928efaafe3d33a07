using System.Globalization;
using System.Text;

namespace Symmetry.Core.Models;

/// <summary>The fully connected family (<c>mnist-fc</c>, <c>lenet-300-100</c>): hidden widths, dropout, BatchNorm.
/// Null fields take the model's defaults (<see cref="ModelZoo.Describe"/>).</summary>
public sealed record MlpConfig : ModelConfig
{
    private readonly IReadOnlyList<int>? widths;

    /// <summary>1×28×28 inputs, 10 classes.</summary>
    public MlpConfig()
    {
    }

    /// <summary><paramref name="inputChannels"/>×<paramref name="imageSize"/>×<paramref name="imageSize"/> inputs,
    /// <paramref name="classes"/> classes.</summary>
    public MlpConfig(int inputChannels, int imageSize, int classes = 10) : base(inputChannels, imageSize, classes)
    {
    }

    /// <summary>Hidden widths (<c>mnist-fc</c>: 6×16; <c>lenet-300-100</c>: 300, 100). A copy is kept.</summary>
    public IReadOnlyList<int>? Widths { get => widths; init => widths = value?.ToArray(); }

    /// <summary>Dropout probability in [0, 1) after every hidden ReLU.</summary>
    public double? Dropout { get; init; }

    /// <summary>Whether a BatchNorm1d follows every hidden Linear.</summary>
    public bool? BatchNorm { get; init; }

    internal override IEnumerable<(string Field, bool Given)> FamilyFields() =>
        [(nameof(Widths), Widths is not null), (nameof(Dropout), Dropout is not null), (nameof(BatchNorm), BatchNorm is not null)];

    internal override string? FamilyProblem() =>
        Widths is { } w && (w.Count == 0 || w.Any(x => x < 1)) ? $"Widths must be non-empty and ≥ 1, got [{string.Join(", ", w)}]"
        : Dropout is { } p && p is not (>= 0 and < 1) ? $"Dropout must be in [0, 1), got {p.ToString(CultureInfo.InvariantCulture)}"
        : null;

    /// <summary>Field-by-field equality, widths compared element by element.</summary>
    public bool Equals(MlpConfig? other) =>
        base.Equals(other) && SameList(widths, other.widths) && Nullable.Equals(Dropout, other.Dropout) && BatchNorm == other.BatchNorm;

    /// <summary>A hash consistent with <see cref="Equals(MlpConfig?)"/>.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        AddList(ref hash, widths);
        hash.Add(Dropout);
        hash.Add(BatchNorm);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    protected override bool PrintMembers(StringBuilder builder)
    {
        base.PrintMembers(builder);
        Print(builder, nameof(Widths), widths);
        Print(builder, nameof(Dropout), Dropout);
        Print(builder, nameof(BatchNorm), BatchNorm);
        return true;
    }
}
