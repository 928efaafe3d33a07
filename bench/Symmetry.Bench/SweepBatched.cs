namespace Symmetry.Bench;

using System.Globalization;
using Symmetry.Core.Data;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Training;
using Symmetry.Core.Training.Batched;
using Symmetry.Torch;
using TorchSharp;

/// <summary>
/// <c>sweep-batched</c> (opt-in: about a minute or more): 64 masked MNIST_FC 6×16 networks (random mask 0.5 on the
/// hidden layers, AdamW lr 0.01, weight decay 1e-5, batch 128: the seed-000 recipe), one Fashion-MNIST epoch each,
/// trained at once by <see cref="BatchedTrainer"/>, against PyTorch training the same 64 one after another
/// (bench/peers/sweep.py); then ours by each gradient path (<see cref="BatchedStep"/>). Each network has its own seed, so its own init, mask and data order, gathered per network.
/// Then the throughput curve: networks × steps per second for K = 1, 4, 16, 64, 256 networks at once (100 steps of
/// an epoch each), with each network's own order and with one order shared by all (every seed equal).
/// </summary>
internal static class SweepBatched
{
    public const string Name = "sweep-batched";
    private const int Networks = 64;
    private const int Batch = 128;
    private const double Sparsity = 0.5;
    private const int WarmupSteps = 20;
    private const int CurveSteps = 100;
    private static readonly OptimizerSettings Optimizer = TrainingRecipes.Seed000.Optimizer;

    public static void Run(int threads)
    {
        using var splits = DataSets.Load();
        string[] peerArgs = ["--data", splits.Directory, "--networks", Networks.ToString(CultureInfo.InvariantCulture),
            "--batch", Batch.ToString(CultureInfo.InvariantCulture), "--sparsity", Sparsity.ToString("R", CultureInfo.InvariantCulture)];
        Harness.Compare(Name, "s", 1, sweeps =>
            {
                for (var s = 0; s < sweeps; s++) Train(splits, Enumerable.Range(0, Networks).Select(i => (ulong)i).ToList());
            },
            "sweep.py", peerArgs, threads, iterations: 1, repeats: 1, rounds: 1, WarmupSteps,
            oursWarmup: steps => TrainSteps(splits, [1000UL, 1001UL], steps));
        // Ours two ways in one run: the fused CPU step (what Auto takes on an AVX-512 CPU) against libtorch's batched
        // matmuls under autograd, the path any other device takes.
        var seeds = Enumerable.Range(0, Networks).Select(i => (ulong)i).ToList();
        var paths = new[] { BatchedStep.Fused, BatchedStep.Autograd }.Select(step =>
        {
            var start = Harness.Now();
            Train(splits, seeds, step);
            return Harness.Now() - start;
        }).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench: {Name} paths: fused={paths[0]:0.000}s autograd={paths[1]:0.000}s ratio={paths[0] / paths[1]:0.000}"));
        foreach (var k in new[] { 1, 4, 16, 64, 256 })
        {
            var own = Throughput(splits, Enumerable.Range(0, k).Select(i => (ulong)i).ToList());
            var shared = Throughput(splits, Enumerable.Repeat(7UL, k).ToList());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench: {Name} K={k,3}: {own,8:0.0} network-steps/s with each network's own order, {shared,8:0.0} with one shared order"));
        }
    }

    /// <summary>Network-steps per second of <see cref="CurveSteps"/> steps of the given networks trained at once.</summary>
    private static double Throughput(DataSplits splits, IReadOnlyList<ulong> seeds)
    {
        TrainSteps(splits, seeds, 5);
        var start = Harness.Now();
        TrainSteps(splits, seeds, CurveSteps);
        return seeds.Count * CurveSteps / (Harness.Now() - start);
    }

    private static void TrainSteps(DataSplits splits, IReadOnlyList<ulong> seeds, int steps)
    {
        using var train = splits.Train.Take((long)steps * Batch);
        using var test = splits.Test.Take(1);
        using var part = new DataSplits(splits.Name, splits.Directory, splits.Format, train.Take(train.Count), test.Take(1), splits.ClassCount);
        Train(part, seeds);
    }

    /// <summary>One epoch of one network per seed, batched, as a sweep trains them (no evaluation).</summary>
    private static void Train(DataSplits splits, IReadOnlyList<ulong> seeds, BatchedStep step = BatchedStep.Auto)
    {
        var networks = new List<(ZooModel Model, torch.optim.Optimizer Optimizer, Trainer Trainer)>();
        try
        {
            foreach (var seed in seeds)
            {
                using var init = Generators.ForPurpose(seed, "init");
                var model = ModelZoo.Create("mnist-fc", new MlpConfig { Widths = [16, 16, 16, 16, 16, 16] }, init);
                using (var mask = ModelMasks.Create(model, MaskType.Random, Sparsity, seed, excludeOutputLayer: true)) model.SetMask(mask);
                var optimizer = Optimizer.Create(model.parameters());
                var trainer = new Trainer(model, optimizer, new LoaderData(splits, Batch, seed),
                    new TrainerOptions { Epochs = 1, Seed = seed, EvaluateEachEpoch = false });
                networks.Add((model, optimizer, trainer));
            }
            new BatchedTrainer(networks.Select(n => n.Trainer).ToList(), Optimizer, null) { Step = step }.Run();
        }
        finally
        {
            foreach (var (model, optimizer, trainer) in networks)
            {
                trainer.Dispose();
                optimizer.Dispose();
                model.Dispose();
            }
        }
    }
}
