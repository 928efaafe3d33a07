using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace Symmetry.Core.Models;

/// <summary>
/// What every zoo model is built for: the input (channels × size × size), the number of classes and the init scheme.
/// A plain <see cref="ModelConfig"/> asks for the family's defaults; each family's own fields live in its record
/// (<see cref="MlpConfig"/>, <see cref="ConvNetConfig"/>, <see cref="ResNetConfig"/>, <see cref="MyrtleConfig"/>,
/// <see cref="VggConfig"/>). <see cref="ModelZoo.Configure"/> turns a plain config into the model's family record, and
/// refuses another family's record or a field the model does not read, so that no setting is silently ignored.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "family")]
[JsonDerivedType(typeof(ModelConfig), "fixed")]
[JsonDerivedType(typeof(MlpConfig), "mlp")]
[JsonDerivedType(typeof(ConvNetConfig), "convnet")]
[JsonDerivedType(typeof(ResNetConfig), "resnet")]
[JsonDerivedType(typeof(MyrtleConfig), "myrtle")]
[JsonDerivedType(typeof(VggConfig), "vgg")]
public record ModelConfig
{
    /// <summary>A config for 1×28×28 inputs (MNIST-like) and 10 classes.</summary>
    public ModelConfig()
    {
    }

    /// <summary>A config for <paramref name="inputChannels"/>×<paramref name="imageSize"/>×<paramref name="imageSize"/>
    /// inputs and <paramref name="classes"/> classes.</summary>
    public ModelConfig(int inputChannels, int imageSize, int classes = 10)
    {
        InputChannels = inputChannels;
        ImageSize = imageSize;
        Classes = classes;
    }

    /// <summary>1×28×28 inputs, 10 classes (MNIST, Fashion-MNIST).</summary>
    public static ModelConfig Mnist => new(1, 28);

    /// <summary>3×32×32 inputs, 10 classes (CIFAR-10).</summary>
    public static ModelConfig Cifar10 => new(3, 32);

    /// <summary>Input channels C of (N, C, H, W) inputs. Default 1.</summary>
    public int InputChannels { get; init; } = 1;

    /// <summary>Input height = width. Default 28.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>Output classes (logits). Default 10.</summary>
    public int Classes { get; init; } = 10;

    /// <summary>Initialisation scheme; null = the family's default (He-uniform for LaPerm models, PyTorch's otherwise).</summary>
    public InitScheme? Init { get; init; }

    /// <summary>The input shape (C, H, W).</summary>
    [JsonIgnore]
    public long[] InputShape => [InputChannels, ImageSize, ImageSize];

    /// <summary>This config's family fields with whether each is set, for the zoo's "does not read" check.</summary>
    internal virtual IEnumerable<(string Field, bool Given)> FamilyFields() => [];

    /// <summary>The first out-of-range family field, or null.</summary>
    internal virtual string? FamilyProblem() => null;

    /// <summary>This family record with <paramref name="shape"/>'s input, classes and init (the family fields unset
    /// stay unset).</summary>
    internal ModelConfig WithShapeOf(ModelConfig shape) =>
        this with { InputChannels = shape.InputChannels, ImageSize = shape.ImageSize, Classes = shape.Classes, Init = shape.Init };

    /// <summary>Prints the input, classes and every set field.</summary>
    protected virtual bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Input = {InputChannels}x{ImageSize}x{ImageSize}, Classes = {Classes}");
        if (Init is { } init) builder.Append(", Init = ").Append(init);
        return true;
    }

    /// <summary>Appends ", name = value" when <paramref name="value"/> is set (lists in brackets, numbers invariant).</summary>
    private protected static void Print(StringBuilder builder, string name, object? value)
    {
        if (value is null) return;
        var text = value switch
        {
            IReadOnlyList<int> list => "[" + string.Join(", ", list) + "]",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        builder.Append(", ").Append(name).Append(" = ").Append(text);
    }

    /// <summary>Element-wise list equality, null equal only to null.</summary>
    private protected static bool SameList(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);

    /// <summary>Adds a list's elements (or its absence) to a hash.</summary>
    private protected static void AddList(ref HashCode hash, IReadOnlyList<int>? list)
    {
        hash.Add(list?.Count ?? -1);
        if (list is null) return;
        foreach (var x in list) hash.Add(x);
    }
}
