using System.Globalization;
using System.Text;

namespace Symmetry.Core.Models;

/// <summary>The plain convolutional family (<c>mnist-cnn</c>, <c>cifar10-cnn</c>, <c>conv-2/4/6</c>, <c>conv7</c>,
/// <c>conv13</c>, <c>laperm-conv2/4</c>): filters, kernel, dense width, dropout, BatchNorm. Each model reads the
/// fields its layout has (<see cref="ModelZoo.Describe"/>); null fields take its defaults.</summary>
public sealed record ConvNetConfig : ModelConfig
{
    private readonly IReadOnlyList<int>? filters;

    /// <summary>1×28×28 inputs, 10 classes.</summary>
    public ConvNetConfig()
    {
    }

    /// <summary><paramref name="inputChannels"/>×<paramref name="imageSize"/>×<paramref name="imageSize"/> inputs,
    /// <paramref name="classes"/> classes.</summary>
    public ConvNetConfig(int inputChannels, int imageSize, int classes = 10) : base(inputChannels, imageSize, classes)
    {
    }

    /// <summary>Conv filters per layer (<c>mnist-cnn</c>: 16, 32; <c>cifar10-cnn</c>: 32, 32, 64, 64, 128, 128). A copy is kept.</summary>
    public IReadOnlyList<int>? Filters { get => filters; init => filters = value?.ToArray(); }

    /// <summary>Square conv kernel, odd ('same' padding) (<c>mnist-cnn</c>: 5; <c>cifar10-cnn</c>, <c>conv-2/4/6</c>: 3).</summary>
    public int? Kernel { get; init; }

    /// <summary>Width of the hidden dense layer(s) (<c>mnist-cnn</c>: 64; <c>conv-2/4/6</c>: 256; <c>conv13</c>: 512).</summary>
    public int? DenseWidth { get; init; }

    /// <summary>Dropout probability in [0, 1). For LaPerm models it replaces every one of their fixed rates.</summary>
    public double? Dropout { get; init; }

    /// <summary>Whether to add BatchNorm layers where the model places them.</summary>
    public bool? BatchNorm { get; init; }

    internal override IEnumerable<(string Field, bool Given)> FamilyFields() =>
    [
        (nameof(Filters), Filters is not null), (nameof(Kernel), Kernel is not null), (nameof(DenseWidth), DenseWidth is not null),
        (nameof(Dropout), Dropout is not null), (nameof(BatchNorm), BatchNorm is not null),
    ];

    internal override string? FamilyProblem() =>
        Filters is { } f && (f.Count == 0 || f.Any(x => x < 1)) ? $"Filters must be non-empty and ≥ 1, got [{string.Join(", ", f)}]"
        : Kernel is { } k && (k < 1 || k % 2 == 0) ? $"Kernel must be odd and ≥ 1 ('same' padding), got {k}"
        : DenseWidth is < 1 ? $"DenseWidth must be ≥ 1, got {DenseWidth}"
        : Dropout is { } p && p is not (>= 0 and < 1) ? $"Dropout must be in [0, 1), got {p.ToString(CultureInfo.InvariantCulture)}"
        : null;

    /// <summary>Field-by-field equality, filters compared element by element.</summary>
    public bool Equals(ConvNetConfig? other) =>
        base.Equals(other) && SameList(filters, other.filters) && Kernel == other.Kernel && DenseWidth == other.DenseWidth
        && Nullable.Equals(Dropout, other.Dropout) && BatchNorm == other.BatchNorm;

    /// <summary>A hash consistent with <see cref="Equals(ConvNetConfig?)"/>.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        AddList(ref hash, filters);
        hash.Add(Kernel);
        hash.Add(DenseWidth);
        hash.Add(Dropout);
        hash.Add(BatchNorm);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    protected override bool PrintMembers(StringBuilder builder)
    {
        base.PrintMembers(builder);
        Print(builder, nameof(Filters), filters);
        Print(builder, nameof(Kernel), Kernel);
        Print(builder, nameof(DenseWidth), DenseWidth);
        Print(builder, nameof(Dropout), Dropout);
        Print(builder, nameof(BatchNorm), BatchNorm);
        return true;
    }
}
