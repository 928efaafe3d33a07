using Symmetry.Core.Data;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Training;
using Symmetry.Torch;
using Symmetry.Torch.NN;
using Symmetry.Torch.Optim;
using static Symmetry.Torch.Torch;

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

    /// <summary>Creates a realizer.</summary>
    /// <param name="store">Where realised states are recorded.</param>
    /// <param name="checkpointDirectory">Where state checkpoints are written (<c>&lt;key&gt;.safetensors</c>).</param>
    /// <param name="data">Gives the data splits for a state's data path (null = default); called only for training.</param>
    /// <param name="device">Device to train on.</param>
    public Realizer(IStateStore store, string checkpointDirectory, Func<string?, DataSplits> data, Device? device = null)
    {
        (this.store, this.checkpointDirectory, this.data) = (store, checkpointDirectory, data);
        Device = device ?? Device.Cpu;
    }

    /// <summary>Device for training.</summary>
    public Device Device { get; }
    /// <summary>States computed by this realizer.</summary>
    public int Computed { get; private set; }
    /// <summary>States loaded from the store by this realizer.</summary>
    public int Loaded { get; private set; }
    /// <summary>Told after each training epoch of a train recipe (state, trainer).</summary>
    public Action<ExperimentState, Trainer>? OnTrainingEpoch { get; set; }

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
        _ => throw new ArgumentException($"unknown recipe {recipe.GetType().Name}", nameof(recipe)),
    };

    private static ZooModel Build(ExperimentState state, ulong seed)
    {
        using var init = Generator.ForPurpose(seed, "init");
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
            case PruneRecipe { Structured: true } prune:
                StructuredPruning.InputChannels(model, prune.Fraction);
                break;
            case PruneRecipe { Global: true } prune:
                MagnitudePruning.Global(model, prune.Fraction, prune.OutputFraction);
                break;
            case PruneRecipe prune:
                MagnitudePruning.LayerWise(model, prune.Fraction, prune.OutputFraction);
                break;
            case ReinitRecipe reinit:
                Reinitialise(state, reinit, model);
                break;
            case MaskRecipe mask:
                ExperimentMasks.Apply(model, mask);
                break;
            default:
                throw new NotSupportedException($"recipe {state.Recipe.GetType().Name} has no implementation");
        }
    }

    private void Train(ExperimentState state, TrainRecipe recipe, ZooModel model)
    {
        var splits = data(state.Data);
        model.To(Device);
        using Optimizer optimizer = recipe.Optimizer switch
        {
            "adam" => new Adam(model.Parameters(), recipe.LearningRate, weightDecay: recipe.WeightDecay),
            "sgd" => new Sgd(model.Parameters(), recipe.LearningRate, recipe.Momentum, recipe.WeightDecay),
            var other => throw new ArgumentException($"unknown optimizer '{other}': use adam or sgd"),
        };
        var options = new TrainerOptions { Epochs = recipe.Epochs, Seed = recipe.Seed, Device = Device, EvaluateTrainSet = false };
        using var trainer = new Trainer(model, optimizer, new LoaderData(splits, recipe.BatchSize, recipe.Seed), options);
        trainer.Run(afterEpoch: (t, _) => OnTrainingEpoch?.Invoke(state, t));
        model.To(Device.Cpu);
    }

    private void Reinitialise(ExperimentState state, ReinitRecipe recipe, ZooModel model)
    {
        using var source = recipe.Mode switch
        {
            "rewind" => Realize(state.Root),
            "random" => Build(state, recipe.Seed),
            var other => throw new ArgumentException($"unknown reinit mode '{other}': use rewind or random"),
        };
        using var scope = NewScope();
        using var weights = source.StateDict();
        // Parameter.Assign keeps each parameter's mask applied. Buffers (BatchNorm statistics) stay those of this state.
        foreach (var (name, parameter) in model.NamedParameters()) parameter.Assign(weights[name]);
    }
}
