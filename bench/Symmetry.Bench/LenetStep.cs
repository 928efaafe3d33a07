
namespace Symmetry.Bench;

using Symmetry.Torch;
using Torch = Symmetry.Torch.Torch;

/// <summary><c>lenet-step</c>: one LeNet-300-100 training step (784→300→100→10, ReLU, cross-entropy; forward, backward,
/// plain SGD with lr 0.1) on a batch of 128, ms per step, against idiomatic PyTorch (bench/peers/lenet_step.py).</summary>
internal static class LenetStep
{
    public const string Name = "lenet-step";
    private const int Iterations = 50;
    private const int Repeats = 3;
    private const int Rounds = 5;
    private const int Warmup = 10;
    private const int Batch = 128;
    private const double LearningRate = 0.1;
    private static readonly int[] Widths = [784, 300, 100, 10];

    public static void Run(int threads)
    {
        var parameters = new List<Tensor>();
        try
        {
            using var generator = new Generator(0);
            for (var layer = 0; layer + 1 < Widths.Length; layer++)
            {
                int fanIn = Widths[layer], fanOut = Widths[layer + 1];
                parameters.Add(Uniform([fanOut, fanIn], fanIn, generator));
                parameters.Add(Uniform([fanOut], fanIn, generator));
            }
            using var scope = Torch.NewScope();
            var x = Torch.Randn([Batch, Widths[0]], generator);
            var y = Torch.RandInt(0, Widths[^1], [Batch], generator);
            Harness.Compare(Name, "ms", 1e3, n => Steps(parameters, x, y, n), "lenet_step.py", ["--batch", Batch.ToString()],
                threads, Iterations, Repeats, Rounds, Warmup);
        }
        finally
        {
            foreach (var p in parameters) p.Dispose();
        }
    }

    /// <summary>U(−1/√fanIn, 1/√fanIn), as nn.Linear's default (Kaiming-uniform with a = √5), detached from every scope.</summary>
    private static Tensor Uniform(long[] shape, int fanIn, Generator generator)
    {
        var bound = 1 / Math.Sqrt(fanIn);
        var t = Torch.Empty(shape).DetachFromScope();
        using (t.UniformInPlace(-bound, bound, generator)) { }
        return t.WithRequiresGrad();
    }

    private static void Steps(List<Tensor> p, Tensor x, Tensor y, int n)
    {
        for (var i = 0; i < n; i++)
        {
            using var scope = Torch.NewScope();
            var h1 = Functional.Relu(Functional.Linear(x, p[0], p[1]));
            var h2 = Functional.Relu(Functional.Linear(h1, p[2], p[3]));
            var logits = Functional.Linear(h2, p[4], p[5]);
            var loss = Functional.CrossEntropy(logits, y);
            loss.Backward();
            using (Torch.NoGrad())
            {
                foreach (var parameter in p)
                {
                    var grad = parameter.Grad!;
                    parameter.AddInPlace(grad, -LearningRate);
                    parameter.ZeroGrad();
                }
            }
        }
    }
}
