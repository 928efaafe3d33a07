namespace Symmetry.Core.Models;

/// <summary>The VGG family (<c>vgg-16</c>): BatchNorm on or off.</summary>
public sealed record VggConfig : ModelConfig
{
    /// <summary>1×28×28 inputs, 10 classes.</summary>
    public VggConfig()
    {
    }

    /// <summary><paramref name="inputChannels"/>×<paramref name="imageSize"/>×<paramref name="imageSize"/> inputs,
    /// <paramref name="classes"/> classes.</summary>
    public VggConfig(int inputChannels, int imageSize, int classes = 10) : base(inputChannels, imageSize, classes)
    {
    }

    /// <summary>Whether every conv is followed by a BatchNorm2d.</summary>
    public bool? BatchNorm { get; init; }

    internal override IEnumerable<(string Field, bool Given)> FamilyFields() => [(nameof(BatchNorm), BatchNorm is not null)];
}
