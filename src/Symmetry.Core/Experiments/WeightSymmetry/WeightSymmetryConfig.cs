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
    /// <summary>The experiment and its own settings.</summary>
    [Flag(Skip = true)]
    public DriverSettings Driver { get; init; } = new TrainDriver();
    /// <summary>Zoo model name.</summary>
    public string Model { get; init; } = "mnist-fc";
    /// <summary>Hidden widths (MLP models only); null: the model's default. Ignored by fixed-param, which solves for them.</summary>
    [Flag(Example = "16,16,16")]
    public IReadOnlyList<int>? Widths { get; init; }
    /// <summary>Dropout after each hidden layer (MLP and conv-net models that have the layer).</summary>
    public double Dropout { get; init; }
    /// <summary>BatchNorm after each hidden layer (models whose family has BatchNorm).</summary>
    public bool BatchNorm { get; init; }
    /// <summary>Data directory; null: Fashion-MNIST from Debian's dataset-fashion-mnist.</summary>
    [Flag(Skip = true)]
    public string? Data { get; init; }
    /// <summary>The <see cref="Data.DataFingerprint"/> of the data the run trains on; null until the driver loads the
    /// data and fills it in (so the run id changes when the files under <see cref="Data"/> do).</summary>
    public string? DataFingerprint { get; init; }
    /// <summary>Optimizer, schedule, batch size and epochs.</summary>
    [Flag(Skip = true)]
    public TrainingSettings Training { get; init; } = TrainingRecipes.Seed000;
    /// <summary>Master seed (init, data order, dropout).</summary>
    [Flag(Skip = true)]
    public ulong Seed { get; init; } = 42;
    /// <summary>Seed of the mask positions (independent of <see cref="Seed"/>).</summary>
    [Flag(Skip = true)]
    public ulong MaskSeed { get; init; }
    /// <summary>Re-initialise masked layers from their fan-in after masking (sparse-aware init).</summary>
    public bool SparseInit { get; init; }
    /// <summary>Remove dead units' connections after masking.</summary>
    [Flag("no-propagate", Negated = true)]
    public bool Propagate { get; init; } = true;
    /// <summary>Mask the output layer too (the original never does; masking it makes small nets at high sparsity
    /// predict a constant).</summary>
    public bool MaskOutputLayer { get; init; }

    /// <summary>Canonical JSON of every field.</summary>
    public string ToCanonicalJson() => CanonicalJson.Serialize(this);

    /// <summary>The run id: driver name and the first 16 hex digits of the SHA-256 of the canonical JSON (the data
    /// fingerprint included once the driver filled it in: <see cref="WeightSymmetryDriver.WithData"/>).</summary>
    [JsonIgnore]
    public string RunId => $"{Driver.Name}-{CanonicalJson.Sha256(ToCanonicalJson())[..16]}";

    /// <summary>Checks every field without touching data, models or the store; throws a message that names the
    /// problem and the way out.</summary>
    /// <exception cref="ArgumentException">An unknown driver, model, mask type or optimizer; empty widths; a missing
    /// setting the driver needs; a budget too small for the depth.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A sparsity outside [0, 1], a non-positive epoch count, batch size or rate.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Driver);
        if (!ModelZoo.Names.Contains(Model))
            throw new ArgumentException($"unknown model '{Model}'; known models: {string.Join(", ", ModelZoo.Names)}");
        if (Widths is { Count: 0 }) throw new ArgumentException("widths must name at least one hidden layer (e.g. --widths 16,16)");
        if (Widths is not null && Widths.Any(w => w < 1)) throw new ArgumentException($"every width must be ≥ 1, got [{string.Join(", ", Widths)}]");
        Training.Validate();
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"dropout must be in [0, 1), got {Dropout}"));
        Driver.Validate(this);
        if (Driver is TrainDriver or PruneDriver && (SparseInit || !Propagate || MaskOutputLayer))
            throw new ArgumentException(
                $"{(SparseInit ? "sparse init" : !Propagate ? "no-propagate" : "mask-output-layer")} applies to the mask drivers " +
                $"(shuffled-mask, random-mask, fixed-param), not to {Driver.Name}, which trains without a generated mask");
        if (Driver is FixedParamDriver && Widths is not null)
            throw new ArgumentException("fixed-param solves the widths from its budget: drop --widths (set --budget, --depth, --width-multiplier)");
        // The architecture knobs against the model's family, on a stand-in shape: the data is not read here.
        Architecture(new ModelConfig(), Widths ?? (Driver is FixedParamDriver ? [1] : null));
    }

    /// <summary>The model's family record for the data's input shape and classes, with this config's widths, dropout and
    /// BatchNorm.</summary>
    /// <exception cref="ArgumentException">A knob the model's family lacks (e.g. widths for a conv net), refused rather
    /// than dropped; a field the model does not read.</exception>
    public ModelConfig ModelConfigFor(Data.DataSplits splits) =>
        Architecture(new ModelConfig((int)splits.InputShape[0], (int)splits.InputShape[1], splits.ClassCount),
            ResolvedWidths(splits.InputSize, splits.ClassCount));

    private ModelConfig Architecture(ModelConfig shape, IReadOnlyList<int>? widths)
    {
        double? dropout = Dropout > 0 ? Dropout : null;
        bool? batchNorm = BatchNorm ? true : null;
        var family = ModelZoo.ConfigType(Model);
        string Lacks(string knob) => $"model '{Model}' has no {knob} setting (its config is a {family.Name})";
        var problem = widths is not null && family != typeof(MlpConfig) ? Lacks("widths")
            : dropout is not null && family != typeof(MlpConfig) && family != typeof(ConvNetConfig) ? Lacks("dropout")
            : batchNorm is not null && (family == typeof(ModelConfig) || family == typeof(ResNetConfig)) ? Lacks("BatchNorm")
            : null;
        if (problem is not null) throw new ArgumentException(problem);
        ModelConfig typed = family.Name switch
        {
            nameof(MlpConfig) => new MlpConfig { Widths = widths, Dropout = dropout, BatchNorm = batchNorm },
            nameof(ConvNetConfig) => new ConvNetConfig { Dropout = dropout, BatchNorm = batchNorm },
            nameof(MyrtleConfig) => new MyrtleConfig { BatchNorm = batchNorm },
            nameof(VggConfig) => new VggConfig { BatchNorm = batchNorm },
            _ => new ModelConfig(),
        };
        return ModelZoo.Configure(Model, typed.WithShapeOf(shape));
    }

    /// <summary>The hidden widths the run uses (fixed-param: solved from the budget).</summary>
    public IReadOnlyList<int>? ResolvedWidths(long inputs, long classes) => Driver is FixedParamDriver f
        ? FixedParameterWidths.Solve(f.Budget, f.Depth, f.WidthMultiplier, inputs, classes)
        : Widths;
}
