namespace Symmetry.Bench;

using static TorchSharp.torch;

/// <summary><c>op-overhead</c>: one small out-of-place element-wise op (8×8 float32 add), µs per op, against
/// <c>c = a + b</c> in PyTorch (bench/peers/op_overhead.py).</summary>
/// <remarks>Ours runs as real code does: results are temporaries owned by a TorchSharp dispose scope, here one scope
/// per <see cref="OpsPerScope"/> ops (about one training step's worth of small ops), freed when the scope ends.</remarks>
internal static class OpOverhead
{
    public const string Name = "op-overhead";
    private const int Iterations = 200_000;
    private const int Repeats = 3;
    private const int Rounds = 5;
    private const int Warmup = 20_000;
    private const int OpsPerScope = 100;

    public static void Run(int threads)
    {
        using var scope = NewDisposeScope();
        var a = rand(8, 8);
        var b = rand(8, 8);
        Harness.Compare(Name, "us", 1e6, n => Loop(a, b, n), "op_overhead.py", [], threads, Iterations, Repeats, Rounds, Warmup);
    }

    private static void Loop(Tensor a, Tensor b, int n)
    {
        for (var done = 0; done < n; done += OpsPerScope)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(OpsPerScope, n - done);
            for (var i = 0; i < count; i++)
                _ = a + b;
        }
    }
}
