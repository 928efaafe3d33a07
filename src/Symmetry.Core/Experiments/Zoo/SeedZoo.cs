using Symmetry.Core.Models;

namespace Symmetry.Core.Experiments.Zoo;

/// <summary>A member of a <see cref="SeedZoo"/> after <see cref="SeedZoo.Extend"/>.</summary>
/// <param name="Seed">Its seed: initialisation and data order (and dropout) both come from it.</param>
/// <param name="State">Its trained state.</param>
/// <param name="Trained">True when this call trained it; false when it was in the store already.</param>
public sealed record ZooMember(ulong Seed, ExperimentState State, bool Trained);

/// <summary>
/// A model zoo (ALGORITHMS §3): models of one architecture, data and training recipe that differ only in their seed.
/// Member s is the state init(seed s) → train(recipe, seed s); members are seeds 1, 2, …, so a zoo of size N is the
/// first N members and growing it to M trains only members N+1…M (the others are states in the store and are
/// loaded). The zoo is its template: nothing else is recorded.
/// </summary>
/// <param name="Model">Zoo model name (<see cref="ModelZoo"/>).</param>
/// <param name="Config">Model configuration.</param>
/// <param name="Recipe">The training recipe (<see cref="ZooRecipes"/>); its own seed is replaced by each member's.</param>
/// <param name="Data">Data directory (null: the default Fashion-MNIST).</param>
/// <param name="DataFingerprint">The data's fingerprint, part of every member's key.</param>
public sealed record SeedZoo(string Model, ModelConfig Config, TrainRecipe Recipe, string? Data = null, string? DataFingerprint = null)
{
    /// <summary>The first member's seed.</summary>
    public const ulong FirstSeed = 1;

    /// <summary>The trained state of the member with seed <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">Unknown model or a config it refuses.</exception>
    public ExperimentState Member(ulong seed) =>
        ExperimentState.Initial(Model, Config, seed, Data, DataFingerprint).Then(Recipe with { Seed = seed });

    /// <summary>The first <paramref name="size"/> members' trained states (seeds 1…size).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1.</exception>
    public IReadOnlyList<ExperimentState> Members(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, $"a zoo has at least 1 model, got {size}");
        return [.. Enumerable.Range(0, size).Select(i => Member(FirstSeed + (ulong)i))];
    }

    /// <summary>Brings the zoo to <paramref name="size"/> members through <paramref name="realizer"/>: members already
    /// in its store are left alone, the others are trained and stored. Returns every member, in seed order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1.</exception>
    public IReadOnlyList<ZooMember> Extend(Realizer realizer, int size)
    {
        ArgumentNullException.ThrowIfNull(realizer);
        Recipe.Training.Validate();
        var members = new List<ZooMember>();
        foreach (var state in Members(size))
        {
            var stored = realizer.IsStored(state);
            if (!stored) realizer.Realize(state).Dispose();
            members.Add(new ZooMember(state.Recipe.Seed, state, Trained: !stored));
        }
        return members;
    }

    /// <summary>One line: model, recipe.</summary>
    public string Describe() =>
        $"{Model} zoo: {Recipe.Training.Describe()}{(Recipe.WeightDecayOnWeights > 0 ? $", L2 {Recipe.WeightDecayOnWeights:G3} on weights" : "")}{(Recipe.KeepBestTest ? ", best-test epoch kept" : "")}";
}
