using Symmetry.Core.Pruning;

namespace Symmetry.Core.Experiments.Lottery;

/// <summary>One round of IMP: the pruned state and the trained ticket, and the trained controls when asked.</summary>
/// <param name="Round">1-based round.</param>
/// <param name="Pruned">The trained network of the previous round with the new mask (before rewinding).</param>
/// <param name="Ticket">The ticket: the new mask, rewound to step k, retrained.</param>
/// <param name="ReinitControl">The mask on a fresh initialisation, retrained (null: not asked).</param>
/// <param name="RandomMaskControl">A random mask with the same layer-wise counts, rewound to step k, retrained (null: not asked).</param>
public sealed record ImpRound(int Round, ExperimentState Pruned, ExperimentState Ticket, ExperimentState? ReinitControl, ExperimentState? RandomMaskControl);

/// <summary>The state DAG of an IMP experiment: the root θ₀, the step-k state of the dense run (the root for k = 0),
/// the trained dense network, and each round.</summary>
public sealed record ImpPlan(ExperimentState Root, ExperimentState RewindPoint, ExperimentState Dense, IReadOnlyList<ImpRound> Rounds);

/// <summary>
/// Iterative magnitude pruning with rewinding as recipes over states (open_lth lottery/runner.py 108–120): train →
/// prune → rewind every parameter and buffer to step k → retrain from step k (the schedule and data order resume there)
/// → repeat. Nothing runs here: <see cref="Plan"/> names the states, a <see cref="Realizer"/> makes (or loads) them.
/// </summary>
public static class IterativeMagnitudePruning
{
    /// <summary>Label mixed into the seeds of the controls' draws.</summary>
    private const ulong ControlSeedOffset = 1_000;

    /// <summary>The states of <paramref name="settings"/>; <paramref name="dataFingerprint"/> enters every key.</summary>
    /// <exception cref="ArgumentException">A bad setting.</exception>
    public static ImpPlan Plan(ImpSettings settings, string? dataFingerprint)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var k = settings.RewindStep;
        var root = ExperimentState.Initial(settings.Model, settings.Config, settings.InitSeed, settings.Data, dataFingerprint);
        var retrain = new TrainRecipe { Training = settings.Training, Seed = settings.DataSeed, StartStep = k };
        // The dense run stops at k (the rewind point every round returns to) and continues from there.
        var rewindPoint = k == 0 ? root : root.Then(new TrainRecipe { Training = settings.Training, Seed = settings.DataSeed, StopStep = k });
        var dense = rewindPoint.Then(retrain);
        var rounds = new List<ImpRound>();
        var trained = dense;
        for (var round = 1; round <= settings.Rounds; round++)
        {
            var pruned = trained.Then(new PruneRecipe { Strategy = settings.Strategy, Seed = (ulong)round });
            var ticket = pruned.Then(new RewindRecipe { Step = k }).Then(retrain);
            var reinit = settings.ReinitControl
                ? pruned.Then(new ReinitRecipe { Mode = "random", Seed = ControlSeedOffset + (ulong)round }).Then(retrain)
                : null;
            var randomMask = settings.RandomMaskControl
                ? pruned.Then(new PruneRecipe { Strategy = new RandomSameCountsPruning(), Seed = ControlSeedOffset + (ulong)round })
                    .Then(new RewindRecipe { Step = k }).Then(retrain)
                : null;
            rounds.Add(new ImpRound(round, pruned, ticket, reinit, randomMask));
            trained = ticket;
        }
        return new ImpPlan(root, rewindPoint, dense, rounds);
    }
}
