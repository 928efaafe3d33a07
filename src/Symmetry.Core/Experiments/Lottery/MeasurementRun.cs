using Symmetry.Core.Results;
using TorchSharp;

namespace Symmetry.Core.Experiments.Lottery;

/// <summary>A measurement on states (instability, layer robustness) recorded as a run of the results store: its id is a
/// content key of its configuration (which names the states it measures), its values metric rows. A finished one is
/// read back instead of measured again.</summary>
internal static class MeasurementRun
{
    /// <summary>The run id for <paramref name="kind"/> and its canonical configuration JSON.</summary>
    internal static string Id(string kind, string configJson) =>
        $"{kind}-{CanonicalJson.Sha256($"symmetry-measurement/{kind}\n{configJson}")[..32]}";

    /// <summary>Begins (or finds) the run; true when it is already finished and its metrics can be read.</summary>
    internal static bool Begin(ResultsStore store, string id, string kind, string configJson, ulong seed, torch.Device device) =>
        store.BeginRun(id, kind, configJson, seed, RuntimeInfo.Capture(device)) == RunStart.AlreadyFinished;

    /// <summary>Runs <paramref name="measure"/> inside the run; a failure marks it failed (a rerun measures again).</summary>
    internal static void Record(ResultsStore store, string id, Func<double> measure)
    {
        try
        {
            var seconds = measure();
            store.FinishRun(id, seconds);
        }
        catch (Exception error)
        {
            store.FailRun(id, error.Message);
            throw;
        }
    }
}
