using System.Globalization;
using System.Text;

namespace Symmetry.Core.Models;

/// <summary>
/// What a zoo model is built for: the input (channels × size × size), the number of classes and, per model family,
/// optional architecture fields. A field left null takes the family's default (see <see cref="ModelZoo.Describe"/>);
/// a field a family does not use is refused when the model is created, so that no setting is silently ignored.
/// Two configs are equal when every field is (lists compared element by element).
/// </summary>
public sealed record ModelConfig
{
    private readonly IReadOnlyList<int>? widths;
    private readonly IReadOnlyList<int>? filters;

    /// <summary>A config for 1×28×28 inputs (MNIST-like) and 10 classes, every optional field at its default.</summary>
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

    /// <summary>Hidden widths of an MLP (<c>mnist-fc</c>: 6×16; <c>lenet-300-100</c>: 300, 100). A copy is kept.</summary>
    public IReadOnlyList<int>? Widths { get => widths; init => widths = value?.ToArray(); }

    /// <summary>Conv filters per layer (<c>mnist-cnn</c>: 16, 32; <c>cifar10-cnn</c>: 32, 32, 64, 64, 128, 128). A copy is kept.</summary>
    public IReadOnlyList<int>? Filters { get => filters; init => filters = value?.ToArray(); }

    /// <summary>Square conv kernel, odd ('same' padding) (<c>mnist-cnn</c>: 5; <c>cifar10-cnn</c>, <c>conv2/4/6</c>: 3).</summary>
    public int? Kernel { get; init; }

    /// <summary>Width of the hidden dense layer(s) (<c>mnist-cnn</c>: 64; <c>conv2/4/6</c>: 256; <c>conv13</c>: 512).</summary>
    public int? DenseWidth { get; init; }

    /// <summary>Dropout probability in [0, 1). For LaPerm models it replaces every one of their fixed rates.</summary>
    public double? Dropout { get; init; }

    /// <summary>Whether to add BatchNorm layers (where the family places them; see <see cref="ModelZoo.Describe"/>).</summary>
    public bool? BatchNorm { get; init; }

    /// <summary>Blocks per stage n of a CIFAR ResNet (depth 6n + 2). Default 8 (LaPerm's "ResNet-50").</summary>
    public int? ResNetN { get; init; }

    /// <summary>Depth: for <c>cifar-resnet</c> 6n + 2 (an alternative to <see cref="ResNetN"/>); for
    /// <c>myrtle-shankar</c> 5, 7 or 10.</summary>
    public int? Depth { get; init; }

    /// <summary>Channel width of the Myrtle nets (<c>myrtle-cnn</c>: 64, doubling per stage; <c>myrtle-shankar</c>: 128).</summary>
    public int? Width { get; init; }

    /// <summary>Initialisation scheme; null = the family's default (He-uniform for LaPerm models, PyTorch's otherwise).</summary>
    public InitScheme? Init { get; init; }

    /// <summary>The input shape (C, H, W).</summary>
    public long[] InputShape => [InputChannels, ImageSize, ImageSize];

    /// <summary>Field-by-field equality, lists compared element by element.</summary>
    public bool Equals(ModelConfig? other) =>
        other is not null
        && InputChannels == other.InputChannels && ImageSize == other.ImageSize && Classes == other.Classes
        && SameList(widths, other.widths) && SameList(filters, other.filters)
        && Kernel == other.Kernel && DenseWidth == other.DenseWidth && Nullable.Equals(Dropout, other.Dropout)
        && BatchNorm == other.BatchNorm && ResNetN == other.ResNetN && Depth == other.Depth && Width == other.Width
        && Init == other.Init;

    /// <summary>A hash consistent with <see cref="Equals(ModelConfig?)"/>.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(InputChannels);
        hash.Add(ImageSize);
        hash.Add(Classes);
        AddList(ref hash, widths);
        AddList(ref hash, filters);
        hash.Add(Kernel);
        hash.Add(DenseWidth);
        hash.Add(Dropout);
        hash.Add(BatchNorm);
        hash.Add(ResNetN);
        hash.Add(Depth);
        hash.Add(Width);
        hash.Add(Init);
        return hash.ToHashCode();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Input = {InputChannels}x{ImageSize}x{ImageSize}, Classes = {Classes}");
        void Add(string name, object? value)
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
        Add(nameof(Widths), widths);
        Add(nameof(Filters), filters);
        Add(nameof(Kernel), Kernel);
        Add(nameof(DenseWidth), DenseWidth);
        Add(nameof(Dropout), Dropout);
        Add(nameof(BatchNorm), BatchNorm);
        Add(nameof(ResNetN), ResNetN);
        Add(nameof(Depth), Depth);
        Add(nameof(Width), Width);
        Add(nameof(Init), Init);
        return true;
    }

    private static bool SameList(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);

    private static void AddList(ref HashCode hash, IReadOnlyList<int>? list)
    {
        hash.Add(list?.Count ?? -1);
        if (list is null) return;
        foreach (var x in list) hash.Add(x);
    }
}
