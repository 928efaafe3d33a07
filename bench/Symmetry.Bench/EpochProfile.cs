namespace Symmetry.Bench;

using System.Globalization;
using Symmetry.Core.Data;
using Symmetry.Core.Models;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

/// <summary><c>epoch-profile</c> (opt-in diagnostic): the steps of <c>lenet-epoch</c> and <c>mnist-cnn-epoch</c> split
/// into the phases of <see cref="Symmetry.Core.Training.Trainer"/>'s step, replayed here op for op (the Trainer itself
/// has no timers): batch gathering, forward to the loss, backward, the Trainer's extras (global gradient norm with its
/// host read, loss read-back), the Adam step and zeroing the gradients; ms per step of process CPU time, over
/// <see cref="Steps"/> steps of the epoch-0 order after a warm-up; then the forward pass layer by layer. The same
/// phases timed by bench/peers/epoch.py --profile over the same sample order give the peer's split, printed beside ours.</summary>
/// <remarks>On glibc, large freed blocks are kept in the heap by <see cref="TorchRuntime.Ensure"/> (unless
/// <c>SYMMETRY_DEFAULT_MALLOC=1</c>); running with that variable set shows what returning mnist-cnn's activations to
/// the system every step costs.</remarks>
internal static class EpochProfile
{
    public const string Name = "epoch-profile";
    private const int Batch = 128;
    private const int Warmup = 20;
    private const int Steps = 150;

    public static void Run(int threads)
    {
        using var splits = DataSets.Load();
        foreach (var modelName in new[] { "lenet-300-100", "mnist-cnn" })
        {
            var loader = new DataLoader(splits.Train, Batch, shuffle: true, seed: 42);
            using var init = Generators.ForPurpose(42, "init");
            using var model = ModelZoo.Create(modelName, ModelConfig.Mnist, init);
            using var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
            var parameters = model.parameters().ToList();
            model.train();
            string[] phases = ["gather", "forward", "backward", "grad-norm", "adam", "zero-grad", "loss-read"];
            var totals = new double[phases.Length];
            var step = 0;
            using var batches = loader.Epoch(0).GetEnumerator();
            while (step < Warmup + Steps)
            {
                var t0 = Harness.ProcessCpuSeconds();
                if (!batches.MoveNext()) break;
                var (x, y) = batches.Current;
                using var scope = NewDisposeScope();
                var t1 = Harness.ProcessCpuSeconds();
                var loss = F.cross_entropy(model.forward(x), y);
                var t2 = Harness.ProcessCpuSeconds();
                loss.backward();
                var t3 = Harness.ProcessCpuSeconds();
                Tensor? squared = null;
                foreach (var p in parameters)
                {
                    if (p.grad is not { } grad) continue;
                    var square = grad.square().sum();
                    squared = squared is null ? square : squared + square;
                }
                _ = squared is null ? 0 : Math.Sqrt(squared.item<float>());
                var t4 = Harness.ProcessCpuSeconds();
                optimizer.step();
                var t5 = Harness.ProcessCpuSeconds();
                model.zero_grad(set_to_none: true);
                var t6 = Harness.ProcessCpuSeconds();
                _ = loss.item<float>();
                var t7 = Harness.ProcessCpuSeconds();
                if (step++ < Warmup) continue;
                double[] times = [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6];
                for (var i = 0; i < times.Length; i++) totals[i] += times[i];
            }
            var measured = step - Warmup;
            var parts = phases.Select((p, i) => $"{p}={(totals[i] * 1e3 / measured).ToString("0.000", CultureInfo.InvariantCulture)}");
            Console.WriteLine($"bench: {Name} {modelName} ms/step (cpu): {string.Join(" ", parts)} " +
                $"total={(totals.Sum() * 1e3 / measured).ToString("0.000", CultureInfo.InvariantCulture)}");
            PrintPeer(modelName, splits.Directory, loader.Order(0), threads);
            PrintLayers(modelName, model, loader);
        }
    }

    /// <summary>The peer's split of the same steps (bench/peers/epoch.py --profile: same phases, order, batch, Adam).</summary>
    private static void PrintPeer(string modelName, string dataDirectory, long[] order, int threads)
    {
        var orderFile = Path.Combine(Path.GetTempPath(), $"symmetry-profile-order-{Environment.ProcessId}-{modelName}.bin");
        try
        {
            EpochBench.WriteOrder(orderFile, order);
            string[] args =
            [
                "--model", modelName, "--data", dataDirectory, "--order", orderFile, "--threads", threads.ToString(CultureInfo.InvariantCulture),
                "--batch", Batch.ToString(CultureInfo.InvariantCulture), "--warmup", Warmup.ToString(CultureInfo.InvariantCulture),
                "--profile", Steps.ToString(CultureInfo.InvariantCulture),
            ];
            var split = Harness.PeerOutput("epoch.py", args, threads) ?? "unavailable (install python3-torch: dotnet fsi build.fsx setup)";
            Console.WriteLine($"bench: {Name} {modelName} peer ms/step (cpu): {split}");
        }
        finally
        {
            File.Delete(orderFile);
        }
    }

    /// <summary>The forward pass layer by layer (training mode, gradients recorded), ms per batch of process CPU time:
    /// the layers are the children of <see cref="ZooModel.Layers"/>.</summary>
    private static void PrintLayers(string modelName, ZooModel model, DataLoader loader)
    {
        const int passes = 20;
        var layers = model.Layers.children().Cast<nn.Module<Tensor, Tensor>>().ToList();
        var totals = new double[layers.Count];
        foreach (var (x, _) in loader.Epoch(0))
        {
            for (var pass = 0; pass < 5 + passes; pass++)
            {
                using var scope = NewDisposeScope();
                var h = x;
                for (var i = 0; i < layers.Count; i++)
                {
                    var start = Harness.ProcessCpuSeconds();
                    h = layers[i].call(h);
                    if (pass >= 5) totals[i] += Harness.ProcessCpuSeconds() - start;
                }
            }
            break;
        }
        var parts = layers.Select((l, i) => $"{i}:{l.GetType().Name}={(totals[i] * 1e3 / passes).ToString("0.000", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"bench: {Name} {modelName} forward by layer, ms (cpu): {string.Join(" ", parts)}");
    }
}
