using Symmetry.Core.Experiments;
using Symmetry.Core.Pruning;

namespace Symmetry.Core.Deconstructing;

/// <summary>One measured branch: the criterion and actions that made it, the pruning level, whether it was trained,
/// and the state to evaluate.</summary>
/// <param name="Criterion">The keep criterion.</param>
/// <param name="MaskOne">The mask-1 action's name (with <c>_rescaling</c>).</param>
/// <param name="MaskZero">The mask-0 action.</param>
/// <param name="Rounds">Pruning level (compounded rounds, or IMP round).</param>
/// <param name="Trained">Whether the state is trained (false: a supermask, evaluated at init).</param>
/// <param name="State">The state.</param>
public sealed record DeconstructingBranch(KeepCriterion Criterion, string MaskOne, MaskZeroAction MaskZero, int Rounds, bool Trained, ExperimentState State)
{
    /// <summary>The row label the store and the figures group by: <c>criterion|mask1|mask0|init-or-trained</c>.</summary>
    public string Label => $"{KeepCriteria.Name(Criterion)}|{MaskOne}|{MaskActions.Name(MaskZero)}|{(Trained ? "trained" : "init")}";
}

/// <summary>The state DAGs of the deconstructing-LT experiments; nothing runs here (a <see cref="Realizer"/> makes or
/// loads the states).</summary>
public static class DeconstructingPlan
{
    /// <summary>The root θ₀ and the trained dense network of <paramref name="settings"/>.</summary>
    public static (ExperimentState Root, ExperimentState Dense) Dense(DeconstructingSettings settings, string? dataFingerprint)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var root = ExperimentState.Initial(settings.Model, settings.Config, settings.InitSeed, settings.Data, dataFingerprint);
        return (root, root.Then(new TrainRecipe { Training = settings.Training, Seed = settings.DataSeed }));
    }

    /// <summary>One-shot masks from the dense network: for each criterion and level k, the mask pruned to
    /// 1 − (1 − p)^k per layer, each mask-1 action applied (pruned weights by the mask-0 action), and the result
    /// evaluated untrained (a supermask) and, with <paramref name="train"/>, trained.</summary>
    public static IReadOnlyList<DeconstructingBranch> OneShot(DeconstructingSettings settings, string? dataFingerprint, bool train)
    {
        var (_, dense) = Dense(settings, dataFingerprint);
        var branches = new List<DeconstructingBranch>();
        foreach (var criterion in settings.Criteria)
            foreach (var k in settings.Rounds)
            {
                var pruned = dense.Then(new CriterionPruneRecipe
                {
                    Criterion = criterion, Fraction = settings.Fraction, OutputFraction = settings.OutputFraction, Rounds = k, Seed = (ulong)k,
                });
                foreach (var (one, rescale) in settings.MaskOne)
                {
                    var acted = pruned.Then(new MaskActionRecipe { MaskOne = one, Rescaling = rescale, MaskZero = settings.MaskZero, Seed = (ulong)k });
                    var name = MaskActions.Name(one, rescale);
                    branches.Add(new DeconstructingBranch(criterion, name, settings.MaskZero, k, false, acted));
                    if (train)
                        branches.Add(new DeconstructingBranch(criterion, name, settings.MaskZero, k, true,
                            acted.Then(new TrainRecipe { Training = settings.Training, Seed = settings.DataSeed })));
                }
            }
        return branches;
    }

    /// <summary>Iterative pruning: each round prunes the previous round's trained ticket (the first criterion and the
    /// first mask-1 action carry the chain, as the lottery ticket does with large_final and rewind) by 1 round, then
    /// every mask-1 action starts a trained branch from that mask. Levels are 1 … the largest of
    /// <see cref="DeconstructingSettings.Rounds"/>.</summary>
    public static IReadOnlyList<DeconstructingBranch> Iterative(DeconstructingSettings settings, string? dataFingerprint)
    {
        var (_, dense) = Dense(settings, dataFingerprint);
        var criterion = settings.Criteria[0];
        var branches = new List<DeconstructingBranch>();
        var trained = dense;
        for (var round = 1; round <= settings.Rounds.Max(); round++)
        {
            var pruned = trained.Then(new CriterionPruneRecipe
            {
                Criterion = criterion, Fraction = settings.Fraction, OutputFraction = settings.OutputFraction, Seed = (ulong)round,
            });
            ExperimentState? next = null;
            foreach (var (one, rescale) in settings.MaskOne)
            {
                var branch = pruned.Then(new MaskActionRecipe { MaskOne = one, Rescaling = rescale, MaskZero = settings.MaskZero, Seed = (ulong)round })
                    .Then(new TrainRecipe { Training = settings.Training, Seed = settings.DataSeed });
                branches.Add(new DeconstructingBranch(criterion, MaskActions.Name(one, rescale), settings.MaskZero, round, true, branch));
                next ??= branch;
            }
            trained = next!;
        }
        return branches;
    }
}
