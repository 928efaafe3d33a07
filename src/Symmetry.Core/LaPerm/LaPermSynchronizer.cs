using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Permutations;
using Symmetry.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.LaPerm;

/// <summary>
/// LaPerm (Qiu &amp; Suda, "Train-by-Reconnect"; ALGORITHMS §2) as a callback of the one training loop: the inner
/// optimizer steps as usual, and after every k-th step each synchronised row of the weights takes θ₀'s values in its
/// own rank order (<see cref="LaPermRearrangement"/>). The optimizer's state is not touched.
/// </summary>
/// <remarks>θ₀ is the trainer's <see cref="Trainer.InitialParameters"/> (restored with a checkpoint), so a resumed run
/// synchronises to the same θ_sorted. A model with a mask is refused: LaPerm moves a pruned row's zeros with the rest,
/// which a mask would pin in place; prune with <see cref="RandomPrune"/>, which zeroes weights without
/// a mask.</remarks>
public sealed class LaPermSynchronizer : ITrainingCallback, IDisposable
{
    private readonly LaPermSettings settings;
    private readonly long? totalSteps;
    private readonly Dictionary<string, Tensor> sorted = new(StringComparer.Ordinal);

    /// <summary>Synchronises <paramref name="model"/>'s parameters as <paramref name="settings"/> say.</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="settings">k and what to synchronise.</param>
    /// <param name="totalSteps">Steps the whole run takes, for <see cref="LaPermSettings.SyncAtEnd"/> (null: unknown,
    /// no final sync).</param>
    /// <exception cref="ArgumentException">A masked model or invalid settings.</exception>
    public LaPermSynchronizer(nn.Module model, LaPermSettings settings, long? totalSteps = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (model is ZooModel { Mask: not null })
            throw new ArgumentException("LaPerm moves pruned zeros within their rows, but this model has a mask that pins them: prune with RandomPrune or Agnosticize (weights zeroed, no mask) instead");
        (this.settings, this.totalSteps) = (settings, totalSteps);
        Synchronised = SynchronisedNames(model, settings);
    }

    /// <summary>The parameter names synchronised, in the model's order.</summary>
    public IReadOnlyList<string> Synchronised { get; }

    /// <summary>Synchronisations performed by this instance.</summary>
    public long Syncs { get; private set; }

    /// <summary>The step of the last synchronisation (0: none yet).</summary>
    public long LastSyncStep { get; private set; }

    /// <summary>Whether step <paramref name="step"/> (1-based, global) of epoch <paramref name="epoch"/> (0-based)
    /// ends in a synchronisation.</summary>
    public bool IsSyncStep(long step, int epoch) =>
        step % settings.PeriodAt(epoch) == 0 || (settings.SyncAtEnd && totalSteps == step);

    /// <inheritdoc />
    public void OnStep(Trainer trainer, Tensor loss)
    {
        if (IsSyncStep(trainer.Step, trainer.Epoch)) Synchronise(trainer.Model, trainer.InitialParameters, trainer.Step);
    }

    /// <summary>Replaces every synchronised row of <paramref name="model"/> by θ₀'s values in its current rank order.
    /// θ_sorted is computed from <paramref name="theta0"/> on the first call and kept.</summary>
    public void Synchronise(nn.Module model, Symmetry.Torch.NamedTensors theta0, long step = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        foreach (var name in Synchronised)
        {
            var parameter = parameters[name];
            if (!sorted.TryGetValue(name, out var rows))
            {
                var initial = theta0.Contains(name) ? theta0[name] : throw new ArgumentException($"θ₀ has no parameter '{name}'");
                rows = LaPermRearrangement.SortedRows(initial.to(parameter.device)).DetachFromDisposeScope();
                sorted[name] = rows;
            }
            parameter.copy_(LaPermRearrangement.Rearrange(rows, parameter));
        }
        Syncs++;
        LastSyncStep = step;
    }

    /// <summary>The names LaPerm synchronises: every parameter of rank ≥ 2, biases when asked, BatchNorm's γ and β
    /// when asked (a BatchNorm parameter is never counted as a bias).</summary>
    public static IReadOnlyList<string> SynchronisedNames(nn.Module model, LaPermSettings settings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        var batchNorm = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, module) in ModuleTree.Modules(model))
            if (module is BatchNorm1d or BatchNorm2d)
                foreach (var (member, _) in module.named_parameters(recurse: false)) batchNorm.Add(ModuleTree.Join(name, member));
        var names = new List<string>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var include = batchNorm.Contains(name) ? settings.SynchroniseBatchNorm
                : parameter.dim() <= 1 ? settings.SynchroniseBiases
                : true;
            if (include) names.Add(name);
        }
        return names;
    }

    /// <summary>Frees θ_sorted.</summary>
    public void Dispose()
    {
        foreach (var t in sorted.Values) t.Dispose();
        sorted.Clear();
    }
}
