using System.Diagnostics;
using Symmetry.Core.Models;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training;

/// <summary>Settings of a <see cref="Trainer"/>.</summary>
public sealed record TrainerOptions
{
    private readonly Device? device;

    /// <summary>Epochs to train in total (a resumed run continues up to this).</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>Master seed; each epoch reseeds the global generator from (seed, epoch) so dropout is reproducible across resumes.</summary>
    public ulong Seed { get; init; } = 42;
    /// <summary>Evaluate after every epoch.</summary>
    public bool EvaluateEachEpoch { get; init; } = true;
    /// <summary>Also evaluate every this many steps (0 = never).</summary>
    public long EvaluateEverySteps { get; init; }
    /// <summary>Evaluate the whole training set too (else train metrics are NaN), which doubles evaluation time.</summary>
    public bool EvaluateTrainSet { get; init; } = true;
    /// <summary>Device the model lives on; batches are moved there. Default: the CPU.</summary>
    public Device Device
    {
        get
        {
            // torch.CPU initialises TorchSharp: load the natives our way first.
            TorchRuntime.Ensure();
            return device ?? CPU;
        }
        init => device = value;
    }
    /// <summary>When <see cref="EvaluateEachEpoch"/> is off, still evaluate once training ends (unless the last step
    /// was just evaluated), so a run evaluated every N steps also reports its final weights.</summary>
    public bool EvaluateAtEnd { get; init; }
    /// <summary>Step the scheduler once per epoch (true) or once per optimizer step (false).</summary>
    public bool ScheduleEachEpoch { get; init; } = true;
    /// <summary>Stop once this many optimizer steps have been taken, mid-epoch if need be, after one evaluation (null:
    /// train all <see cref="Epochs"/>).</summary>
    public long? StopAtStep { get; init; }
}

