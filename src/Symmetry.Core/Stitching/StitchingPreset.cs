namespace Symmetry.Core.Stitching;

/// <summary>A stitcher with the protocol it trains under, by name (ALGORITHMS §3). The published runs
/// (pnnl/modelsym <c>stitch_*.slurm</c>) differ from the code's defaults (cifar10_stitching.py); both are named.</summary>
/// <param name="Name">The name scripts take, e.g. <c>birkhoff-published</c>.</param>
/// <param name="Stitcher">The stitcher.</param>
/// <param name="Protocol">How it trains.</param>
/// <param name="Source">Where the values come from.</param>
public sealed record StitchingPreset(string Name, StitcherSettings Stitcher, StitchingProtocol Protocol, string Source)
{
    /// <summary>stitch_standard.slurm: the linear stitcher, one phase of 20 epochs, SGD lr 1e-3, no schedule, no BN refresh.</summary>
    public static StitchingPreset LinearPublished { get; } = new("linear-published", new LinearStitcherSettings(), new StitchingProtocol(),
        "stitch_standard.slurm: --stitch_epochs=20 --nopermwarmup --noschedule --stitch_lr=0.001");

    /// <summary>stitch_rr.slurm: the rank-1 stitcher with the linear stitcher's protocol (ranks 2 and 4 by --rank).</summary>
    public static StitchingPreset LowRankPublished { get; } = new("low-rank-published", new LowRankStitcherSettings(), new StitchingProtocol(),
        "stitch_rr.slurm: --lowrank --rank=r --stitch_epochs=20 --nopermwarmup --noschedule --stitch_lr=0.001");

    /// <summary>stitch_lasso.slurm: the lasso stitcher (μ = 0.1) with the linear stitcher's protocol.</summary>
    public static StitchingPreset LassoPublished { get; } = new("lasso-published", new LassoStitcherSettings(), new StitchingProtocol(),
        "stitch_lasso.slurm: --lasso --multiplier=μ --stitch_epochs=20 --nopermwarmup --noschedule --stitch_lr=0.001");

    /// <summary>stitch_Grelu.slurm, the published Birkhoff runs: α = 0.1, lr 1e-3 in both phases, no schedule, two
    /// phases of 10 epochs (the diagonal from phase 2), BN refresh-evaluate-restore after every epoch.</summary>
    public static StitchingPreset BirkhoffPublished { get; } = new("birkhoff-published", new BirkhoffStitcherSettings { Alpha = 0.1 },
        new StitchingProtocol { Phases = 2, EpochsPerPhase = 10, RefreshBatchNorm = true },
        "stitch_Grelu.slurm: --stitch_epochs=20 --birkhoff --alpha=0.1 --stitch_lr=0.001 --noschedule --bn_epoch");

    /// <summary>cifar10_stitching.py's defaults for the Birkhoff stitcher: α = 1e-3, lr 0.01, StepLR within each phase,
    /// phase 2 at lr/16, two phases of 25 epochs, no BN refresh.</summary>
    public static StitchingPreset BirkhoffCodeDefaults { get; } = new("birkhoff-code-defaults", new BirkhoffStitcherSettings(),
        new StitchingProtocol { Phases = 2, EpochsPerPhase = 25, LearningRate = 0.01, SecondPhaseFactor = 1.0 / 16, StepSchedule = true },
        "cifar10_stitching.py defaults: stitch_epochs=50, alpha=1e-3, stitch_lr 0.01, schedule on, permwarmup on, bn_epoch off");

    /// <summary>cifar10_stitching.py's defaults for the linear stitcher: lr 1e-3, StepLR, two phases of 25 epochs
    /// (phase 2 at lr/16), no BN refresh.</summary>
    public static StitchingPreset LinearCodeDefaults { get; } = new("linear-code-defaults", new LinearStitcherSettings(),
        new StitchingProtocol { Phases = 2, EpochsPerPhase = 25, SecondPhaseFactor = 1.0 / 16, StepSchedule = true },
        "cifar10_stitching.py defaults: stitch_epochs=50, stitch_lr 1e-3, schedule on, permwarmup on");

    /// <summary>Every preset, in this order.</summary>
    public static IReadOnlyList<StitchingPreset> All { get; } =
        [LinearPublished, LowRankPublished, LassoPublished, BirkhoffPublished, BirkhoffCodeDefaults, LinearCodeDefaults];

    /// <summary>The preset named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static StitchingPreset Named(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown stitching preset '{name}'; known presets: {string.Join(", ", All.Select(p => p.Name))}");
}
