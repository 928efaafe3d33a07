namespace Symmetry.Core.Models;

/// <summary>The CIFAR ResNet family (<c>cifar-resnet</c>): depth 6n + 2, given as blocks per stage n or as the depth.</summary>
public sealed record ResNetConfig : ModelConfig
{
    /// <summary>1×28×28 inputs, 10 classes.</summary>
    public ResNetConfig()
    {
    }

    /// <summary><paramref name="inputChannels"/>×<paramref name="imageSize"/>×<paramref name="imageSize"/> inputs,
    /// <paramref name="classes"/> classes.</summary>
    public ResNetConfig(int inputChannels, int imageSize, int classes = 10) : base(inputChannels, imageSize, classes)
    {
    }

    /// <summary>Basic blocks per stage n (depth 6n + 2). Default 8 (LaPerm's "ResNet-50").</summary>
    public int? BlocksPerStage { get; init; }

    /// <summary>Depth 6n + 2, an alternative to <see cref="BlocksPerStage"/>.</summary>
    public int? Depth { get; init; }

    internal override IEnumerable<(string Field, bool Given)> FamilyFields() =>
        [(nameof(BlocksPerStage), BlocksPerStage is not null), (nameof(Depth), Depth is not null)];

    internal override string? FamilyProblem() =>
        BlocksPerStage is < 1 ? $"BlocksPerStage must be ≥ 1, got {BlocksPerStage}"
        : Depth is { } d && (d < 8 || (d - 2) % 6 != 0) ? $"Depth must be 6n + 2 with n ≥ 1 (8, 14, 20, 26, 32, …, 50, 56, 110), got {d}"
        : BlocksPerStage is { } n && Depth is { } depth && depth != 6 * n + 2 ? $"BlocksPerStage = {n} and Depth = {depth} disagree (depth = 6n + 2)"
        : null;
}
