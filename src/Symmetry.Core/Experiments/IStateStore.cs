using Symmetry.Core.Results;

namespace Symmetry.Core.Experiments;

/// <summary>Where realised states are recorded: the results store (<see cref="StoreStates"/>) or memory
/// (<see cref="MemoryStateStore"/>, for tests and throw-away work). Write-once per key.</summary>
public interface IStateStore
{
    /// <summary>The record for <paramref name="key"/>, or null.</summary>
    StateRecord? Find(string key);

    /// <summary>Records a realised state (its parent, when it has one, is recorded first).</summary>
    void Save(string key, string? parentKey, string kind, string stateJson, string checkpointPath);

    /// <summary>Every recorded state.</summary>
    IReadOnlyList<StateRecord> All();
}

/// <summary>The results store's <c>states</c> table as an <see cref="IStateStore"/>.</summary>
public sealed class StoreStates(ResultsStore store) : IStateStore
{
    /// <inheritdoc />
    public StateRecord? Find(string key) => store.GetState(key);

    /// <inheritdoc />
    public void Save(string key, string? parentKey, string kind, string stateJson, string checkpointPath) =>
        store.PutState(key, parentKey, kind, stateJson, checkpointPath);

    /// <inheritdoc />
    public IReadOnlyList<StateRecord> All() => store.States();
}

/// <summary>An in-memory <see cref="IStateStore"/>.</summary>
public sealed class MemoryStateStore : IStateStore
{
    private readonly Dictionary<string, StateRecord> records = new();

    /// <inheritdoc />
    public StateRecord? Find(string key) => records.GetValueOrDefault(key);

    /// <inheritdoc />
    public void Save(string key, string? parentKey, string kind, string stateJson, string checkpointPath)
    {
        var record = new StateRecord(key, parentKey, kind, stateJson, checkpointPath, DateTimeOffset.UtcNow);
        if (records.TryGetValue(key, out var existing) && (existing.StateJson != stateJson || existing.ParentKey != parentKey))
            throw new InvalidOperationException($"state {key} is already recorded with different content");
        records.TryAdd(key, record);
    }

    /// <inheritdoc />
    public IReadOnlyList<StateRecord> All() => records.Values.ToList();
}
