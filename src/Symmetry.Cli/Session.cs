using Symmetry.Core.Data;
using Symmetry.Core.Results;
using Symmetry.Torch;

namespace Symmetry.Cli;

/// <summary>What every verb shares: the store, the data (loaded once per path) and the runtime settings.</summary>
internal sealed class Session : IDisposable
{
    private readonly Dictionary<string, DataSplits> data = new();

    private ResultsStore? store;

    internal Session(int threads, Device device)
    {
        Torch.Torch.SetThreadCount(threads);
        Device = device;
    }

    /// <summary>Opens the results store (once); until then nothing is written.</summary>
    internal ResultsStore OpenStore(string databasePath) => store ??= ResultsStore.Open(databasePath);
    internal Device Device { get; }

    internal DataSplits Data(string? path)
    {
        var key = path ?? "";
        if (!data.TryGetValue(key, out var splits))
        {
            splits = DataSets.Load(path);
            data[key] = splits;
        }
        return splits;
    }

    public void Dispose()
    {
        foreach (var splits in data.Values) splits.Dispose();
        store?.Dispose();
    }
}
