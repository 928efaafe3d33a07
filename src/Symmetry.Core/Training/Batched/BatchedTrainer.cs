using System.Diagnostics;
using Symmetry.Core.Data;
using Symmetry.Core.Models;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training.Batched;

/// <summary>
/// Trains K <see cref="Trainer"/>s' MLPs of one <see cref="MlpLayout"/> at once, as the K sequential
/// <see cref="Trainer.Run"/>s would: parameters and masks stacked (<see cref="StackedMlp"/>), one batched matmul per
/// layer, each network's batches gathered from its own loader's order (its own seed), the sum of the K mean losses
/// back-propagated (so each network gets exactly its own gradient), one optimizer over the stacked tensors — Adam,
/// AdamW and SGD update element by element with scalars shared by all networks (rate, step count, bias corrections),
/// so slice k follows network k's own optimizer — and the gradient norm per network. On a CPU with AVX-512 the
/// gradients (and Adam's update) come instead from <see cref="FusedCpuStep"/>, network by network in cache, without
/// autograd (<see cref="Step"/>).
/// </summary>
/// <remarks>
/// <para>At every epoch end the stacked state is copied back into each network's model and optimizer, each trainer's
/// epoch, step, scheduler position, gradient-norm sum and wall time are set, each network is evaluated (one stacked
/// pass over the shared evaluation batches), and each trainer's callbacks run as in <see cref="Trainer.Run"/>: metrics,
/// epoch checkpoints and best snapshots come out as a sequential run's. A network's wall time is its share (1/K) of
/// the group's training time. Step callbacks (<see cref="ITrainingCallback.OnStep"/>) are not called; training stops
/// early only when every network's callbacks ask to.</para>
/// <para>The networks must be built alike: same layout and device, same epochs, <see cref="LoaderData"/> over the same
/// splits and batch size without augmentation, no step-wise evaluation, the same epoch and step (a resumed network is
/// restored into its trainer first), and optimizers created from <c>optimizer</c> with schedules from
/// <c>schedule</c>.</para>
/// </remarks>
public sealed class BatchedTrainer
{
    private readonly IReadOnlyList<Trainer> networks;
    private readonly IReadOnlyList<ZooModel> models;
    private readonly OptimizerSettings optimizerSettings;
    private readonly Schedule? schedule;
    private readonly LoaderData data;

