namespace Symmetry.Core.Models;

/// <summary>One entry of the zoo: its name, a description with its defaults, its family record (an empty instance of
/// the config type it takes), the family fields it reads, its default init scheme and the function that lays out its
/// layers on a <see cref="LayerStack"/> (always given a config of the family's type).</summary>
internal sealed record ModelDefinition(
    string Name,
    string Description,
    ModelConfig Family,
    IReadOnlyList<string> Reads,
    InitScheme DefaultInit,
    Action<LayerStack, ModelConfig> Build)
{
    /// <summary>A model of family <typeparamref name="TConfig"/> reading <paramref name="reads"/> of its fields.</summary>
    public static ModelDefinition Of<TConfig>(
        string name, string description, IReadOnlyList<string> reads, InitScheme defaultInit, Action<LayerStack, TConfig> build)
        where TConfig : ModelConfig, new()
    {
        var family = new TConfig();
        var unknown = reads.Except(family.FamilyFields().Select(f => f.Field)).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException($"model '{name}' reads {string.Join(", ", unknown)}, which {typeof(TConfig).Name} does not have");
        return new(name, description, family, reads, defaultInit, (stack, config) => build(stack, (TConfig)config));
    }
}
