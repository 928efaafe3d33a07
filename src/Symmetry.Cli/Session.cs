using Symmetry.Core.Data;
using Symmetry.Core.Results;
using Symmetry.Torch;

namespace Symmetry.Cli;

/// <summary>What every verb shares: the store, the data (loaded once per path) and the runtime settings.</summary>
internal sealed class Session : IDisposable
{
    private readonly Dictionary<string, DataSplits> data = new();

    internal Session(string databasePath, int threads, Device device)
    {
        Torch.Torch.SetThreadCount(threads);
        Device = device;
        Store = ResultsStore.Open(databasePath);
    }

    internal ResultsStore Store { get; }
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
        Store.Dispose();
    }
}
