using System.Diagnostics;
using Symmetry.Torch;
using Symmetry.Torch.NN;
using Symmetry.Torch.Optim;
using static Symmetry.Torch.Torch;

namespace Symmetry.Core.Training;

/// <summary>Settings of a <see cref="Trainer"/>.</summary>
public sealed record TrainerOptions
{
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
    /// <summary>Device the model lives on; batches are moved there.</summary>
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>Step the scheduler once per epoch (true) or once per optimizer step (false).</summary>
    public bool ScheduleEachEpoch { get; init; } = true;
}

/// <summary>
/// The one training loop (design rule 8): cross-entropy classification with an optimizer, an optional schedule and
/// callbacks for everything else. Records the metrics of ALGORITHMS §1 at every evaluation. Checkpoints at epoch
/// ends (see <see cref="TrainingCheckpoint"/>) hold everything needed to continue exactly as an uninterrupted run.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly List<ITrainingCallback> callbacks;
    private readonly StateDict initialParameters;

    /// <summary>Prepares training; θ₀ is the model's parameters now.</summary>
    public Trainer(Module model, Optimizer optimizer, ITrainingData data, TrainerOptions options,
        Schedule? schedule = null, IEnumerable<ITrainingCallback>? callbacks = null)
    {
        (Model, Optimizer, Data, Options) = (model, optimizer, data, options);
        Scheduler = schedule is null ? null : new Scheduler(optimizer, schedule);
        this.callbacks = callbacks?.ToList() ?? new();
        initialParameters = SnapshotParameters(model);
    }

    /// <summary>The model being trained.</summary>
    public Module Model { get; }
    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }
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
    /// <summary>Σ of the global gradient norm over all steps.</summary>
    public double CumulativeGradientNorm { get; internal set; }
    /// <summary>Training seconds so far (across resumes).</summary>
    public double WallSeconds { get; internal set; }
    /// <summary>Every evaluation so far in this process.</summary>
    public List<TrainingMetrics> History { get; } = new();
    /// <summary>Steps in the current epoch so far, and the epoch's total when known (for progress display).</summary>
    public (long Done, long? Total) EpochProgress { get; private set; }

    /// <summary>θ₀, the parameters when training started (names as in the model).</summary>
    public StateDict InitialParameters => initialParameters;

    /// <summary>Adds a callback.</summary>
    public void AddCallback(ITrainingCallback callback) => callbacks.Add(callback);

    /// <summary>Trains from the current epoch up to <see cref="TrainerOptions.Epochs"/>; returns the last metrics.</summary>
    public TrainingMetrics? Run(Action<Trainer, int>? afterEpoch = null)
    {
        TrainingMetrics? last = History.LastOrDefault();
        var batchesPerEpoch = (long?)null;
        while (Epoch < Options.Epochs)
        {
            ManualSeed(Seeds.Derive(Options.Seed, $"epoch-{Epoch}"));
            Model.Train();
            var clock = Stopwatch.StartNew();
            long done = 0;
            EpochProgress = (0, batchesPerEpoch);
            foreach (var batch in Data.TrainBatches(Epoch))
            {
                var loss = TrainStep(batch);
                done++;
                EpochProgress = (done, batchesPerEpoch);
                foreach (var callback in callbacks) callback.OnStep(this, loss);
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
            afterEpoch?.Invoke(this, Epoch);
            foreach (var callback in callbacks) callback.OnEpochEnd(this, Epoch);
            if (StopRequested()) break;
        }
        return last;
    }

    private bool StopRequested() => callbacks.Any(c => c.ShouldStop(this));

    private double TrainStep(Batch batch)
    {
        using var scope = NewScope();
        var inputs = batch.Inputs.To(Options.Device);
        var labels = batch.Labels.To(Options.Device);
        var loss = Functional.CrossEntropy(Model.Forward(inputs), labels);
        loss.Backward();
        Tensor? squaredNorm = null;
        foreach (var p in Optimizer.Parameters)
        {
            var grad = p.Grad;
            if (grad is null) continue;
            var square = grad.Square().Sum();
            squaredNorm = squaredNorm is null ? square : squaredNorm + square;
        }
        CumulativeGradientNorm += squaredNorm is null ? 0 : Math.Sqrt(squaredNorm.ToDouble());
        Optimizer.Step();
        Optimizer.ZeroGrad();
        Step++;
        return loss.ToDouble();
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
            LearningRate = Optimizer.LearningRate,
            DistanceFromInit = distance,
            CosineToInit = cosine,
            CumulativeGradientNorm = CumulativeGradientNorm,
            WallSeconds = WallSeconds,
        };
        History.Add(metrics);
        foreach (var callback in callbacks) callback.OnEvaluation(this, metrics);
        return metrics;
    }

    /// <summary>‖θ − θ₀‖ and cos(θ, θ₀) over all parameters.</summary>
    public (double Distance, double Cosine) DriftFromInit()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        double difference = 0, dot = 0, normNow = 0, normInit = 0;
        foreach (var (name, p) in Model.NamedParameters())
        {
            var now = p.Value.To(Device.Cpu, DType.Float64);
            var init = initialParameters[name].To(DType.Float64);
            difference += (now - init).Square().Sum().ToDouble();
            dot += (now * init).Sum().ToDouble();
            normNow += now.Square().Sum().ToDouble();
            normInit += init.Square().Sum().ToDouble();
        }
        var cosine = normNow == 0 || normInit == 0 ? double.NaN : dot / Math.Sqrt(normNow * normInit);
        return (Math.Sqrt(difference), cosine);
    }

    internal static StateDict SnapshotParameters(Module model)
    {
        var snapshot = new StateDict();
        using var scope = NewScope();
        foreach (var (name, p) in model.NamedParameters()) snapshot.Add(name, p.Value.Detach().To(Device.Cpu).Clone());
        return snapshot;
    }

    internal void ReplaceInitialParameters(StateDict saved)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        foreach (var (name, tensor) in initialParameters.Entries) tensor.CopyFrom(saved[name]);
    }

    /// <summary>Frees θ₀ (the model and optimizer belong to the caller).</summary>
    public void Dispose() => initialParameters.Dispose();
}
