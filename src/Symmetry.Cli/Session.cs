using Symmetry.Core.Data;
using Symmetry.Core.Results;
using Symmetry.Torch;
using TorchSharp;

namespace Symmetry.Cli;

/// <summary>What every verb shares: the store, the data (loaded once per path) and the runtime settings.</summary>
internal sealed class Session : IDisposable
{
    private readonly Dictionary<string, DataSplits> data = new();

    private ResultsStore? store;

    internal Session(int threads, torch.Device device)
    {
        try
        {
            Guards.SetThreads(threads);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ArgumentException($"--threads {threads}: the thread count must be at least 1");
        }
        Device = device;
    }

    /// <summary>Opens the results store (once); until then nothing is written.</summary>
    internal ResultsStore OpenStore(string databasePath) => store ??= ResultsStore.Open(databasePath);
    internal torch.Device Device { get; }

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
