namespace Symmetry.Bench;

using System.Globalization;
using Symmetry.Core.Data;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Training;
using Symmetry.Core.Training.Batched;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// <c>sweep-profile</c> (opt-in diagnostic): where a <c>sweep-batched</c> step's time goes, and the arithmetic floor.
/// First the floor: the bare batched matmuls of one step of K MNIST_FC 6×16 networks (every layer's forward, input
/// gradient and weight gradient, random data of the step's shapes, nothing else; layer 1 also as K separate matmuls and
/// under autograd), in µs per network-step of process CPU time. Then one step of <see cref="BatchedTrainer"/>'s autograd
/// path (<see cref="BatchedStep.Autograd"/>; the fused CPU step is one call, timed by sweep-batched) replayed op for op
/// with a timer per phase (gather, forward and loss, backward, gradient masks, per-network gradient norms,
/// optimizer, weight masks), gathering float images or, as tried for the trainer, their bytes (images × 255, then
/// converted back by the loader's <c>to(float32).div_(255)</c>).
/// bench/peers/sweep_profile.py (run by hand) gives the peer's layer-1 matmuls and step on the same clock.
/// </summary>
internal static class SweepProfile
{
    public const string Name = "sweep-profile";
    private const int Batch = 128;
    private const int Warmup = 10;
    private const int Steps = 60;
    private static readonly OptimizerSettings Optimizer = TrainingRecipes.Seed000.Optimizer;

    public static void Run(int threads)
    {
        foreach (var k in new[] { 16, 64, 256 }) Floor(k);
        using var splits = DataSets.Load();
        foreach (var k in new[] { 16, 64 })
            foreach (var bytes in new[] { false, true }) Phases(splits, k, bytes);
    }

