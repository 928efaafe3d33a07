namespace Symmetry.Torch.NN;

/// <summary>Batch normalisation over the channel dimension (dim 1) of (N, C) or (N, C, H, W) inputs. Parameters
/// <c>weight</c>, <c>bias</c>; buffers <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c> (as PyTorch).</summary>
public class BatchNorm : Module
{
    private readonly int expectedRank;

    /// <summary>Creates the layer: weight 1, bias 0, running mean 0, running variance 1.</summary>
    protected BatchNorm(long features, int expectedRank, double momentum, double eps, bool affine)
    {
        this.expectedRank = expectedRank;
        (Features, Momentum, Eps) = (features, momentum, eps);
        using var scope = Torch.NewScope();
        if (affine)
        {
            Weight = RegisterParameter("weight", Torch.Ones([features]));
            Bias = RegisterParameter("bias", Torch.Zeros([features]));
        }
        RegisterBuffer("running_mean", Torch.Zeros([features]));
        RegisterBuffer("running_var", Torch.Ones([features]));
        RegisterBuffer("num_batches_tracked", Torch.Zeros([], DType.Int64));
    }

    /// <summary>Channels.</summary>
    public long Features { get; }
    /// <summary>Running-statistics momentum.</summary>
    public double Momentum { get; }
    /// <summary>Added to the variance for stability.</summary>
    public double Eps { get; }
    /// <summary>Scale (C), or null without affine parameters.</summary>
    public Parameter? Weight { get; }
    /// <summary>Shift (C), or null without affine parameters.</summary>
    public Parameter? Bias { get; }

    /// <summary>Running mean of the channels (updated in training mode).</summary>
    public Tensor RunningMean => Buffer("running_mean");
    /// <summary>Running (unbiased) variance of the channels.</summary>
    public Tensor RunningVar => Buffer("running_var");

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != expectedRank)
            throw new ArgumentException($"{GetType().Name} expects a rank-{expectedRank} input, got shape [{string.Join(", ", input.Shape)}]", nameof(input));
        if (Training)
        {
            using var scope = Torch.NewScope();
            using var noGrad = Torch.NoGrad();
            Buffer("num_batches_tracked").AddInPlace(1L);
        }
        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight?.Effective, Bias?.Effective, Training, Momentum, Eps);
    }
}

/// <summary>Batch normalisation for (N, C) inputs.</summary>
public sealed class BatchNorm1d(long features, double momentum = 0.1, double eps = 1e-5, bool affine = true)
    : BatchNorm(features, 2, momentum, eps, affine);

/// <summary>Batch normalisation for (N, C, H, W) inputs.</summary>
public sealed class BatchNorm2d(long features, double momentum = 0.1, double eps = 1e-5, bool affine = true)
    : BatchNorm(features, 4, momentum, eps, affine);
