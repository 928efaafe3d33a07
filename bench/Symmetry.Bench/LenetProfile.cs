namespace Symmetry.Bench;

using System.Diagnostics;
using System.Globalization;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

/// <summary><c>lenet-profile</c> (opt-in, not part of the default run): the <c>lenet-step</c> step split into forward,
/// forward+backward and the full step, each as median wall time and process CPU time (all threads, the BLAS pool's
/// included; less disturbed than wall time when other processes share the cores), ms per step.</summary>
internal static class LenetProfile
{
    public const string Name = "lenet-profile";
    private const int Iterations = 50;
    private const int Repeats = 9;

    public static void Run(int threads)
    {
        var p = new List<Tensor>();
        using var generator = Generators.Create(0);
        int[] widths = [784, 300, 100, 10];
        for (var l = 0; l < 3; l++)
        {
            p.Add(LenetStep.Uniform([widths[l + 1], widths[l]], widths[l], generator));
            p.Add(LenetStep.Uniform([widths[l + 1]], widths[l], generator));
        }
        using var alpha = (-0.1).ToScalar();
        using (var scope = NewDisposeScope())
        {
            var x = randn([128, 784], generator: generator);
            var y = randint(0, 10, [128], generator: generator);
            Tensor Loss() => F.cross_entropy(F.linear(F.relu(F.linear(F.relu(F.linear(x, p[0], p[1])), p[2], p[3])), p[4], p[5]), y);
            void ZeroGrads()
            {
                foreach (var t in p) t.grad?.zero_();
            }
            Print("forward (to the loss)", n => { for (var i = 0; i < n; i++) { using var s = NewDisposeScope(); _ = Loss(); } });
            Print("forward + backward", n =>
            {
                for (var i = 0; i < n; i++)
                {
                    using var s = NewDisposeScope();
                    Loss().backward();
                    ZeroGrads();
                }
            });
            Print("full step (as lenet-step)", n =>
            {
                for (var i = 0; i < n; i++)
                {
                    using var s = NewDisposeScope();
                    Loss().backward();
                    using (no_grad())
                        foreach (var t in p)
                        {
                            var grad = t.grad!;
                            t.add_(grad, alpha);
                            grad.zero_();
                        }
                }
            });
        }
        foreach (var t in p) t.Dispose();
    }

    private static void Print(string what, Action<int> body)
    {
        body(10);
        var wall = new double[Repeats];
        var cpu = new double[Repeats];
        for (var r = 0; r < Repeats; r++)
        {
            var cpuStart = Harness.ProcessCpuSeconds();
            var stopwatch = Stopwatch.StartNew();
            body(Iterations);
            wall[r] = stopwatch.Elapsed.TotalMilliseconds / Iterations;
            cpu[r] = (Harness.ProcessCpuSeconds() - cpuStart) * 1e3 / Iterations;
        }
        Array.Sort(wall);
        Array.Sort(cpu);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"profile: {what,-28} wall {wall[Repeats / 2],7:0.000} ms/step (min {wall[0],7:0.000})  process-cpu {cpu[Repeats / 2],7:0.000} ms/step"));
    }
}
