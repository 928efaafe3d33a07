using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Training;

namespace Symmetry.Core.Experiments.Lottery;

/// <summary>Iterative magnitude pruning with rewinding (ALGORITHMS §4): one record of every choice, its defaults stated
/// here once (LeNet-300-100 with open_lth's training, the LTH layer-wise rates 20% hidden / 10% output, θ₀).</summary>
public sealed record ImpSettings
{
    /// <summary>Zoo model name.</summary>
    public string Model { get; init; } = "lenet-300-100";

    /// <summary>Model config (a plain config asks for the family's defaults).</summary>
    public ModelConfig Config { get; init; } = ModelConfig.Mnist;

    /// <summary>Seed of θ₀.</summary>
    public ulong InitSeed { get; init; }

    /// <summary>Seed of the data order (dense run and every retraining share it, so retraining resumes the dense run's
    /// order at the rewind step).</summary>
    public ulong DataSeed { get; init; } = 1;

    /// <summary>Training of the dense run and of every retraining.</summary>
    public TrainingSettings Training { get; init; } = TrainingRecipes.OpenLthLenet;

    /// <summary>How each round prunes.</summary>
    public PruningStrategy Strategy { get; init; } = new LayerWisePruning { Fraction = 0.2, OutputFraction = 0.1 };

    /// <summary>Pruning rounds.</summary>
    public int Rounds { get; init; } = 10;

    /// <summary>The step k to rewind to (0: θ₀; above 0: late rewinding, the dense run stopped and continued at k).</summary>
    public long RewindStep { get; init; }

    /// <summary>Also train the random-reinitialisation control (a fresh init with the ticket's mask) each round.</summary>
    public bool ReinitControl { get; init; } = true;

    /// <summary>Also train the random-mask control (the ticket's layer-wise counts at random positions, rewound to k)
    /// each round.</summary>
    public bool RandomMaskControl { get; init; } = true;

    /// <summary>Data directory (null: the default Fashion-MNIST).</summary>
    public string? Data { get; init; }

    /// <summary>Checks every field before anything runs.</summary>
    /// <exception cref="ArgumentException">A bad field, named.</exception>
    public void Validate()
    {
        if (Rounds < 0) throw new ArgumentException($"rounds must be 0 or more, got {Rounds}");
        if (RewindStep < 0) throw new ArgumentException($"the rewind step must be 0 or more, got {RewindStep}");
        Training.Validate();
        ModelZoo.Configure(Model, Config);
    }
}
