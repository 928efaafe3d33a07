using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Symmetry.Core.Permutations;

namespace Symmetry.Bench;

/// <summary><c>lap</c>: <see cref="LinearAssignment.Solve(double[,], bool)"/> against
/// <c>scipy.optimize.linear_sum_assignment</c> (bench/peers/lap.py) on the same n × n matrices (uniform [0, 1) from a
/// seeded <see cref="Random"/>), n = 256, 1024, 2048; ms per solve, median of a few runs on each side.</summary>
/// <remarks>The matrix goes to the peer through a temporary file (float64 little-endian, row-major, no header). The
/// two sides alternate for <see cref="Rounds"/> rounds so both see the same machine load; each reports the optimum it
/// found, and a warning line is printed when they differ.</remarks>
internal static class LapBench
{
    public const string Name = "lap";
    private const int Rounds = 2;
    private const string PeerScript = "lap.py";
    private const string PeerMissing = "unavailable (install python3-scipy: dotnet fsi build.fsx setup)";

    /// <summary>Debian's interpreter, which carries python3-scipy (the PATH python3 may be another one); overridable
    /// with SYMMETRY_BENCH_PYTHON as for the other peers.</summary>
    private static readonly string Python =
        Environment.GetEnvironmentVariable("SYMMETRY_BENCH_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    /// <summary>(n, timed runs per round on each side, warm-up solves of ours, warm-up solves of the peer).</summary>
    private static readonly (int N, int Repeats, int OursWarmup, int PeerWarmup)[] Sizes =
    [
        (256, 9, 30, 1), // 30 warm-ups: the solver's methods reach tier-1 code before anything is timed.
        (1024, 5, 2, 1),
        (2048, 3, 1, 0),
    ];

    public static void Run(int threads)
    {
        var peerAvailable = true;
        foreach (var (n, repeats, oursWarmup, peerWarmup) in Sizes)
        {
            var cost = RandomMatrix(n, seed: 42 + n);
            var file = Path.Combine(Path.GetTempPath(), $"symmetry-lap-{Environment.ProcessId}-{n}.f64");
            try
            {
                using (var stream = File.Create(file))
                    stream.Write(MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(
                        ref Unsafe.As<byte, double>(ref MemoryMarshal.GetArrayDataReference(cost)), cost.Length)));

                var ours = new List<double>();
                var peer = new List<double>();
                var oursObjective = 0.0;
                double? peerObjective = null;
                for (var i = 0; i < oursWarmup; i++) LinearAssignment.Solve(cost);
                for (var round = 0; round < Rounds; round++)
                {
                    for (var r = 0; r < repeats; r++)
                    {
                        var stopwatch = Stopwatch.StartNew();
                        var assignment = LinearAssignment.Solve(cost);
                        ours.Add(stopwatch.Elapsed.TotalMilliseconds);
                        oursObjective = LinearAssignment.Objective(cost, assignment);
                    }
                    if (!peerAvailable) continue;
                    var result = RunPeer(file, n, repeats, peerWarmup);
                    if (result is { } p)
                    {
                        peer.Add(p.Milliseconds);
                        peerObjective = p.Objective;
                    }
                    else peerAvailable = false;
                }

                var oursMs = Median(ours);
                var line = $"bench: {Name}-{n} ours={Format(oursMs)}ms";
                if (peerAvailable && peer.Count > 0)
                {
                    var peerMs = Median(peer);
                    line += $" peer={Format(peerMs)}ms ratio={(oursMs / peerMs).ToString("0.000", CultureInfo.InvariantCulture)}";
                }
                else line += $" peer={PeerMissing}";
                Console.WriteLine(line);
                if (peerObjective is { } po && Math.Abs(po - oursObjective) > 1e-9 * Math.Max(1, Math.Abs(po)))
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"bench: {Name}-{n} warning: objectives differ: ours={oursObjective:R} peer={po:R}"));
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    private static double[,] RandomMatrix(int n, int seed)
    {
        var random = new Random(seed);
        var cost = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                cost[i, j] = random.NextDouble();
        return cost;
    }

    /// <summary>Runs the peer once (<paramref name="repeats"/> timed solves); null when python3-scipy is not there or the
    /// peer fails (the reason on stderr unless it is simply not installed).</summary>
    private static (double Milliseconds, double Objective)? RunPeer(string file, int n, int repeats, int warmup)
    {
        var script = FindPeer();
        if (script is null)
        {
            Console.Error.WriteLine($"peer {PeerScript} not found next to the benchmark or under bench/peers/");
            return null;
        }
        if (Path.IsPathRooted(Python) && !File.Exists(Python)) return null;
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, "--file", file, "--rows", Invariant(n), "--cols", Invariant(n),
                     "--repeats", Invariant(repeats), "--warmup", Invariant(warmup) })
            start.ArgumentList.Add(arg);
        Process? started;
        try
        {
            started = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no such interpreter
        }
        if (started is null) return null;
        using var process = started;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            if (process.ExitCode != 3) Console.Error.WriteLine($"peer {PeerScript} failed ({process.ExitCode}): {stderr.Result.Trim()}");
            return null;
        }
        var parts = stdout.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var objective))
            return (ms, objective);
        Console.Error.WriteLine($"peer {PeerScript} printed '{stdout.Trim()}', not 'milliseconds objective'");
        return null;
    }

    private static string? FindPeer()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "peers", PeerScript);
        if (File.Exists(beside)) return beside;
        for (var directory = Environment.CurrentDirectory; !string.IsNullOrEmpty(directory); directory = Path.GetDirectoryName(directory))
        {
            var candidate = Path.Combine(directory, "bench", "peers", PeerScript);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Format(double value) => value.ToString(value >= 100 ? "0.0" : "0.000", CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
