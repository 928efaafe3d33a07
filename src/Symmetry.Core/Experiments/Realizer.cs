using Symmetry.Core.Data;
using Symmetry.Core.Deconstructing;
using Symmetry.Core.Masks;
using Symmetry.Core.LaPerm;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Results;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Experiments;

/// <summary>
/// Turns <see cref="ExperimentState"/>s into models. A state already recorded in the store (with its checkpoint on
/// disk) is loaded, not recomputed; otherwise its parent is realised first, the recipe applied, the weights
/// checkpointed and the state recorded. Counts what it computed and what it loaded.
/// </summary>
public sealed class Realizer
{
    private readonly IStateStore store;
    private readonly Func<string?, DataSplits> data;
    private readonly string checkpointDirectory;
    private readonly ResultsStore? runs;

    /// <summary>Creates a realizer.</summary>
    /// <param name="store">Where realised states are recorded.</param>
    /// <param name="checkpointDirectory">Where state checkpoints are written (<c>&lt;key&gt;.safetensors</c>).</param>
    /// <param name="data">Gives the data splits for a state's data path (null = default); called only for training.</param>
    /// <param name="device">Device to train on (null: the CPU).</param>
    /// <exception cref="ArgumentException">A CUDA device this process cannot use.</exception>
    public Realizer(IStateStore store, string checkpointDirectory, Func<string?, DataSplits> data, Device? device = null)
    {
        (this.store, this.checkpointDirectory, this.data) = (store, checkpointDirectory, data);
        TorchRuntime.Ensure();
        Device = DeviceCheck.Require(device ?? CPU);
    }

    /// <summary>
    /// A realizer over the results store: states in its <c>states</c> table with checkpoints in
    /// <see cref="ResultsStore.StatesDirectory"/>, and every train recipe a run of its own (id = the state's key):
    /// metrics, epoch checkpoints a killed training resumes from, and the state it ends in.
    /// </summary>
    public Realizer(ResultsStore store, Func<string?, DataSplits> data, Device? device = null)
        : this(new StoreStates(store), store.StatesDirectory, data, device) =>
        runs = store;

    /// <summary>Device for training.</summary>
    public Device Device { get; }
    /// <summary>States computed by this realizer.</summary>
    public int Computed { get; private set; }
    /// <summary>States loaded from the store by this realizer.</summary>
    public int Loaded { get; private set; }
    /// <summary>Extra callbacks for the trainer of a train recipe, given the state being made; null for none.</summary>
    public Func<ExperimentState, IEnumerable<ITrainingCallback>>? CallbacksFor { get; set; }

    /// <summary>Whether <paramref name="state"/> is in the store with its checkpoint on disk (realising it loads it).</summary>
    public bool IsStored(ExperimentState state) =>
        store.Find(state.Key) is { CheckpointPath: { } saved } && File.Exists(saved);