    /// <summary>Prepares to train <paramref name="networks"/> (built and, when resuming, restored by the caller).</summary>
    /// <exception cref="ArgumentException">The networks cannot be trained together; the message says why.</exception>
    public BatchedTrainer(IReadOnlyList<Trainer> networks, OptimizerSettings optimizer, Schedule? schedule)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (networks.Count == 0) throw new ArgumentException("batched training needs at least one network", nameof(networks));
        (this.networks, optimizerSettings, this.schedule) = (networks, optimizer, schedule);
        models = networks.Select(n => n.Model as ZooModel ?? throw new ArgumentException($"batched training takes zoo models, not {n.Model.GetType().Name}", nameof(networks))).ToList();
        var first = networks[0];
        data = first.Data as LoaderData ?? throw new ArgumentException("batched training reads LoaderData", nameof(networks));
        foreach (var n in networks)
        {
            var o = n.Options;
            if (n.Data is not LoaderData d || d.Train.Dataset != data.Train.Dataset || d.Test.Dataset != data.Test.Dataset
                || d.Train.BatchSize != data.Train.BatchSize || d.Train.Augmentation is not null || d.Train.DropLast)
                throw new ArgumentException("batched networks need LoaderData over the same splits and batch size, without augmentation", nameof(networks));
            if (o.Epochs != first.Options.Epochs || o.EvaluateEachEpoch != first.Options.EvaluateEachEpoch
                || o.EvaluateTrainSet != first.Options.EvaluateTrainSet || o.ScheduleEachEpoch != first.Options.ScheduleEachEpoch
                || o.Device.type != first.Options.Device.type || o.Device.index != first.Options.Device.index || o.EvaluateEverySteps != 0)
                throw new ArgumentException("batched networks need the same epochs, evaluation, schedule cadence and device, and no step-wise evaluation", nameof(networks));
            if (n.Epoch != first.Epoch || n.Step != first.Step)
                throw new ArgumentException($"batched networks must start at the same point (epoch {first.Epoch}, step {first.Step}), one is at epoch {n.Epoch}, step {n.Step}", nameof(networks));
            if ((n.Scheduler is null) != (schedule is null))
                throw new ArgumentException("every batched network needs a scheduler exactly when a schedule is given", nameof(networks));
        }
    }

    /// <summary>Networks trained together (K).</summary>
    public int Count => networks.Count;

    /// <summary>How the gradients are computed; <see cref="BatchedStep.Auto"/> unless a test pins one.</summary>
    public BatchedStep Step { get; init; }

    /// <summary>Trains every network from the common epoch up to the common <see cref="TrainerOptions.Epochs"/>.</summary>
    public void Run()
    {
        var first = networks[0];
        var device = first.Options.Device;
        using var stack = new StackedMlp(models, device);
        using var optimizer = optimizerSettings.Create(stack.Parameters);
        var scheduler = schedule is null ? null : new Scheduler(optimizer, schedule, first.Scheduler!.BaseLearningRate);
        scheduler?.Restore(first.Scheduler!.Steps);
        if (first.Step > 0) LoadOptimizerStates(optimizer);
        using var fused = UseFused(stack) ? new FusedCpuStep(stack, optimizer, data.Train.Dataset, data.Train.BatchSize, get_num_threads()) : null;
        var gradientNorms = networks.Select(n => n.CumulativeGradientNorm).ToArray();
        using var gradientNormSums = fused is null ? tensor(gradientNorms, ScalarType.Float64, device) : null;
        var squaredNorms = new double[Count];
        var (epoch, step) = (first.Epoch, first.Step);
        while (epoch < first.Options.Epochs)
        {
            var clock = Stopwatch.StartNew();
            var epochData = new EpochOrders(networks, epoch);
            var batchSize = data.Train.BatchSize;
            var total = (int)data.Train.Dataset.Count;
            if (fused is not null)
            {
                for (var start = 0; start < total; start += batchSize)
                {
                    fused.Step(epochData.Orders, start, Math.Min(batchSize, total - start), squaredNorms);
                    for (var k = 0; k < Count; k++) gradientNorms[k] += Math.Sqrt(squaredNorms[k]);
                    FinishStep(stack, fused.UpdatesParameters ? null : optimizer, scheduler, ref step);
                }
            }
            else
            {
                foreach (var (inputs, labels) in epochData.Batches(data.Train.Dataset, batchSize, device))
                {
                    using var scope = NewDisposeScope();
                    var logits = stack.Forward(inputs);
                    var batch = logits.size(1);
                    var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.size(2)), labels.reshape(-1), reduction: nn.Reduction.None)
                        .view(Count, batch).mean([1]).sum();
                    loss.backward();
                    stack.MaskGradients();
                    if (stack.SquaredGradientNorms() is { } squared) gradientNormSums!.add_(squared.to(ScalarType.Float64).sqrt());
                    inputs.Dispose();
                    labels.Dispose();
                    FinishStep(stack, optimizer, scheduler, ref step);
                    stack.ClearGradients();
                }
                gradientNorms = gradientNormSums!.to(CPU).data<double>().ToArray();
            }
            epoch++;
            if (first.Options.ScheduleEachEpoch) StepSchedulers(scheduler);
            var share = clock.Elapsed.TotalSeconds / Count;
            SyncNetworks(stack, optimizer, gradientNorms, epoch, step, share);
            if (first.Options.EvaluateEachEpoch) Evaluate(stack, epoch);
            foreach (var n in networks) n.EndEpoch();
            if (networks.All(n => n.StopRequested())) break;
        }
    }

    /// <summary>Whether this run takes <see cref="FusedCpuStep"/> (see <see cref="BatchedStep"/>).</summary>
    private bool UseFused(StackedMlp stack)
    {
        var supported = FusedCpuStep.Supports(stack, data.Train.Dataset, out var reason);
        return Step switch
        {
            BatchedStep.Fused when !supported => throw new ArgumentException($"the fused CPU step was asked for, but {reason}"),
            BatchedStep.Fused => true,
            BatchedStep.Autograd => false,
            _ => supported && FusedCpuStep.Accelerated,
        };
    }

    /// <summary>The optimizer step and masks (unless the fused step did both: null), then the schedule, after the
    /// gradients of one batch.</summary>
    private void FinishStep(StackedMlp stack, optim.Optimizer? optimizer, Scheduler? scheduler, ref long step)
    {
        if (optimizer is not null)
        {
            optimizer.step();
            stack.ApplyMasks();
        }
        step++;
        if (!networks[0].Options.ScheduleEachEpoch) StepSchedulers(scheduler);
    }

    private void StepSchedulers(Scheduler? scheduler)
    {
        scheduler?.Step();
        foreach (var n in networks) n.Scheduler?.Step();
    }

    /// <summary>Stacks the networks' own optimizer states (a resumed run) into the stacked optimizer.</summary>
    private void LoadOptimizerStates(optim.Optimizer optimizer)
    {
        var flats = networks.Select(n => OptimizerStates.Flatten(n.Optimizer)).ToList();
        try
        {
            using var stacked = new NamedTensors();
            using var scope = NewDisposeScope();
            foreach (var (name, value) in flats[0])
                stacked.Add(name, name is "step" or "lr" ? value.clone() : stack(flats.Select(f => f[name]).ToArray()));
            OptimizerStates.Restore(optimizer, stacked);
        }
        finally
        {
            foreach (var f in flats) f.Dispose();
        }
    }

    /// <summary>Writes the stacked state back into every network: model, optimizer state, counters.</summary>
    private void SyncNetworks(StackedMlp stack, optim.Optimizer optimizer, double[] norms, int epoch, long step, double wallShare)
    {
        stack.CopyTo(models);
        using var flat = OptimizerStates.Flatten(optimizer);
        for (var k = 0; k < Count; k++)
        {
            using (var slice = new NamedTensors())
            {
                using var scope = NewDisposeScope();
                foreach (var (name, value) in flat) slice.Add(name, name is "step" or "lr" ? value.clone() : value[k].clone());
                OptimizerStates.Restore(networks[k].Optimizer, slice);
            }
            var n = networks[k];
            n.Epoch = epoch;
            n.Step = step;
            n.CumulativeGradientNorm = norms[k];
            n.WallSeconds += wallShare;
        }
    }

    private void Evaluate(StackedMlp stack, int epoch)
    {
        var nan = new LossAccuracy(double.NaN, double.NaN, 0);
        var first = networks[0];
        var train = first.Options.EvaluateTrainSet ? BatchedEvaluation.Evaluate(stack, first.Data.TrainEvaluationBatches()) : null;
        var test = BatchedEvaluation.Evaluate(stack, first.Data.TestBatches());
        for (var k = 0; k < Count; k++)
        {
            var n = networks[k];
            var (distance, cosine) = n.DriftFromInit();
            n.Record(new TrainingMetrics
            {
                Step = n.Step,
                Epoch = epoch,
                Train = train?[k] ?? nan,
                Test = test[k],
                LearningRate = n.LearningRate,
                DistanceFromInit = distance,
                CosineToInit = cosine,
                CumulativeGradientNorm = n.CumulativeGradientNorm,
                WallSeconds = n.WallSeconds,
            });
        }
    }

    /// <summary>One epoch's sample orders: each network's loader order (drawn once per distinct seed).</summary>
    private sealed class EpochOrders
    {
        private readonly List<long[]> distinct;
        private readonly long[] orderOf;

        internal EpochOrders(IReadOnlyList<Trainer> networks, int epoch)
        {
            var loaders = networks.Select(n => ((LoaderData)n.Data).Train).ToList();
            var seeds = loaders.Select(l => l.Seed).Distinct().ToList();
            distinct = seeds.Select(s => loaders.First(l => l.Seed == s).Order(epoch)).ToList();
            orderOf = loaders.Select(l => (long)seeds.IndexOf(l.Seed)).ToArray();
            Orders = orderOf.Select(i => distinct[(int)i]).ToList();
        }

        /// <summary>Each network's sample order for the epoch (networks with one seed share an array).</summary>
        internal IReadOnlyList<long[]> Orders { get; }

        /// <summary>Per step, inputs (K, B, features) and labels (K, B) on <paramref name="device"/>, each network's batch
        /// gathered from its own order even when the orders are one: a single (B, in)·(in, K·out) product for layer 1
        /// rounds unlike the sequential run's addmm, and Adam carried that past 1e-5 (a replayed equivalence case).
        /// The orders become index tensors here, for this path only (the fused step reads <see cref="Orders"/>); the
        /// caller disposes each pair.</summary>
        internal IEnumerable<(Tensor Inputs, Tensor Labels)> Batches(TensorDataset dataset, int batchSize, Device device)
        {
            var count = orderOf.Length;
            Tensor rows, rowOf;
            using (NewDisposeScope())
            {
                rows = stack(distinct.Select(o => tensor(o, device: dataset.Device)).ToArray()).DetachFromDisposeScope();
                rowOf = tensor(orderOf, device: dataset.Device).DetachFromDisposeScope();
            }
            try
            {
                var total = dataset.Count;
                for (var start = 0L; start < total; start += batchSize)
                {
                    var length = Math.Min(batchSize, total - start);
                    using var scope = NewDisposeScope();
                    var index = rows.narrow(1, start, length).index_select(0, rowOf).reshape(-1);
                    var inputs = dataset.Images.index_select(0, index).view(count, length, -1);
                    var labels = dataset.Labels.index_select(0, index).view(count, length);
                    var pair = (inputs.to(device).MoveToOuterDisposeScope(), labels.to(device).MoveToOuterDisposeScope());
                    scope.Dispose();
                    yield return pair;
                }
            }
            finally
            {
                rows.Dispose();
                rowOf.Dispose();
            }
        }
    }
}