    /// <summary>The matmuls of one step, alone: layer 1 forward (K,B,784)·(K,784,16) and its weight gradient
    /// (K,16,B)·(K,B,784) (no input gradient: the data needs none), and the 16-wide layers' forward, input and weight
    /// gradients.</summary>
    private static void Floor(int k)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(k, Batch, 784);
        var w1 = rand(k, 16, 784);
        var g1 = rand(k, Batch, 16);
        var h = rand(k, Batch, 16);
        var w = rand(k, 16, 16);
        var w7 = rand(k, 10, 16);
        var g7 = rand(k, Batch, 10);
        var firstForward = Time(() => x.bmm(w1.transpose(1, 2)));
        var firstWeightGradient = Time(() => g1.transpose(1, 2).bmm(x));
        var small = Time(() =>
        {
            using var s = NewDisposeScope();
            for (var layer = 0; layer < 5; layer++)
            {
                _ = h.bmm(w.transpose(1, 2));
                _ = h.bmm(w);
                _ = h.transpose(1, 2).bmm(h);
            }
            _ = h.bmm(w7.transpose(1, 2));
            _ = g7.bmm(w7);
            _ = g7.transpose(1, 2).bmm(h);
            return empty(0);
        });
        var one = Time(() =>
        {
            using var s = NewDisposeScope();
            for (var i = 0; i < k; i++)
            {
                _ = x[i].mm(w1[i].t());
                _ = g1[i].t().mm(x[i]);
            }
            return empty(0);
        });
        var w1Grad = w1.clone().requires_grad_(true);
        var viaBmm = Time(() =>
        {
            using var s = NewDisposeScope();
            x.bmm(w1Grad.transpose(1, 2)).sum().backward();
            w1Grad.grad = null;
            return empty(0);
        }, grad: true);
        var viaMm = Time(() =>
        {
            using var s = NewDisposeScope();
            var xs = x.unbind(0);
            var ws = w1Grad.unbind(0);
            stack(xs.Zip(ws, (a, b) => a.mm(b.t())).ToArray()).sum().backward();
            w1Grad.grad = null;
            return empty(0);
        }, grad: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench: {Name} floor K={k,3}: layer 1 forward+backward under autograd: bmm {viaBmm / k * 1e6:0.0} µs, unbind+mm+stack {viaMm / k * 1e6:0.0} µs per network-step"));
        var flops = 2.0 * Batch * 784 * 16 * 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench: {Name} floor K={k,3}: layer-1 forward {firstForward / k * 1e6,6:0.0} µs + weight gradient {firstWeightGradient / k * 1e6,6:0.0} µs " +
            $"({flops / ((firstForward + firstWeightGradient) / k) / 1e9:0.0} GFLOP/s) + 16-wide layers {small / k * 1e6,5:0.0} µs " +
            $"= {(firstForward + firstWeightGradient + small) / k * 1e6,6:0.0} µs per network-step; layer 1 as K separate mm: {one / k * 1e6:0.0} µs"));
    }

    /// <summary>Fashion-MNIST's pixels as the bytes they were loaded from (N, 784).</summary>
    private static Tensor ToBytes(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return images.flatten(1).mul(255.0).round().to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    private static double Time(Func<Tensor> op, bool grad = false)
    {
        using var mode = grad ? enable_grad() : no_grad();
        for (var i = 0; i < 5; i++) op().Dispose();
        var best = double.MaxValue;
        for (var r = 0; r < 5; r++)
        {
            var start = Harness.ProcessCpuSeconds();
            for (var i = 0; i < 10; i++) op().Dispose();
            best = Math.Min(best, (Harness.ProcessCpuSeconds() - start) / 10);
        }
        return best;
    }

    private static void Phases(DataSplits splits, int k, bool bytes)
    {
        var models = new List<ZooModel>();
        try
        {
            for (var seed = 0UL; seed < (ulong)k; seed++)
            {
                using var init = Generators.ForPurpose(seed, "init");
                var model = ModelZoo.Create("mnist-fc", new MlpConfig { Widths = [16, 16, 16, 16, 16, 16] }, init);
                using (var mask = ModelMasks.Create(model, MaskType.Random, 0.5, seed, excludeOutputLayer: true)) model.SetMask(mask);
                models.Add(model);
            }
            using var stack = new StackedMlp(models, CPU);
            using var optimizer = Optimizer.Create(stack.Parameters);
            using var pixelBytes = bytes ? ToBytes(splits.Train.Images) : null;
            using var orders = RandomOrders(k, splits.Train.Count);
            using var gradientNormSums = zeros(k, ScalarType.Float64);
            string[] phases = ["gather", "forward+loss", "backward", "grad-masks", "grad-norms", "optimizer", "weight-masks", "clear-grads"];
            var totals = new double[phases.Length];
            var images = splits.Train.Images;
            var labelsAll = splits.Train.Labels;
            for (var step = 0; step < Warmup + Steps; step++)
            {
                using var scope = NewDisposeScope();
                var t = new double[phases.Length + 1];
                t[0] = Harness.ProcessCpuSeconds();
                var index = orders.narrow(1, step * Batch, Batch).reshape(-1);
                var inputs = (pixelBytes is null ? images.index_select(0, index) : pixelBytes.index_select(0, index).to(ScalarType.Float32).div_(255.0)).view(k, Batch, -1);
                var labels = labelsAll.index_select(0, index).view(k, Batch);
                t[1] = Harness.ProcessCpuSeconds();
                var logits = stack.Forward(inputs);
                var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.size(2)), labels.reshape(-1), reduction: nn.Reduction.None)
                    .view(k, Batch).mean([1]).sum();
                t[2] = Harness.ProcessCpuSeconds();
                loss.backward();
                t[3] = Harness.ProcessCpuSeconds();
                stack.MaskGradients();
                t[4] = Harness.ProcessCpuSeconds();
                if (stack.SquaredGradientNorms() is { } squared) gradientNormSums.add_(squared.to(ScalarType.Float64).sqrt());
                t[5] = Harness.ProcessCpuSeconds();
                optimizer.step();
                t[6] = Harness.ProcessCpuSeconds();
                stack.ApplyMasks();
                t[7] = Harness.ProcessCpuSeconds();
                stack.ClearGradients();
                t[8] = Harness.ProcessCpuSeconds();
                if (step >= Warmup)
                    for (var p = 0; p < phases.Length; p++) totals[p] += t[p + 1] - t[p];
            }
            var perNetworkStep = totals.Select(s => s / Steps / k * 1e6).ToArray();
            var split = string.Join(" + ", phases.Select((p, i) => string.Create(CultureInfo.InvariantCulture, $"{p} {perNetworkStep[i]:0.0}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench: {Name} step K={k,3} gathering {(bytes ? "bytes" : "floats")}: {perNetworkStep.Sum(),6:0.0} µs per network-step = {split}"));
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>K random orders of the training samples (K, count): each network's own, as the trainer gathers them.</summary>
    private static Tensor RandomOrders(int k, long count)
    {
        var random = new Random(1);
        var rows = new long[k * count];
        for (var i = 0; i < k; i++)
        {
            var row = Enumerable.Range(0, (int)count).Select(j => (long)j).ToArray();
            random.Shuffle(row);
            row.CopyTo(rows, i * count);
        }
        return tensor(rows, [k, count]);
    }
}
