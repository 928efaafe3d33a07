namespace Symmetry.Core.Models;

/// <summary>The Myrtle family (<c>myrtle-cnn</c>, <c>myrtle-shankar</c>): channel width, depth, BatchNorm.</summary>
public sealed record MyrtleConfig : ModelConfig
{
    /// <summary>1×28×28 inputs, 10 classes.</summary>
    public MyrtleConfig()
    {
    }

    /// <summary><paramref name="inputChannels"/>×<paramref name="imageSize"/>×<paramref name="imageSize"/> inputs,
    /// <paramref name="classes"/> classes.</summary>
    public MyrtleConfig(int inputChannels, int imageSize, int classes = 10) : base(inputChannels, imageSize, classes)
    {
    }

    /// <summary>Channel width (<c>myrtle-cnn</c>: 64, doubling per stage; <c>myrtle-shankar</c>: 128).</summary>
    public int? Width { get; init; }

    /// <summary>Depth of <c>myrtle-shankar</c>: 5, 7 or 10.</summary>
    public int? Depth { get; init; }

    /// <summary>Whether every conv is followed by a BatchNorm2d.</summary>
    public bool? BatchNorm { get; init; }

    internal override IEnumerable<(string Field, bool Given)> FamilyFields() =>
        [(nameof(Width), Width is not null), (nameof(Depth), Depth is not null), (nameof(BatchNorm), BatchNorm is not null)];

    internal override string? FamilyProblem() =>
        Width is < 1 ? $"Width must be ≥ 1, got {Width}"
        : Depth is { } d && d is not (5 or 7 or 10) ? $"Depth must be 5, 7 or 10, got {d}"
        : null;
}
