using System.Globalization;
using Symmetry.Torch;
using static TorchSharp.torch;

namespace Symmetry.Core.Models;

/// <summary>
/// The registry of models by name. <see cref="Create"/> builds a <see cref="ZooModel"/> for a <see cref="ModelConfig"/>,
/// drawing its initial weights from an explicit generator. A config is checked before anything is allocated: an
/// unknown name, a field the family does not use, an out-of-range value or an input too small for the model's
/// layers throws <see cref="ArgumentException"/> saying what is wrong.
/// </summary>
public static class ModelZoo
{
    private const int LargestSizeSearched = 1024;

    private static readonly ModelDefinition[] Definitions =
    [
        .. MlpModels.Definitions(),
        .. SmallConvModels.Definitions(),
        .. LotteryConvModels.Definitions(),
        .. LaPermModels.Definitions(),
        .. ResNetModels.Definitions(),
        .. MyrtleModels.Definitions(),
        .. VggModels.Definitions(),
    ];

    private static readonly Dictionary<string, ModelDefinition> ByName =
        Definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Every model name, in registry order.</summary>
    public static IReadOnlyList<string> Names { get; } = Definitions.Select(d => d.Name).ToArray();

    /// <summary>The architecture of <paramref name="name"/>, with its defaults and the config fields it reads.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static string Describe(string name)
    {
        var definition = Find(name);
        var fields = FieldNames(definition.Fields);
        return $"{definition.Name}: {definition.Description} Config fields: InputChannels, ImageSize, Classes, Init (default {definition.DefaultInit})"
            + (fields.Count > 0 ? ", " + string.Join(", ", fields) : "") + ".";
    }

    /// <summary>The init scheme <paramref name="name"/> uses when the config leaves <see cref="ModelConfig.Init"/> null.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static InitScheme DefaultInit(string name) => Find(name).DefaultInit;

    /// <summary>
    /// Builds model <paramref name="name"/> for <paramref name="config"/> on the CPU (move it with <c>model.to(device)</c>,
    /// before building an optimizer). Every Linear and Conv2d is initialised with the config's init scheme (or the
    /// family's default), drawing from <paramref name="generator"/> layer by layer in definition order, weight then bias
    /// (null: libtorch's global generator); TorchSharp's own default-init draws in the layer constructors are undone, so
    /// the global generator is touched only when <paramref name="generator"/> is null. Dropout layers
    /// (<see cref="SeededDropout"/>) draw their masks from <paramref name="dropoutGenerator"/> (null: the global
    /// generator); the model does not own either generator. The model owns its parameters and buffers (they belong to
    /// no dispose scope): dispose the model to free them.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name; a config field the model does not use or out of range; an input
    /// too small for the model's layers (the message names the layer and the smallest input size that works).</exception>
    public static ZooModel Create(string name, ModelConfig config, Generator? generator, Generator? dropoutGenerator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var definition = Find(name);
        Validate(definition, config);
        var scheme = config.Init ?? definition.DefaultInit;
        TorchRuntime.Ensure();
        // The scope frees the layer constructors' temporaries (TorchSharp's Conv2d leaves one behind); the model's
        // parameters and buffers are detached from every scope and owned by the model, also when the caller has a scope open.
        using var scope = NewDisposeScope();
        using var stack = LayerStack.Build(definition.Name, config, scheme, generator, dropoutGenerator);
        definition.Build(stack, config);
        var model = new ZooModel(definition.Name, config, scheme, stack.Finish(config.Classes)!);
        foreach (var parameter in model.parameters()) parameter.DetachFromDisposeScope();
        foreach (var buffer in model.buffers()) buffer.DetachFromDisposeScope();
        return model;
    }

    /// <summary>Checks that <see cref="Create"/> would accept (<paramref name="name"/>, <paramref name="config"/>),
    /// without allocating a tensor; throws the same exceptions.</summary>
    /// <exception cref="ArgumentException">See <see cref="Create"/>.</exception>
    public static void Validate(string name, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(Find(name), config);
    }

