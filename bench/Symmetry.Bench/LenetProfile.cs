namespace Symmetry.Bench;

using System.Diagnostics;
using System.Globalization;
using Symmetry.Torch;
using Torch = Symmetry.Torch.Torch;

/// <summary><c>lenet-profile</c> (opt-in, not part of the default run): the <c>lenet-step</c> step split into forward,
/// forward+backward and the full step, each as median wall time and process CPU time (all threads, OpenBLAS's
/// included; less disturbed than wall time when other processes share the cores), ms per step.
/// The C++ floor is bench/native/lenet_step.cpp.</summary>
internal static class LenetProfile
{
    public const string Name = "lenet-profile";
    private const int Iterations = 50;
    private const int Repeats = 9;

    public static void Run(int threads)
    {
        var p = new List<Tensor>();
        using var generator = new Generator(0);
        int[] widths = [784, 300, 100, 10];
        for (var l = 0; l < 3; l++)
        {
            var bound = 1 / Math.Sqrt(widths[l]);
            foreach (var shape in new long[][] { [widths[l + 1], widths[l]], [widths[l + 1]] })
            {
                var t = Torch.Empty(shape).DetachFromScope();
                using (t.UniformInPlace(-bound, bound, generator)) { }
                p.Add(t.WithRequiresGrad());
            }
        }
        using (var scope = Torch.NewScope())
        {
            var x = Torch.Randn([128, 784], generator);
            var y = Torch.RandInt(0, 10, [128], generator);
            Tensor Loss() => Functional.CrossEntropy(Functional.Linear(Functional.Relu(Functional.Linear(
                Functional.Relu(Functional.Linear(x, p[0], p[1])), p[2], p[3])), p[4], p[5]), y);
            Print("forward (to the loss)", n => { for (var i = 0; i < n; i++) { using var s = Torch.NewScope(); _ = Loss(); } });
            Print("forward + backward", n =>
            {
                for (var i = 0; i < n; i++)
                {
                    using var s = Torch.NewScope();
                    Loss().Backward();
                    foreach (var t in p) t.ZeroGrad();
                }
            });
            Print("full step (as lenet-step)", n =>
            {
                for (var i = 0; i < n; i++)
                {
                    using var s = Torch.NewScope();
                    Loss().Backward();
                    using (Torch.NoGrad())
                        foreach (var t in p)
                        {
                            t.AddInPlace(t.Grad!, -0.1);
                            t.ZeroGrad();
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
