namespace Symmetry.Core.Models;

/// <summary>The optional <see cref="ModelConfig"/> fields a model family reads.</summary>
[Flags]
internal enum ConfigField
{
    None = 0,
    Widths = 1 << 0,
    Filters = 1 << 1,
    Kernel = 1 << 2,
    DenseWidth = 1 << 3,
    Dropout = 1 << 4,
    BatchNorm = 1 << 5,
    ResNetN = 1 << 6,
    Depth = 1 << 7,
    Width = 1 << 8,
}

/// <summary>One entry of the zoo: its name, a description with its defaults, the config fields it reads, its default
/// init scheme and the function that lays out its layers on a <see cref="LayerStack"/>.</summary>
internal sealed record ModelDefinition(
    string Name,
    string Description,
    ConfigField Fields,
    InitScheme DefaultInit,
    Action<LayerStack, ModelConfig> Build);