    /// <summary>The model of <paramref name="state"/>; the caller owns (and disposes) it.</summary>
    public ZooModel Realize(ExperimentState state)
    {
        if (store.Find(state.Key) is { CheckpointPath: { } saved } && File.Exists(saved))
        {
            var loaded = Build(state, state.Root.Recipe.Seed);
            StateCheckpoint.Load(loaded, state.Key, saved);
            Loaded++;
            return loaded;
        }
        var model = state.Parent is null ? Build(state, state.Recipe.Seed) : Realize(state.Parent);
        try
        {
            Apply(state, model);
            var path = Path.Combine(checkpointDirectory, state.Key + ".safetensors");
            StateCheckpoint.Save(model, state.Key, path);
            store.Save(state.Key, state.ParentKey, KindOf(state.Recipe), state.ToCanonicalJson(), path);
            if (state.Recipe is TrainRecipe && runs is not null) runs.LinkRunState(state.Key, state.Key);
            Computed++;
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The recipe kind as stored (its JSON discriminator).</summary>
    public static string KindOf(Recipe recipe) => recipe switch
    {
        InitRecipe => "init",
        TrainRecipe => "train",
        PruneRecipe => "prune",
        ReinitRecipe => "reinit",
        MaskRecipe => "mask",
        RewindRecipe => "rewind",
        AgnosticizeRecipe => "agnosticize",
        RandomPruneRecipe => "random-prune",
        CriterionPruneRecipe => "criterion-prune",
        MaskActionRecipe => "mask-action",
        _ => throw new ArgumentException($"unknown recipe {recipe.GetType().Name}", nameof(recipe)),
    };

    private static ZooModel Build(ExperimentState state, ulong seed)
    {
        using var init = Generators.ForPurpose(seed, "init");
        return ModelZoo.Create(state.Model, state.Config, init);
    }

    private void Apply(ExperimentState state, ZooModel model)
    {
        switch (state.Recipe)
        {
            case InitRecipe:
                break;
            case TrainRecipe train:
                Train(state, train, model);
                break;
            case PruneRecipe prune:
                prune.Strategy.ApplyTo(model, prune.Seed);
                break;
            case ReinitRecipe reinit:
                Reinitialise(state, reinit, model);
                break;
            case MaskRecipe mask:
                ExperimentMasks.Apply(model, mask);
                break;
            case RewindRecipe rewind:
                Rewind(state, rewind, model);
                break;
            case AgnosticizeRecipe agnosticize:
                Agnosticize.Apply(model, agnosticize.Value, agnosticize.Keep, agnosticize.Seed);
                break;
            case RandomPruneRecipe prune:
                RandomPrune.Apply(model, prune.Keep, prune.Seed, prune.InputKeep);
                break;
            case CriterionPruneRecipe prune:
                PruneByCriterion(state, prune, model);
                break;
            case MaskActionRecipe action:
                ApplyMaskActions(state, action, model);
                break;
            default:
                throw new NotSupportedException($"recipe {state.Recipe.GetType().Name} has no implementation");
        }
    }

    private void Train(ExperimentState state, TrainRecipe recipe, ZooModel model)
    {
        if (recipe.StartStep < 0 || recipe.StopStep is { } stop && stop <= recipe.StartStep)
            throw new ArgumentException($"train recipe of state {state.Key[..12]}: start step {recipe.StartStep} and stop step {recipe.StopStep} must satisfy 0 ≤ start < stop");
        var splits = data(state.Data);
        if (state.DataFingerprint is { } expected && splits.Fingerprint is { } found && expected != found)
            throw new ArgumentException($"state {state.Key[..12]} was keyed on data {expected}, but the files at {splits.Directory} now fingerprint {found}: build the state from the data as it is now");
        var start = runs?.BeginRun(state.Key, KindOf(recipe), state.ToCanonicalJson(), recipe.Seed, RuntimeInfo.Capture(Device));
        try
        {
            var (_, wallSeconds) = TrainingRun.Execute(runs, state.Key, model, recipe, splits, Device, evaluateTrainSet: false,
                CallbacksFor?.Invoke(state));
            if (start is RunStart.Created or RunStart.Resumed) runs!.FinishRun(state.Key, wallSeconds);
        }
        catch (Exception error)
        {
            runs?.FailRun(state.Key, error.Message);
            throw;
        }
        model.to(CPU);
    }

    private void Reinitialise(ExperimentState state, ReinitRecipe recipe, ZooModel model)
    {
        using var source = recipe.Mode switch
        {
            "rewind" => Realize(state.Root),
            "random" => Build(state, recipe.Seed),
            var other => throw new ArgumentException($"unknown reinit mode '{other}': use rewind or random"),
        };
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            var weights = source.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            // Buffers (BatchNorm statistics) stay those of this state.
            foreach (var (name, parameter) in model.named_parameters()) parameter.copy_(weights[name]);
        }
        // This state's mask stays: the rewound or redrawn weights are masked again.
        model.ApplyMask();
    }

    /// <summary>The ancestor of <paramref name="state"/> that stands at training step <paramref name="step"/>: the root
    /// for 0, else the nearest train state stopped at that step.</summary>
    /// <exception cref="ArgumentException">No ancestor stands there.</exception>
    public static ExperimentState RewindTarget(ExperimentState state, long step)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (step == 0) return state.Root;
        for (var s = state.Parent; s is not null; s = s.Parent)
            if (s.Recipe is TrainRecipe { StopStep: { } stop } && stop == step) return s;
        throw new ArgumentException($"state {state.Key[..12]} has no ancestor at training step {step}: train the dense run with StopStep = {step} first, then continue it with StartStep = {step}");
    }

    private void Rewind(ExperimentState state, RewindRecipe recipe, ZooModel model)
    {
        using var source = Realize(RewindTarget(state, recipe.Step));
        using var saved = StateDicts.Copy(source);
        // Every parameter and buffer; the mask is this state's, so the rewound weights are masked again.
        StateDicts.Load(model, saved);
        model.ApplyMask();
    }

    private void PruneByCriterion(ExperimentState state, CriterionPruneRecipe recipe, ZooModel model)
    {
        using var initial = Realize(RewindTarget(state, recipe.Step));
        using var pruned = CriterionPruning.Prune(initial, model, model.Mask, recipe.Criterion, recipe.Fraction, recipe.OutputFraction,
            recipe.ConvFraction, recipe.Rounds, recipe.Seed);
        model.SetMask(pruned);
    }

    private void ApplyMaskActions(ExperimentState state, MaskActionRecipe recipe, ZooModel model)
    {
        if (model.Mask is not { } mask) throw new ArgumentException($"state {state.Key[..12]} has no mask: mask actions act on a pruned state");
        using var initial = Realize(RewindTarget(state, recipe.Step));
        using var generator = Generators.ForPurpose(recipe.Seed, "mask-actions");
        using var final = StateDicts.Copy(model);
        using var starts = new NamedTensors();
        using var frozen = new NamedTensors();
        using (var scope = NewDisposeScope())
        {
            var finals = PrunableLayers.All(model).ToDictionary(l => l.WeightName, l => final[l.WeightName], StringComparer.Ordinal);
            foreach (var layer in PrunableLayers.All(initial))
            {
                if (!mask.TryGet(layer.WeightName, out var keep)) continue;
                var (wi, wf) = (layer.Weight.detach().cpu(), finals[layer.WeightName].cpu());
                starts.Add(layer.WeightName, MaskActions.Start(recipe.MaskOne, recipe.Rescaling, recipe.MaskZero, wi, wf, keep.cpu(), generator));
                if (MaskActions.Frozen(recipe.MaskZero, wi, wf, keep.cpu(), generator) is { } held) frozen.Add(layer.WeightName, held);
            }
        }
        // Every parameter and buffer of w_i's state, then the acted-on weights, then the mask and the held values.
        using (var saved = StateDicts.Copy(initial)) StateDicts.Load(model, saved);
        using (var scope = NewDisposeScope())
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (starts.Contains(name)) parameter.copy_(starts[name]);
        model.ApplyMask();
        if (frozen.Count > 0) model.SetFrozen(frozen);
    }
}
