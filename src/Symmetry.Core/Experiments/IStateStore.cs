namespace Symmetry.Core.Experiments;

/// <summary>A realised state as stored: its key, parent, kind, canonical JSON and where its weights are.</summary>
/// <param name="Key">Content key.</param>
/// <param name="ParentKey">Parent's key, or null for a root.</param>
/// <param name="Kind">The recipe kind (init, train, prune, reinit, mask).</param>
/// <param name="StateJson">Canonical JSON of the state.</param>
/// <param name="CheckpointPath">safetensors file with the model's parameters, buffers and masks.</param>
public sealed record StateRecord(string Key, string? ParentKey, string Kind, string StateJson, string CheckpointPath);

/// <summary>Where realised states are recorded (the results store, or memory in tests). Write-once per key.</summary>
public interface IStateStore
{
    /// <summary>The record for <paramref name="key"/>, or null.</summary>
    StateRecord? Find(string key);

    /// <summary>Records a realised state.</summary>
    void Save(StateRecord record);

    /// <summary>Every recorded state.</summary>
    IReadOnlyList<StateRecord> All();
}

/// <summary>An in-memory <see cref="IStateStore"/>.</summary>
public sealed class MemoryStateStore : IStateStore
{
    private readonly Dictionary<string, StateRecord> records = new();

    /// <inheritdoc />
    public StateRecord? Find(string key) => records.GetValueOrDefault(key);

    /// <inheritdoc />
    public void Save(StateRecord record)
    {
        if (records.TryGetValue(record.Key, out var existing) && existing != record)
            throw new InvalidOperationException($"state {record.Key} is already recorded with different content");
        records[record.Key] = record;
    }

    /// <inheritdoc />
    public IReadOnlyList<StateRecord> All() => records.Values.ToList();
}
