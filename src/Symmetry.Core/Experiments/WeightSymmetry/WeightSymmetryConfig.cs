using System.Globalization;
using System.Text.Json.Serialization;
using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Pruning;
using Symmetry.Core.Training;

namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>
/// One weight-symmetry run: the driver and every setting it uses. The run id is derived from the canonical JSON of
/// all fields, so the same configuration always maps to the same run (and a rerun reuses or resumes it). Training
/// defaults to the original code's recipe (<see cref="TrainingRecipes.Seed000"/>: AdamW 0.01, decay 1e-5, batch 128,
/// 100 epochs, stepped rate); the output layer is not masked unless asked (the original never masks it).
/// </summary>
public sealed record WeightSymmetryConfig
{
    /// <summary>Driver name (<see cref="DriverKind"/>).</summary>
    public string Driver { get; init; } = DriverKind.Train;
    /// <summary>Zoo model name.</summary>
    public string Model { get; init; } = "mnist-fc";
    /// <summary>Hidden widths (MLPs); null: the model's default. Ignored by fixed-param, which solves for them.</summary>
    public IReadOnlyList<int>? Widths { get; init; }
    /// <summary>Dropout after each hidden layer (MLPs).</summary>
    public double Dropout { get; init; }
    /// <summary>BatchNorm after each hidden layer (MLPs).</summary>
    public bool BatchNorm { get; init; }
    /// <summary>Data directory; null: Fashion-MNIST from Debian's dataset-fashion-mnist.</summary>
    public string? Data { get; init; }
    /// <summary>Optimizer, schedule, batch size and epochs.</summary>
    public TrainingSettings Training { get; init; } = TrainingRecipes.Seed000;
    /// <summary>Master seed (init, data order, dropout).</summary>
    public ulong Seed { get; init; } = 42;
    /// <summary>Seed of the mask positions (independent of <see cref="Seed"/>).</summary>
    public ulong MaskSeed { get; init; }
    /// <summary>Mask type for the mask drivers (<see cref="MaskTypes.Names"/>).</summary>
    public string? MaskType { get; init; }
    /// <summary>Sparsity for shuffled-mask and fixed-param.</summary>
    public double? Sparsity { get; init; }
    /// <summary>[low, high] for random-mask: the sparsity is drawn uniformly per run from (seed, mask seed).</summary>
    public IReadOnlyList<double>? SparsityRange { get; init; }
    /// <summary>Magnitude-pruning schedule for the prune driver.</summary>
    public IReadOnlyList<PruneStep>? PruneSchedule { get; init; }
    /// <summary>Reproduce the original's schedule (prune.py 115–130 compares epoch numbers with step boundaries, so
    /// only the steps at epoch 0 fire: it prunes the random init and never again). Ours fires every step.</summary>
    public bool PruneScheduleOriginal { get; init; }
    /// <summary>Weight budget for fixed-param.</summary>
    public long? ParameterBudget { get; init; }
    /// <summary>Depth for fixed-param.</summary>
    public int? Depth { get; init; }
    /// <summary>Width multiplier a (widths l·aⁱ) for fixed-param.</summary>
    public double? WidthMultiplier { get; init; }
    /// <summary>Re-initialise masked layers from their fan-in after masking (sparse-aware init).</summary>
    public bool SparseInit { get; init; }
    /// <summary>Remove dead units' connections after masking.</summary>
    public bool Propagate { get; init; } = true;
    /// <summary>Mask the output layer too (the original never does; masking it makes small nets at high sparsity
    /// predict a constant).</summary>
    public bool MaskOutputLayer { get; init; }

    /// <summary>Canonical JSON of every field.</summary>
    public string ToCanonicalJson() => CanonicalJson.Serialize(this);

    /// <summary>The run id: driver name and the first 16 hex digits of the SHA-256 of the canonical JSON.</summary>
    [JsonIgnore]
    public string RunId => $"{Driver}-{CanonicalJson.Sha256(ToCanonicalJson())[..16]}";

    /// <summary>Checks every field without touching data, models or the store; throws a message that names the
    /// problem and the way out.</summary>
    /// <exception cref="ArgumentException">An unknown driver, model, mask type or optimizer; empty widths; a missing
    /// setting the driver needs; a budget too small for the depth.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A sparsity outside [0, 1], a non-positive epoch count, batch size or rate.</exception>
    public void Validate()
    {
        if (!DriverKind.All.Contains(Driver))
            throw new ArgumentException($"unknown driver '{Driver}'; known drivers: {string.Join(", ", DriverKind.All)}");
        if (!ModelZoo.Names.Contains(Model))
            throw new ArgumentException($"unknown model '{Model}'; known models: {string.Join(", ", ModelZoo.Names)}");
        if (Widths is { Count: 0 }) throw new ArgumentException("widths must name at least one hidden layer (e.g. --widths 16,16)");
        if (Widths is not null && Widths.Any(w => w < 1)) throw new ArgumentException($"every width must be ≥ 1, got [{string.Join(", ", Widths)}]");
        Training.Validate();
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "dropout must be in [0, 1)");
        switch (Driver)
        {
            case DriverKind.ShuffledMask:
                RequireMaskType();
                CheckSparsity(Sparsity ?? throw new ArgumentException("shuffled-mask needs a sparsity (--sparsity 0.9)"), "sparsity");
                break;
            case DriverKind.RandomMask:
                RequireMaskType();
                if (SparsityRange is not { Count: 2 } range) throw new ArgumentException("random-mask needs a sparsity range of two values (--sparsity-range 0.5,0.99)");
                CheckSparsity(range[0], "sparsity range low");
                CheckSparsity(range[1], "sparsity range high");
                if (range[0] > range[1]) throw new ArgumentException($"sparsity range [{range[0]}, {range[1]}] is empty: low must not exceed high");
                break;
            case DriverKind.Prune:
                if (PruneSchedule is not { Count: > 0 } schedule) throw new ArgumentException("prune needs a schedule of (epoch, sparsity) steps (--prune-schedule 0:0.5,2:0.8)");
                foreach (var step in schedule)
                {
                    CheckSparsity(step.Sparsity, "pruning sparsity");
                    if (step.Epoch < 0 || step.Epoch > Training.Epochs) throw new ArgumentException($"pruning epoch {step.Epoch} is outside 0..{Training.Epochs}");
                }
                break;
            case DriverKind.FixedParam:
                if (Model != "mnist-fc") throw new ArgumentException("fixed-param works on mnist-fc only");
                RequireMaskType();
                CheckSparsity(Sparsity ?? 0, "sparsity");
                FixedParameterWidths.Solve(ParameterBudget ?? throw new ArgumentException("fixed-param needs a parameter budget (--budget 20000)"),
                    Depth ?? throw new ArgumentException("fixed-param needs a depth (--depth 4)"), WidthMultiplier ?? 1);
                break;
        }
    }

    /// <summary>The hidden widths the run uses (fixed-param: solved from the budget).</summary>
    public IReadOnlyList<int>? ResolvedWidths(long inputs, long classes) => Driver == DriverKind.FixedParam
        ? FixedParameterWidths.Solve(ParameterBudget!.Value, Depth!.Value, WidthMultiplier ?? 1, inputs, classes)
        : Widths;

    private void RequireMaskType()
    {
        if (MaskType is null) throw new ArgumentException($"{Driver} needs a mask type (--mask {string.Join("|", MaskTypes.Names)})");
        MaskTypes.Parse(MaskType);
    }

    private static void CheckSparsity(double value, string what)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be in [0, 1], got {value.ToString(CultureInfo.InvariantCulture)}");
    }
}
