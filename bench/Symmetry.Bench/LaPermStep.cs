namespace Symmetry.Bench;

using Symmetry.Core.LaPerm;
using Symmetry.Core.Models;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

/// <summary><c>laperm-step</c>: one LeNet-300-100 LaPerm step with a sync every step (k = 1, biases synchronised: every
/// parameter rearranged) — forward, backward, Adam (ε 1e-7) and the synchronisation — on a batch of 128, ms per step,
/// against PyTorch (bench/peers/laperm_step.py, written from ALGORITHMS §2).</summary>
/// <remarks>Ours is the library's path: the zoo model, <see cref="AdamSettings.Create"/>'s GC-safe Adam and
/// <see cref="LaPermSynchronizer.Synchronise"/> (one stable sort per row and a scatter). The peer runs the spec as
/// written, rank = argsort(argsort(θ_t)) then a gather (two sorts), and, on the second line, the same one-sort scatter
/// as ours, so the two ratios separate the algorithm from the binding.</remarks>
internal static class LaPermStep
{
    public const string Name = "laperm-step";
    private const int Iterations = 30;
    private const int Repeats = 3;
    private const int Rounds = 5;
    private const int Warmup = 10;
    private const int Batch = 128;

    public static void Run(int threads)
    {
        using var init = Generators.ForPurpose(0, "init");
        using var model = ModelZoo.Create("lenet-300-100", ModelConfig.Mnist, init);
        using var optimizer = new AdamSettings { Eps = 1e-7 }.Create(model.parameters());
        using var laPerm = new LaPermSynchronizer(model, new LaPermSettings { SyncPeriod = 1, SynchroniseBiases = true });
        using var theta0 = new NamedTensors();
        using (NewDisposeScope())
            foreach (var (name, p) in model.named_parameters()) theta0.Add(name, p.detach().clone());
        using var scope = NewDisposeScope();
        using var generator = Generators.Create(0);
        var x = randn([Batch, 1, 28, 28], generator: generator);
        var y = randint(0, 10, [Batch], generator: generator);
        model.train();
        void Steps(int n)
        {
            for (var i = 0; i < n; i++)
            {
                using var step = NewDisposeScope();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                loss.backward();
                optimizer.step();
                model.zero_grad(set_to_none: true);
                laPerm.Synchronise(model, theta0);
            }
        }
        Harness.Compare(Name, "ms", 1e3, Steps, "laperm_step.py", ["--batch", Batch.ToString(), "--rearrange", "spec"],
            threads, Iterations, Repeats, Rounds, Warmup);
        Harness.Compare(Name + " (peer: one sort + scatter)", "ms", 1e3, Steps, "laperm_step.py", ["--batch", Batch.ToString(), "--rearrange", "scatter"],
            threads, Iterations, Repeats, Rounds, Warmup);
    }
}
