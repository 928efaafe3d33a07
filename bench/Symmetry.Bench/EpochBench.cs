namespace Symmetry.Bench;

using System.Buffers.Binary;
using System.Globalization;
using Symmetry.Core.Data;
using Symmetry.Core.Models;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;

/// <summary>
/// <c>lenet-epoch</c> and <c>mnist-cnn-epoch</c> (opt-in: an epoch takes seconds to tens of seconds): one training
/// epoch of the zoo's <c>lenet-300-100</c> / <c>mnist-cnn</c> on Fashion-MNIST (60000 training images, pixels/255 as
/// <see cref="DataSets.Load"/> gives them), batch 128, Adam lr 1e-3, cross-entropy, seconds per epoch, against the same
/// model, data order and hyper-parameters in idiomatic PyTorch (bench/peers/epoch.py).
/// </summary>
/// <remarks>
/// Ours is the path users run: <see cref="ModelZoo.Create"/> + TorchSharp's <c>torch.optim.Adam</c> + <see cref="Trainer"/> over
/// <see cref="LoaderData"/> (seed 42, no evaluation), so the time includes everything the Trainer does per step:
/// batch gathering, the forward/backward pass, the global gradient norm (one host sync), the Adam step, dropping
/// the gradients (<c>zero_grad(set_to_none: true)</c>, as the peer does) and reading the loss back. Each timed epoch is a fresh Trainer over the same model and optimizer, so it
/// is epoch 0 of seed 42 every time; its sample order (<see cref="DataLoader.Order"/>) goes to the peer through a
/// temporary file of int64 little-endian indices, and the peer reads the same IDX files itself. The warm-up is
/// <see cref="WarmupSteps"/> steps through the same Trainer path (both sides).
/// </remarks>
internal static class EpochBench
{
    public const string LenetName = "lenet-epoch";
    public const string MnistCnnName = "mnist-cnn-epoch";
    private const int Batch = 128;
    private const double LearningRate = 1e-3;
    private const ulong Seed = 42;
    private const int WarmupSteps = 20;

    /// <summary>About 2 s an epoch on one core: 3 rounds of 2 timed epochs each side (about 40 s in all).</summary>
    public static void RunLenet(int threads) => Run(LenetName, "lenet-300-100", threads, repeats: 2, rounds: 3);

    /// <summary>About 30–40 s an epoch on one core: 2 rounds of 1 timed epoch each side, the median of 2 being their mean
    /// (about 2.5 minutes in all).</summary>
    public static void RunMnistCnn(int threads) => Run(MnistCnnName, "mnist-cnn", threads, repeats: 1, rounds: 2);

    private static void Run(string name, string modelName, int threads, int repeats, int rounds)
    {
        using var splits = DataSets.Load(); // Fashion-MNIST from its Debian directory, pixels/255, not normalised
        var data = new LoaderData(splits, Batch, Seed);
        var orderFile = Path.Combine(Path.GetTempPath(), $"symmetry-bench-order-{Environment.ProcessId}-{name}.bin");
        try
        {
            // The order the Trainer's epoch 0 visits: LoaderData's training loader is exactly this one.
            WriteOrder(orderFile, new DataLoader(splits.Train, Batch, shuffle: true, Seed).Order(0));
            using var init = Generators.ForPurpose(Seed, "init");
            using var model = ModelZoo.Create(modelName, ModelConfig.Mnist, init);
            using var optimizer = torch.optim.Adam(model.parameters(), LearningRate);
            var options = new TrainerOptions { Epochs = 1, Seed = Seed, EvaluateEachEpoch = false };
            string[] peerArgs =
            [
                "--model", modelName, "--data", splits.Directory, "--order", orderFile,
                "--batch", Batch.ToString(CultureInfo.InvariantCulture), "--lr", LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ];
            Harness.Compare(name, "s", 1, epochs =>
                {
                    for (var e = 0; e < epochs; e++) Train(model, optimizer, data, options);
                },
                "epoch.py", peerArgs, threads, iterations: 1, repeats, rounds, WarmupSteps,
                oursWarmup: steps => Train(model, optimizer, new FirstBatches(data, steps), options));
        }
        finally
        {
            File.Delete(orderFile);
        }
    }

    /// <summary>One epoch (or, with <see cref="FirstBatches"/>, its first steps) exactly as a user runs it.</summary>
    private static void Train(ZooModel model, torch.optim.Optimizer optimizer, ITrainingData data, TrainerOptions options)
    {
        using var trainer = new Trainer(model, optimizer, data, options);
        trainer.Run();
    }

    /// <summary>Writes a sample order as int64 little-endian indices, the form the peer reads.</summary>
    internal static void WriteOrder(string path, long[] order)
    {
        var bytes = new byte[order.Length * sizeof(long)];
        for (var i = 0; i < order.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), order[i]);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The first <c>count</c> training batches of each epoch (the warm-up).</summary>
    private sealed class FirstBatches(ITrainingData inner, int count) : ITrainingData
    {
        public IEnumerable<Batch> TrainBatches(int epoch) => inner.TrainBatches(epoch).Take(count);

        public IEnumerable<Batch> TrainEvaluationBatches() => inner.TrainEvaluationBatches();

        public IEnumerable<Batch> TestBatches() => inner.TestBatches();
    }
}