    /// <summary>True when <see cref="Create"/> accepts (<paramref name="name"/>, <paramref name="config"/>); false for an
    /// unknown name or a config it refuses (e.g. an input too small).</summary>
    public static bool Supports(string name, ModelConfig config)
    {
        try
        {
            Validate(name, config);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The smallest square input size (H = W) that <paramref name="name"/> takes with the other fields of
    /// <paramref name="config"/>, or null when none up to 1024 works.</summary>
    /// <exception cref="ArgumentException">Unknown name, or a config refused for another reason than the input size.</exception>
    public static int? MinimumImageSize(string name, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var definition = Find(name);
        CheckFields(definition, config);
        for (var size = 1; size <= LargestSizeSearched; size++)
            if (DryRun(definition, config with { ImageSize = size }) is null)
                return size;
        return null;
    }

    private static ModelDefinition Find(string name) =>
        name is not null && ByName.TryGetValue(name, out var definition)
            ? definition
            : throw new ArgumentException($"unknown model '{name}'; known models: {string.Join(", ", Names)}", nameof(name));

    private static void Validate(ModelDefinition definition, ModelConfig config)
    {
        CheckFields(definition, config);
        if (DryRun(definition, config) is { } problem)
        {
            var smallest = MinimumImageSize(definition.Name, config);
            var hint = smallest is { } s
                ? $"; the smallest square input it takes is {config.InputChannels}×{s}×{s}"
                : "";
            throw new ArgumentException(
                $"model '{definition.Name}' cannot take {config.InputChannels}×{config.ImageSize}×{config.ImageSize} inputs: {problem}{hint}",
                nameof(config));
        }
    }

    /// <summary>The shape problem of a dry build, or null when the layers fit the input.</summary>
    private static string? DryRun(ModelDefinition definition, ModelConfig config)
    {
        using var stack = LayerStack.Dry(definition.Name, config);
        try
        {
            definition.Build(stack, config);
        }
        catch (InputTooSmallException e)
        {
            return e.Message;
        }
        stack.Finish(config.Classes);
        return null;
    }

    private static void CheckFields(ModelDefinition definition, ModelConfig config)
    {
        var name = definition.Name;
        void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"model '{name}': {message}", nameof(config));
        }
        Require(config.InputChannels >= 1, $"InputChannels must be ≥ 1, got {config.InputChannels}");
        Require(config.ImageSize >= 1, $"ImageSize must be ≥ 1, got {config.ImageSize}");
        Require(config.Classes >= 1, $"Classes must be ≥ 1, got {config.Classes}");
        if (config.Init is { } init) Require(Enum.IsDefined(init), $"unknown Init scheme {init}");

        var given = ConfigField.None;
        if (config.Widths is { } widths)
        {
            given |= ConfigField.Widths;
            Require(widths.All(w => w >= 1), $"every width must be ≥ 1, got [{string.Join(", ", widths)}]");
        }
        if (config.Filters is { } filters)
        {
            given |= ConfigField.Filters;
            Require(filters.Count >= 1 && filters.All(f => f >= 1), $"Filters must be non-empty and ≥ 1, got [{string.Join(", ", filters)}]");
        }
        if (config.Kernel is { } kernel)
        {
            given |= ConfigField.Kernel;
            Require(kernel >= 1 && kernel % 2 == 1, $"Kernel must be odd and ≥ 1 ('same' padding), got {kernel}");
        }
        if (config.DenseWidth is { } dense)
        {
            given |= ConfigField.DenseWidth;
            Require(dense >= 1, $"DenseWidth must be ≥ 1, got {dense}");
        }
        if (config.Dropout is { } p)
        {
            given |= ConfigField.Dropout;
            Require(p is >= 0 and < 1, $"Dropout must be in [0, 1), got {p.ToString(CultureInfo.InvariantCulture)}");
        }
        if (config.BatchNorm is not null) given |= ConfigField.BatchNorm;
        if (config.ResNetN is { } n)
        {
            given |= ConfigField.ResNetN;
            Require(n >= 1, $"ResNetN must be ≥ 1, got {n}");
        }
        if (config.Depth is not null) given |= ConfigField.Depth;
        if (config.Width is { } width)
        {
            given |= ConfigField.Width;
            Require(width >= 1, $"Width must be ≥ 1, got {width}");
        }
        var unused = given & ~definition.Fields;
        Require(unused == ConfigField.None,
            $"does not use {string.Join(", ", FieldNames(unused))} (it reads: "
            + string.Join(", ", ["InputChannels", "ImageSize", "Classes", "Init", .. FieldNames(definition.Fields)]) + ")");
    }

    private static List<string> FieldNames(ConfigField fields) =>
        Enum.GetValues<ConfigField>().Where(f => f != ConfigField.None && fields.HasFlag(f)).Select(f => f.ToString()).ToList();
}
