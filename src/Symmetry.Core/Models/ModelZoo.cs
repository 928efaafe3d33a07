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
        return $"{definition.Name}: {definition.Description} Config: {definition.Family.GetType().Name} with InputChannels, ImageSize, Classes, "
            + $"Init (default {definition.DefaultInit})" + string.Concat(definition.Reads.Select(f => ", " + f)) + ".";
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
        var definition = Find(name);
        config = ConfigureFor(definition, config);
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
        // Before any gradient of it is taken, also outside the Trainer (tests, supermask and stitching gradients).
        ConvGradientGuard.Protect(model);
        return model;
    }

    /// <summary>Checks that <see cref="Create"/> would accept (<paramref name="name"/>, <paramref name="config"/>),
    /// without allocating a tensor; throws the same exceptions.</summary>
    /// <exception cref="ArgumentException">See <see cref="Create"/>.</exception>
    public static void Validate(string name, ModelConfig config)
    {
        var definition = Find(name);
        Validate(definition, ConfigureFor(definition, config));
    }

    /// <summary>
    /// <paramref name="config"/> as the family record model <paramref name="name"/> takes: a plain <see cref="ModelConfig"/>
    /// becomes an empty family record with its input, classes and init; the family's own record is returned as is. Shape
    /// problems are not checked here (see <see cref="Validate(string, ModelConfig)"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name; another family's record; a field the model does not read or out
    /// of range.</exception>
    public static ModelConfig Configure(string name, ModelConfig config) => ConfigureFor(Find(name), config);

    /// <summary>The config record type model <paramref name="name"/> takes (<see cref="ModelConfig"/> itself for models
    /// without options).</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static Type ConfigType(string name) => Find(name).Family.GetType();

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
        var definition = Find(name);
        config = ConfigureFor(definition, config);
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

    private static ModelConfig ConfigureFor(ModelDefinition definition, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var name = definition.Name;
        var family = definition.Family.GetType();
        void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"model '{name}': {message}", nameof(config));
        }
        Require(config.InputChannels >= 1, $"InputChannels must be ≥ 1, got {config.InputChannels}");
        Require(config.ImageSize >= 1, $"ImageSize must be ≥ 1, got {config.ImageSize}");
        Require(config.Classes >= 1, $"Classes must be ≥ 1, got {config.Classes}");
        if (config.Init is { } init) Require(Enum.IsDefined(init), $"unknown Init scheme {init}");
        if (config.GetType() == typeof(ModelConfig)) return definition.Family.WithShapeOf(config);
        Require(config.GetType() == family,
            $"takes a {family.Name} (or a plain ModelConfig for its defaults), not a {config.GetType().Name}");
        if (config.FamilyProblem() is { } problem) Require(false, problem);
        var unused = config.FamilyFields().Where(f => f.Given && !definition.Reads.Contains(f.Field)).Select(f => f.Field).ToList();
        Require(unused.Count == 0,
            $"does not use {string.Join(", ", unused)} (it reads: " + string.Join(", ", ["InputChannels", "ImageSize", "Classes", "Init", .. definition.Reads]) + ")");
        return config;
    }
}
