using System.Globalization;
using System.Runtime.InteropServices;
using Symmetry.Core.Alignment;
using Symmetry.Torch;
using static TorchSharp.torch;

namespace Symmetry.Bench;

/// <summary>
/// <c>cka</c> (G_ReLU-CKA and the original's unbiased linear CKA) and <c>grelu-procrustes</c>: our alignment metrics
/// (<see cref="Cka"/>, <see cref="GReluProcrustes"/>, float64) against <c>bench/peers/alignment.py</c>, NumPy/SciPy
/// written from ALGORITHMS §3, on the same two activations of shape (N, 128, 8, 8): ReLU of a Gaussian, and ReLU of
/// its channel-permuted, rescaled copy plus noise, drawn from seed 7 and handed to the peer through a temporary file.
/// N is <see cref="DefaultSamples"/> unless <c>--full-shape</c> asks for the 10000 (kernels of 10000² float64,
/// ≈ 0.8 GB each; several GB in all, minutes per call on one core). Ours and the peer alternate for two rounds; each
/// reports its median time per call and its value, and a warning line is printed when the values differ.
/// </summary>
internal static class AlignmentBench
{
    public const string CkaName = "cka";
    public const string ProcrustesName = "grelu-procrustes";

    /// <summary>The sample count this 2-core machine runs in seconds (the kernels' cost grows as N²).</summary>
    public const int DefaultSamples = 2000;

    /// <summary>The shape: (10000, 128, 8, 8).</summary>
    public const int FullSamples = 10000;

    /// <summary>Set by <c>--full-shape</c>.</summary>
    public static bool FullShape { get; set; }

    private const int Channels = 128, Height = 8, Width = 8, Rounds = 2;

    public static void RunCka(int threads)
    {
        using var inputs = Inputs.Create(FullShape ? FullSamples : DefaultSamples);
        Compare("cka-grelu", inputs, () => Cka.GRelu(inputs.First, inputs.Second), threads, repeats: FullShape ? 1 : 3);
        Compare("cka-linear", inputs, () => Cka.LinearUnbiased(inputs.First, inputs.Second), threads, repeats: FullShape ? 1 : 3);
    }

    public static void RunProcrustes(int threads)
    {
        using var inputs = Inputs.Create(FullShape ? FullSamples : DefaultSamples);
        Compare(ProcrustesName, inputs, () => GReluProcrustes.Similarity(inputs.First, inputs.Second), threads, repeats: 3);
    }

    private static void Compare(string metric, Inputs inputs, Func<double> ours, int threads, int repeats)
    {
        var oursTimes = new List<double>();
        var peerTimes = new List<double>();
        var oursValue = ours(); // warm-up
        double? peerValue = null;
        var peerAvailable = true;
        for (var round = 0; round < Rounds; round++)
        {
            for (var r = 0; r < repeats; r++)
            {
                var start = Harness.Now();
                oursValue = ours();
                oursTimes.Add((Harness.Now() - start) * 1e3);
            }
            if (!peerAvailable) continue;
            var output = Harness.PeerOutput("alignment.py",
                ["--file", inputs.File, "--shape", inputs.ShapeText, "--metric", metric, "--repeats", Invariant(repeats), "--warmup", "1",
                 "--clock", Harness.CpuClock ? "cpu" : "wall"], threads);
            var parts = output?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts is [var ms, var value]
                && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var peerMs)
                && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                peerTimes.Add(peerMs);
                peerValue = v;
            }
            else peerAvailable = false;
        }
        var name = $"{metric}-{inputs.Samples}";
        Harness.Report(name, Harness.Median(oursTimes), peerAvailable && peerTimes.Count > 0 ? Harness.Median(peerTimes) : null, "ms");
        if (peerValue is { } p && Math.Abs(p - oursValue) > 1e-9 * Math.Max(1, Math.Abs(p)))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: {name} warning: values differ: ours={oursValue:R} peer={p:R}"));
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The two activations (float64, ours) and the file that hands them to the peer.</summary>
    private sealed class Inputs : IDisposable
    {
        public required Tensor First { get; init; }
        public required Tensor Second { get; init; }
        public required string File { get; init; }
        public required int Samples { get; init; }
        public string ShapeText => string.Create(CultureInfo.InvariantCulture, $"{Samples},{Channels},{Height},{Width}");

        public static Inputs Create(int samples)
        {
            using var g = Generators.Create(7);
            Tensor first, second;
            using (var scope = NewDisposeScope())
            {
                var pre = randn([samples, Channels, Height, Width], dtype: float64, generator: g);
                var permutation = randperm(Channels, generator: g);
                var scales = rand([1, Channels, 1, 1], dtype: float64, generator: g) + 0.5;
                var noise = randn([samples, Channels, Height, Width], dtype: float64, generator: g);
                first = nn.functional.relu(pre).contiguous().MoveToOuterDisposeScope();
                second = nn.functional.relu(pre.index_select(1, permutation) * scales + noise * 0.5).contiguous().MoveToOuterDisposeScope();
            }
            var file = Path.Combine(Path.GetTempPath(), $"symmetry-alignment-{Environment.ProcessId}-{samples}.f64");
            using (var stream = System.IO.File.Create(file))
                foreach (var tensor in new[] { first, second })
                    stream.Write(MemoryMarshal.AsBytes(tensor.data<double>().ToArray().AsSpan()));
            return new Inputs { First = first, Second = second, File = file, Samples = samples };
        }

        public void Dispose()
        {
            First.Dispose();
            Second.Dispose();
            System.IO.File.Delete(File);
        }
    }
}
