using System.Globalization;
using Symmetry.Torch;

namespace Symmetry.Bench;

/// <summary>Benchmarks of our TorchSharp code against Python PyTorch (Debian's python3-torch), timed in the same run.
/// Usage: <c>dotnet run --project bench/Symmetry.Bench -c Release -- [name…] [--threads N] [--clock wall|cpu]</c>
/// (no name: all but the opt-in diagnostics and epoch benchmarks; clock: what is timed, wall time by default).</summary>
public static class Program
{
    private static readonly (string Name, Action<int> Run)[] Benchmarks =
    [
        (OpOverhead.Name, OpOverhead.Run),
        (LenetStep.Name, LenetStep.Run),
        (LapBench.Name, LapBench.Run),
        (LaPermStep.Name, LaPermStep.Run),
        (AlignmentBench.CkaName, AlignmentBench.RunCka),
        (AlignmentBench.ProcrustesName, AlignmentBench.RunProcrustes),
    ];

    /// <summary>Run only when named: diagnostics, and the epoch benchmarks (minutes, not seconds).</summary>
    private static readonly (string Name, Action<int> Run)[] OptIn =
    [
        (OpProfile.Name, OpProfile.Run),
        (LenetProfile.Name, LenetProfile.Run),
        (EpochBench.LenetName, EpochBench.RunLenet),
        (EpochBench.MnistCnnName, EpochBench.RunMnistCnn),
        (EpochProfile.Name, EpochProfile.Run),
        (SweepBatched.Name, SweepBatched.Run),
        (SweepProfile.Name, SweepProfile.Run),
    ];

    public static int Main(string[] args)
    {
        var threads = 1;
        var selected = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads")
            {
                if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out threads) || threads < 1)
                    return Usage("--threads needs a positive integer");
                i++;
            }
            else if (args[i] == "--clock")
            {
                if (i + 1 >= args.Length || args[i + 1] is not ("wall" or "cpu")) return Usage("--clock needs wall or cpu");
                Harness.CpuClock = args[++i] == "cpu";
            }
            else if (args[i] == "--full-shape") AlignmentBench.FullShape = true;
            else if (args[i] is "-h" or "--help") return Usage(null);
            else if (Benchmarks.Concat(OptIn).Any(b => b.Name == args[i])) selected.Add(args[i]);
            else return Usage($"unknown benchmark '{args[i]}'");
        }

        try
        {
            TorchRuntime.Ensure();
        }
        catch (TorchRuntimeException error)
        {
            Console.Error.WriteLine($"bench: {error.Message}");
            return 2;
        }
        Guards.SetThreads(threads);
        Console.WriteLine($"bench: threads={threads} (ours: TorchSharp on libtorch {Symmetry.Core.Results.RuntimeInfo.CurrentLibTorchVersion}, torch.set_num_threads; " +
            $"peer: python3-torch, torch.set_num_threads + OPENBLAS_NUM_THREADS={threads})" +
            (Harness.CpuClock ? "; clock=cpu (process CPU time, not wall time)" : ""));
        WarnIfBusy();
        foreach (var (name, run) in Benchmarks.Concat(OptIn))
            if (selected.Count == 0 ? Benchmarks.Any(b => b.Name == name) : selected.Contains(name))
            {
                var before = TorchRuntime.LiveTensors;
                run(threads);
                // TorchSharp's live-tensor count: what the benchmark (or the library code it runs) left undisposed, once
                // finalisers have run. TorchSharp never uncounts a tensor moved into a Parameter, so benchmarks that build
                // a model show its parameter count here without leaking.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (TorchRuntime.LiveTensors != before)
                    Console.Error.WriteLine($"bench: {name} left {TorchRuntime.LiveTensors - before} tensor(s) counted alive " +
                        "(a leak, or the parameters of the models it built: TorchSharp never uncounts a tensor moved into a Parameter)");
            }
        return 0;
    }

    /// <summary>Timings taken while other processes keep the cores busy are inflated and noisy (ours and the peer run
    /// alternately, so the ratio suffers less than the absolute numbers): say so on stderr.</summary>
    private static void WarnIfBusy()
    {
        try
        {
            var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
            if (load > Environment.ProcessorCount)
                Console.Error.WriteLine($"bench: note: load average {load:0.0} on {Environment.ProcessorCount} cores; timings will be noisy");
        }
        catch (IOException)
        {
            // Not Linux: no load average to check.
        }
    }

    private static int Usage(string? error)
    {
        if (error is not null) Console.Error.WriteLine(error);
        Console.Error.WriteLine($"usage: Symmetry.Bench [{string.Join("|", Benchmarks.Concat(OptIn).Select(b => b.Name))}]… [--threads N] [--clock wall|cpu] [--full-shape]");
        return error is null ? 0 : 2;
    }
}
