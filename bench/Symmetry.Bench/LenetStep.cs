namespace Symmetry.Bench;

using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

/// <summary><c>lenet-step</c>: one LeNet-300-100 training step (784→300→100→10, ReLU, cross-entropy; forward, backward,
/// plain SGD with lr 0.1) on a batch of 128, ms per step, against idiomatic PyTorch (bench/peers/lenet_step.py).</summary>
/// <remarks>Ours is plain TorchSharp over leaf tensors (functional linear/relu/cross_entropy, the update written out
/// under no_grad, gradients zeroed in place as the peer's <c>zero_grad(set_to_none=False)</c> does), one dispose
/// scope per step.</remarks>
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
            using var generator = Generators.Create(0);
            for (var layer = 0; layer + 1 < Widths.Length; layer++)
            {
                int fanIn = Widths[layer], fanOut = Widths[layer + 1];
                parameters.Add(Uniform([fanOut, fanIn], fanIn, generator));
                parameters.Add(Uniform([fanOut], fanIn, generator));
            }
            using var scope = NewDisposeScope();
            using var alpha = (-LearningRate).ToScalar();
            var x = randn([Batch, Widths[0]], generator: generator);
            var y = randint(0, Widths[^1], [Batch], generator: generator);
            Harness.Compare(Name, "ms", 1e3, n => Steps(parameters, x, y, alpha, n), "lenet_step.py", ["--batch", Batch.ToString()],
                threads, Iterations, Repeats, Rounds, Warmup);
        }
        finally
        {
            foreach (var p in parameters) p.Dispose();
        }
    }

    /// <summary>U(−1/√fanIn, 1/√fanIn), as nn.Linear's default (Kaiming-uniform with a = √5); created outside every
    /// dispose scope, owned by the caller.</summary>
    internal static Tensor Uniform(long[] shape, int fanIn, Generator generator)
    {
        var bound = 1 / Math.Sqrt(fanIn);
        return empty(shape).uniform_(-bound, bound, generator).requires_grad_();
    }

    private static void Steps(List<Tensor> p, Tensor x, Tensor y, Scalar alpha, int n)
    {
        for (var i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            var h1 = F.relu(F.linear(x, p[0], p[1]));
            var h2 = F.relu(F.linear(h1, p[2], p[3]));
            var logits = F.linear(h2, p[4], p[5]);
            var loss = F.cross_entropy(logits, y);
            loss.backward();
            using (no_grad())
            {
                foreach (var parameter in p)
                {
                    // The grad getter makes a new wrapper on every read; the scope disposes it.
                    var grad = parameter.grad!;
                    parameter.add_(grad, alpha);
                    grad.zero_();
                }
            }
        }
    }
}
