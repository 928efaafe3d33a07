using System.Text.Json.Serialization;
using Symmetry.Core.Models;

namespace Symmetry.Core.Experiments;

/// <summary>
/// A frozen point in a network's life (initialised, trained, pruned, re-initialised…): the model, the data, and the
/// recipe that makes it from its parent. Immutable and content-addressed: <see cref="Key"/> is the SHA-256 of the
/// canonical JSON of every field (defaults included), the schema version and the parent's key. Where its weights are
/// stored is an output of realising it, not part of its identity, so it is not a field.
/// </summary>
public sealed record ExperimentState
{
    /// <summary>Bumped whenever the meaning of a field changes, so old keys no longer match (2: typed training
    /// settings in train recipes; 3: model configs as family records, and the data fingerprint; 4: layer-wise pruning removes
    /// ⌊p·n⌋ and global ⌈p·n⌉ with ties drawn from the prune recipe's seed, train recipes may start or stop at a step,
    /// and rewind recipes).</summary>
    public const int SchemaVersion = 4;

    /// <summary>Zoo model name.</summary>
    public required string Model { get; init; }
    /// <summary>Model configuration.</summary>
    public required ModelConfig Config { get; init; }
    /// <summary>Data directory (null: the default Fashion-MNIST).</summary>
    public string? Data { get; init; }
    /// <summary>The <see cref="Data.DataFingerprint"/> of the data (null: not recorded), so a state computed on files
    /// that were since replaced is not reused.</summary>
    public string? DataFingerprint { get; init; }
    /// <summary>The recipe that makes this state from <see cref="Parent"/>.</summary>
    public required Recipe Recipe { get; init; }
    /// <summary>The parent state (null for the root, whose recipe is an <see cref="InitRecipe"/>).</summary>
    [JsonIgnore]
    public ExperimentState? Parent { get; init; }

    /// <summary>The parent's key (part of the key; null for the root).</summary>
    public string? ParentKey => Parent?.Key;

    /// <summary>The content key (lower-case hex SHA-256).</summary>
    [JsonIgnore]
    public string Key => key ??= CanonicalJson.Sha256($"symmetry-state/v{SchemaVersion}\n{CanonicalJson.Serialize(this)}");
    private string? key;

    /// <summary>The root of this state's tree.</summary>
    [JsonIgnore]
    public ExperimentState Root => Parent?.Root ?? this;

    /// <summary>A root state: model <paramref name="model"/> initialised from <paramref name="seed"/>. The config is
    /// stored as the model's family record (<see cref="ModelZoo.Configure"/>), so a plain config and an empty family
    /// record name the same state.</summary>
    /// <exception cref="ArgumentException">Unknown model or a config it refuses.</exception>
    public static ExperimentState Initial(string model, ModelConfig config, ulong seed, string? data = null, string? dataFingerprint = null) =>
        new()
        {
            Model = model, Config = ModelZoo.Configure(model, config), Data = data, DataFingerprint = dataFingerprint,
            Recipe = new InitRecipe { Seed = seed },
        };

    /// <summary>The child made by <paramref name="recipe"/> (same model and data).</summary>
    public ExperimentState Then(Recipe recipe) =>
        new() { Model = Model, Config = Config, Data = Data, DataFingerprint = DataFingerprint, Recipe = recipe, Parent = this };

    /// <summary>The chain from the root down to this state.</summary>
    public IReadOnlyList<ExperimentState> Lineage()
    {
        var chain = new List<ExperimentState>();
        for (var s = this; s is not null; s = s.Parent) chain.Add(s);
        chain.Reverse();
        return chain;
    }

    /// <summary>The canonical JSON that the key hashes.</summary>
    public string ToCanonicalJson() => CanonicalJson.Serialize(this);

    /// <inheritdoc />
    public override string ToString() => $"{Key[..12]} {Recipe.Describe()}";

    // Equality is identity of content: two states are equal when their keys are.
    /// <inheritdoc />
    public bool Equals(ExperimentState? other) => other is not null && Key == other.Key;

    /// <inheritdoc />
    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);
}
