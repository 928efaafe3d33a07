using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Symmetry.Bench;

/// <summary>Timing, peer processes and the one-line report every benchmark prints.</summary>
internal static class Harness
{
    /// <summary>The interpreter that carries Debian's python3-torch (the PATH python3 may be another one);
    /// SYMMETRY_BENCH_PYTHON overrides it (e.g. to check the report when torch is missing).</summary>
    private static readonly string Python = Environment.GetEnvironmentVariable("SYMMETRY_BENCH_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    /// <summary>What the timings measure: wall time (Stopwatch / time.perf_counter, the default) or the CPU time of the
    /// whole process, all threads included (clock_gettime(CLOCK_PROCESS_CPUTIME_ID) / time.process_time), which other
    /// processes on the same cores disturb far less.</summary>
    public static bool CpuClock { get; set; }

    private const string PeerMissing = "unavailable (install python3-torch: dotnet fsi build.fsx setup)";

    /// <summary>
    /// Times ours and the peer alternately, <paramref name="rounds"/> times: each round runs <paramref name="ours"/> for
    /// <paramref name="repeats"/> timed repeats of <paramref name="iterations"/> iterations (after a warm-up), then one
    /// peer process that does the same and prints its median. Alternating keeps both under the same machine load
    /// (other builds share the cores). Reports, for each side, the median over rounds of the per-round median, in
    /// seconds per iteration (on the clock <see cref="CpuClock"/> selects) scaled by <paramref name="scale"/>.
    /// <paramref name="oursWarmup"/>, when given, runs ours' warm-up instead of <paramref name="ours"/> (for benchmarks
    /// whose iteration is long, e.g. a whole epoch, and whose warm-up counts something smaller, e.g. steps; the peer
    /// then reads its <c>--warmup</c> in the same unit).
    /// </summary>
    public static void Compare(string name, string unit, double scale, Action<int> ours, string peerScript, string[] peerArgs,
        int threads, int iterations, int repeats, int rounds, int warmup, Action<int>? oursWarmup = null)
    {
        var oursTimes = new List<double>();
        var peerTimes = new List<double>();
        var peerAvailable = true;
        for (var round = 0; round < rounds; round++)
        {
            (oursWarmup ?? ours)(warmup);
            var times = new double[repeats];
            for (var r = 0; r < repeats; r++)
            {
                var start = Now();
                ours(iterations);
                times[r] = (Now() - start) / iterations * scale;
            }
            oursTimes.Add(Median(times));
            if (!peerAvailable) continue;
            string[] common = ["--threads", Invariant(threads), "--iters", Invariant(iterations), "--repeats", Invariant(repeats),
                "--warmup", Invariant(warmup), "--clock", CpuClock ? "cpu" : "wall"];
            var peer = RunPeer(peerScript, [.. common, .. peerArgs], threads);
            if (peer is { } p) peerTimes.Add(p);
            else peerAvailable = false;
        }
        Report(name, Median(oursTimes), peerAvailable && peerTimes.Count > 0 ? Median(peerTimes) : null, unit);
    }

    /// <summary>Seconds on the clock <see cref="CpuClock"/> selects.</summary>
    public static double Now() => CpuClock ? ProcessCpuSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>CPU time of this process, all threads, with nanosecond resolution (Process.TotalProcessorTime counts
    /// 10 ms ticks on Linux).</summary>
    public static double ProcessCpuSeconds() => CpuSeconds(ProcessCpuTimeId);

    /// <summary>CPU time of the calling thread.</summary>
    public static double ThreadCpuSeconds() => CpuSeconds(ThreadCpuTimeId);

    private const int ProcessCpuTimeId = 2; // CLOCK_PROCESS_CPUTIME_ID
    private const int ThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private static double CpuSeconds(int clock)
    {
        if (ClockGetTime(clock, out var t) != 0) throw new InvalidOperationException("clock_gettime failed");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Runs bench/peers/<paramref name="script"/> with /usr/bin/python3 and parses the single number it prints;
    /// null (with the reason on stderr) when python3-torch is not there or the peer fails.</summary>
    private static double? RunPeer(string script, string[] args, int threads)
    {
        if (PeerOutput(script, args, threads) is not { } text) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
        Console.Error.WriteLine($"peer {script} printed '{text}', not a number");
        return null;
    }

    /// <summary>Runs bench/peers/<paramref name="script"/> with /usr/bin/python3 under the same thread count and
    /// allocator settings as ours; its trimmed stdout, or null (with the reason on stderr) when python3-torch is not
    /// there or the peer fails.</summary>
    public static string? PeerOutput(string script, string[] args, int threads)
    {
        var path = FindPeer(script);
        if (path is null)
        {
            Console.Error.WriteLine($"peer {script} not found next to the benchmark or under bench/peers/");
            return null;
        }
        if (Path.IsPathRooted(Python) && !File.Exists(Python)) return null;
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Debian's python3-torch runs its BLAS on OpenBLAS, whose pool torch.set_num_threads does not size: the peer
        // gets the same thread count through its environment (ours: the NuGet libtorch's MKL runs on OpenMP, which set_num_threads sizes).
        start.Environment["OPENBLAS_NUM_THREADS"] = Invariant(threads);
        // TorchRuntime.Ensure() keeps large freed blocks in glibc's heap (Symmetry.Torch's Allocator: mallopt with
        // these values); the peer gets the same allocator settings.
        start.Environment["MALLOC_MMAP_THRESHOLD_"] = "33554432";
        start.Environment["MALLOC_TRIM_THRESHOLD_"] = "536870912";
        start.ArgumentList.Add(path);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no such interpreter
        }
        if (process is null) return null;
        using var owned = process;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var errors = stderr.Result;
        if (process.ExitCode != 0)
        {
            // A missing torch module is the expected "not installed" case: say nothing more than the report line does.
            if (!errors.Contains("No module named 'torch'"))
                Console.Error.WriteLine($"peer {script} failed ({process.ExitCode}): {errors.Trim()}");
            return null;
        }
        return stdout.Trim();
    }

    private static string? FindPeer(string script)
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "peers", script);
        if (File.Exists(beside)) return beside;
        for (var directory = Environment.CurrentDirectory; !string.IsNullOrEmpty(directory); directory = Path.GetDirectoryName(directory))
        {
            var candidate = Path.Combine(directory, "bench", "peers", script);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Prints <c>bench: name ours=… peer=… ratio=…</c>.</summary>
    public static void Report(string name, double ours, double? peer, string unit)
    {
        var line = $"bench: {name} ours={Format(ours)}{unit}";
        line += peer is { } p ? $" peer={Format(p)}{unit} ratio={(ours / p).ToString("0.000", CultureInfo.InvariantCulture)}" : $" peer={PeerMissing}";
        Console.WriteLine(line);
    }

    private static string Format(double value) => value.ToString(value >= 100 ? "0.0" : "0.000", CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