/// <summary>
/// The one training loop (design rule 9): cross-entropy classification with a TorchSharp optimizer, an optional
/// schedule and callbacks for everything else. Records the metrics of ALGORITHMS §1 at every evaluation. Checkpoints at
/// epoch ends (see <see cref="TrainingCheckpoint"/>) hold everything needed to continue exactly as an uninterrupted run.
/// When the model is a <see cref="ZooModel"/> with a mask, the gradients of masked weights are zeroed after every
/// backward pass and the mask is re-applied after every optimizer step, so masked weights stay exactly zero and their
/// optimizer state stays zero.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly List<ITrainingCallback> callbacks;
    private readonly NamedTensors initialParameters;
    private Tensor? gradientNormSum;
    private long skipInEpoch;

    /// <summary>Prepares training; θ₀ is the model's parameters now.</summary>
    /// <param name="model">The model (build <paramref name="optimizer"/> on its parameters after moving it to the device).</param>
    /// <param name="optimizer">A TorchSharp optimizer, e.g. <c>torch.optim.Adam(model.parameters(), …)</c>.</param>
    /// <param name="data">The data.</param>
    /// <param name="options">The settings.</param>
    /// <param name="schedule">A learning-rate schedule over the optimizer's current rate, or null for a constant rate.</param>
    /// <param name="callbacks">Callbacks.</param>
    /// <exception cref="ArgumentException">The options name a CUDA device this process cannot use.</exception>
    public Trainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, ITrainingData data, TrainerOptions options,
        Schedule? schedule = null, IEnumerable<ITrainingCallback>? callbacks = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        DeviceCheck.Require(options.Device);
        // Some CPUs' oneDNN gets convolution input gradients wrong; this switches it off when the model would hit that.
        if (options.Device.type == DeviceType.CPU) ConvGradientGuard.Protect(model);
        (Model, Optimizer, Data, Options) = (model, optimizer, data, options);
        Scheduler = schedule is null ? null : new Scheduler(optimizer, schedule);
        this.callbacks = callbacks?.ToList() ?? new();
        initialParameters = SnapshotParameters(model);
    }

    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }
    /// <summary>The optimizer.</summary>
    public optim.Optimizer Optimizer { get; }
    /// <summary>The learning-rate scheduler, if any.</summary>
    public Scheduler? Scheduler { get; }
    /// <summary>The data.</summary>
    public ITrainingData Data { get; }
    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; }
    /// <summary>Completed epochs.</summary>
    public int Epoch { get; internal set; }
    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; internal set; }
    /// <summary>Σ of the global gradient norm over all steps. Accumulated on the training device in float64, so a step
    /// never waits for the device; reading it is the one host sync.</summary>
    public double CumulativeGradientNorm
    {
        get => gradientNormSum?.item<double>() ?? 0;
        internal set
        {
            gradientNormSum?.Dispose();
            gradientNormSum = tensor(value, ScalarType.Float64, Options.Device).DetachFromDisposeScope();
        }
    }
    /// <summary>Training seconds so far (across resumes).</summary>
    public double WallSeconds { get; internal set; }
    /// <summary>Every evaluation so far in this process.</summary>
    public List<TrainingMetrics> History { get; } = new();
    /// <summary>Steps in the current epoch so far, and the epoch's total when known (for progress display).</summary>
    public (long Done, long? Total) EpochProgress { get; private set; }
    /// <summary>The learning rate in force (the optimizer's first parameter group).</summary>
    public double LearningRate => LearningRates.Get(Optimizer);

    /// <summary>θ₀, the parameters when training started (names as in the model; CPU copies owned by the trainer).</summary>
    public NamedTensors InitialParameters => initialParameters;

    /// <summary>
    /// Places a fresh trainer at optimizer step <paramref name="step"/> of its schedule, as if it had trained that far:
    /// the epoch and step counters, the scheduler's position, and the data order (the first epoch run skips the
    /// batches before the step). The model and optimizer are left as they are (a rewound network, a fresh optimizer).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative step, or batches per epoch below 1.</exception>
    /// <exception cref="InvalidOperationException">The trainer has already trained.</exception>
    public void StartAt(long step, long batchesPerEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchesPerEpoch, 1);
        if (Step != 0 || Epoch != 0) throw new InvalidOperationException("StartAt places a fresh trainer; this one has already trained");
        Epoch = checked((int)(step / batchesPerEpoch));
        Step = step;
        skipInEpoch = step % batchesPerEpoch;
        Scheduler?.Restore(Options.ScheduleEachEpoch ? Epoch : step);
    }

    /// <summary>Adds a callback.</summary>
    public void AddCallback(ITrainingCallback callback) => callbacks.Add(callback);

    /// <summary>Trains from the current epoch up to <see cref="TrainerOptions.Epochs"/>; returns the last metrics.
    /// Everything else (checkpoints, pruning schedules, metrics to a store, progress) is a callback.</summary>
    public TrainingMetrics? Run()
    {
        TrainingMetrics? last = History.LastOrDefault();
        // Known up front for a loader (so evaluations within the first epoch get their fraction), else after one epoch.
        var batchesPerEpoch = (Data as LoaderData)?.BatchesPerEpoch;
        while (Epoch < Options.Epochs && !StepLimitReached())
        {
            manual_seed(unchecked((long)Seeds.Derive(Options.Seed, $"epoch-{Epoch}")));
            Model.train();
            var clock = Stopwatch.StartNew();
            long done = skipInEpoch;
            EpochProgress = (done, batchesPerEpoch);
            var skip = skipInEpoch;
            skipInEpoch = 0;
            foreach (var batch in Data.TrainBatches(Epoch).Skip(checked((int)skip)))
            {
                done++;
                EpochProgress = (done, batchesPerEpoch);
                TrainStep(batch);
                if (StepLimitReached())
                {
                    // Mid-epoch stop (a rewind point): one evaluation, no epoch end (checkpoints mark epoch boundaries).
                    WallSeconds += clock.Elapsed.TotalSeconds;
                    var perEpoch = batchesPerEpoch ?? (Data as LoaderData)?.BatchesPerEpoch;
                    return Evaluate(perEpoch is { } count && done < count ? Epoch + (double)done / count : Epoch + 1);
                }
                if (!Options.ScheduleEachEpoch) Scheduler?.Step();
                if (Options.EvaluateEverySteps > 0 && Step % Options.EvaluateEverySteps == 0)
                {
                    WallSeconds += clock.Elapsed.TotalSeconds;
                    last = Evaluate(Epoch + (batchesPerEpoch is { } n ? (double)done / n : 0));
                    clock.Restart();
                    if (StopRequested()) return last;
                }
            }
            batchesPerEpoch = done;
            WallSeconds += clock.Elapsed.TotalSeconds;
            Epoch++;
            if (Options.ScheduleEachEpoch) Scheduler?.Step();
            if (Options.EvaluateEachEpoch) last = Evaluate(Epoch);
            else if (Options.EvaluateAtEnd && Epoch == Options.Epochs && History.LastOrDefault()?.Step != Step) last = Evaluate(Epoch);
            EndEpoch();
            if (StopRequested()) break;
        }
        return last;
    }

    private bool StepLimitReached() => Options.StopAtStep is { } stop && Step >= stop;

    internal bool StopRequested() => callbacks.Any(c => c.ShouldStop(this));

    /// <summary>Tells the callbacks that epoch <see cref="Epoch"/> ended (also for a network the batched trainer trains).</summary>
    internal void EndEpoch()
    {
        foreach (var callback in callbacks) callback.OnEpochEnd(this, Epoch);
    }

    /// <summary>Records metrics in <see cref="History"/> and tells the callbacks (also for metrics the batched trainer
    /// computed for this trainer's network).</summary>
    internal void Record(TrainingMetrics metrics)
    {
        History.Add(metrics);
        foreach (var callback in callbacks) callback.OnEvaluation(this, metrics);
    }

    private void TrainStep(Batch batch)
    {
        using var scope = NewDisposeScope();
        var device = Options.Device;
        var inputs = batch.Inputs.to(device);
        var labels = batch.Labels.to(device);
        var loss = nn.functional.cross_entropy(Model.call(inputs), labels);
        loss.backward();
        var zoo = Model as ZooModel;
        zoo?.Mask?.MaskGradients(zoo);
        foreach (var callback in callbacks) callback.OnGradients(this);
        Tensor? squaredNorm = null;
        foreach (var p in Optimizer.parameters())
        {
            var grad = p.grad;
            if (grad is null) continue;
            var square = grad.square().sum();
            squaredNorm = squaredNorm is null ? square : squaredNorm + square;
        }
        if (squaredNorm is not null)
        {
            gradientNormSum ??= zeros(Array.Empty<long>(), ScalarType.Float64, Options.Device).DetachFromDisposeScope();
            // sqrt in float64 of the float32 sum, added in float64: the same IEEE operations as on the host.
            gradientNormSum.add_(squaredNorm.to(ScalarType.Float64).sqrt());
        }
        Optimizer.step();
        zoo?.ApplyMask();
        // Drop the gradients (PyTorch's set_to_none) rather than zeroing them in place as the optimizer's zero_grad
        // does: the next backward writes fresh ones, so nothing is read back and zeroing is work for nothing.
        Model.zero_grad(set_to_none: true);
        Step++;
        foreach (var callback in callbacks) callback.OnStep(this, loss);
    }

    /// <summary>Evaluates now, records the metrics in <see cref="History"/> and tells the callbacks.</summary>
    public TrainingMetrics Evaluate(double epoch)
    {
        var nan = new LossAccuracy(double.NaN, double.NaN, 0);
        var (distance, cosine) = DriftFromInit();
        var metrics = new TrainingMetrics
        {
            Step = Step,
            Epoch = epoch,
            Train = Options.EvaluateTrainSet ? Evaluation.Evaluate(Model, Data.TrainEvaluationBatches(), Options.Device) : nan,
            Test = Evaluation.Evaluate(Model, Data.TestBatches(), Options.Device),
            LearningRate = LearningRate,
            DistanceFromInit = distance,
            CosineToInit = cosine,
            CumulativeGradientNorm = CumulativeGradientNorm,
            WallSeconds = WallSeconds,
        };
        Record(metrics);
        return metrics;
    }

    /// <summary>‖θ − θ₀‖ and cos(θ, θ₀) over all parameters.</summary>
    public (double Distance, double Cosine) DriftFromInit()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double difference = 0, dot = 0, normNow = 0, normInit = 0;
        foreach (var (name, p) in Model.named_parameters())
        {
            var now = p.detach().to(ScalarType.Float64, CPU);
            var init = initialParameters[name].to(ScalarType.Float64);
            difference += (now - init).square().sum().ToDouble();
            dot += (now * init).sum().ToDouble();
            normNow += now.square().sum().ToDouble();
            normInit += init.square().sum().ToDouble();
        }
        var cosine = normNow == 0 || normInit == 0 ? double.NaN : dot / Math.Sqrt(normNow * normInit);
        return (Math.Sqrt(difference), cosine);
    }

    internal static NamedTensors SnapshotParameters(nn.Module model)
    {
        var snapshot = new NamedTensors();
        using var scope = NewDisposeScope();
        foreach (var (name, p) in model.named_parameters()) snapshot.Add(name, p.detach().to(CPU).clone());
        return snapshot;
    }

    internal void ReplaceInitialParameters(NamedTensors saved)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, tensor) in initialParameters) tensor.copy_(saved[name]);
    }

    /// <summary>Frees θ₀ and the gradient-norm sum (the model and optimizer belong to the caller).</summary>
    public void Dispose()
    {
        initialParameters.Dispose();
        gradientNormSum?.Dispose();
        gradientNormSum = null;
    }
}
