using Symmetry.Core.Permutations;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>
/// The Birkhoff (G_ReLU) stitcher of ALGORITHMS §3 (pnnl/modelsym <c>Birkhoff</c>): W = P · diag(scales), P a
/// doubly stochastic matrix kept in the Birkhoff polytope by projection after every step (P ← max(P, 0), scales ←
/// max(scales, 0), then <see cref="Sinkhorn.StepIterations"/> Sinkhorn iterations), with −α‖P‖_F (not squared) in the
/// loss to push P towards a vertex. P starts as uniform noise through <see cref="Sinkhorn.InitialIterations"/> Sinkhorn
/// iterations, the scales at 1. Evaluation rounds P to the permutation matrix of the linear assignment that maximises
/// Σ P[i, π(i)]. Phase 1 trains without the diagonal (<see cref="UseScales"/> false), phase 2 with it.
/// </summary>
public sealed class BirkhoffStitcher : Stitcher
{
    private Tensor? rounded;

    /// <summary>A stitcher on <paramref name="features"/> channels with penalty weight <paramref name="alpha"/>, P's
    /// noise drawn from <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">α negative or not finite.</exception>
    public BirkhoffStitcher(long features, double alpha, Generator? generator) : base(nameof(BirkhoffStitcher), features)
    {
        if (!(alpha >= 0) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "the Birkhoff stitcher's α must be a finite number ≥ 0");
        Alpha = alpha;
        using (var scope = NewDisposeScope())
        {
            var noise = empty(features, features);
            Symmetry.Torch.SeededInit.Uniform(noise, 0, 1, generator);
            Permutation = NewParameter(Sinkhorn.Project(noise, Sinkhorn.InitialIterations).DetachFromDisposeScope());
            Scales = NewParameter(ones(features).DetachFromDisposeScope());
        }
        register_parameter("permutation", Permutation);
        register_parameter("scales", Scales);
    }

    /// <summary>α, the weight of −‖P‖_F in the loss.</summary>
    public double Alpha { get; }

    /// <summary>P, the doubly stochastic matrix (parameter <c>permutation</c>).</summary>
    public Parameter Permutation { get; }

    /// <summary>The non-negative scale of each input channel (parameter <c>scales</c>).</summary>
    public Parameter Scales { get; }

    /// <summary>Whether W includes diag(scales) (phase 2) or is P alone (phase 1).</summary>
    public bool UseScales { get; set; }

    /// <summary>Sets P to <paramref name="matrix"/> (features × features) and the scales to <paramref name="scales"/> (or
    /// leaves them), e.g. to start at a known permutation.</summary>
    public void Initialise(Tensor matrix, Tensor? scales = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Permutation.copy_(matrix);
        if (scales is not null) Scales.copy_(scales);
        Forget();
    }

    /// <summary>The permutation evaluation uses: π(i) = the input channel output channel i takes, by linear assignment
    /// maximising Σ P[i, π(i)].</summary>
    public int[] RoundedAssignment() => LinearAssignment.Solve(Permutation.detach(), maximize: true);

    /// <summary>The permutation matrix of <see cref="RoundedAssignment"/>: R[i, π(i)] = 1.</summary>
    public Tensor RoundedMatrix()
    {
        var assignment = RoundedAssignment();
        using var scope = NewDisposeScope();
        var matrix = zeros(Features, Features, dtype: Permutation.dtype, device: Permutation.device);
        var rows = arange(Features, dtype: ScalarType.Int64, device: Permutation.device);
        var columns = tensor(assignment.Select(c => (long)c).ToArray(), device: Permutation.device);
        matrix.index_put_(ones(Features, dtype: Permutation.dtype, device: Permutation.device), rows, columns);
        return matrix.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Matrix()
    {
        Tensor p;
        if (training) p = Permutation.alias();
        else
        {
            // The rounding is solved once per evaluation (P changes only in training).
            rounded ??= RoundedMatrix().DetachFromDisposeScope();
            p = rounded.alias();
        }
        return UseScales ? p.mul(Scales.unsqueeze(0)) : p;
    }

    /// <inheritdoc />
    public override Tensor? Regularization() => Permutation.norm().mul(-Alpha);

    /// <inheritdoc />
    public override void Project()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Permutation.relu_();
        Scales.relu_();
        Permutation.copy_(Sinkhorn.Project(Permutation, Sinkhorn.StepIterations));
        Forget();
    }

    /// <summary>Weight decay applies to the scales only (the original's parameter groups).</summary>
    public override IEnumerable<Parameter> DecayedParameters() => [Scales];

    /// <inheritdoc />
    public override void train(bool train = true)
    {
        base.train(train);
        if (train) Forget();
    }

    /// <summary>Drops the cached rounding (P may have changed, e.g. a state was loaded).</summary>
    public void Forget()
    {
        rounded?.Dispose();
        rounded = null;
    }

    /// <inheritdoc />
    public override string Describe() => FormattableString.Invariant($"Birkhoff α={Alpha:G3}");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) Forget();
        base.Dispose(disposing);
    }
}
