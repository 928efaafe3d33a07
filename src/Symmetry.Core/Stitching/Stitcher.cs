using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>
/// A stitching layer: a map W (features × features, no bias) from model A's activations to model B's, applied as a
/// 1×1 convolution to (N, C, H, W) activations and as a linear layer to (N, F) ones (ALGORITHMS §3). Subclasses say
/// how W is parametrised (<see cref="Matrix"/>), what it adds to the loss (<see cref="Regularization"/>), what happens
/// after each optimizer step (<see cref="Project"/>) and which parameters take weight decay. In eval mode
/// <see cref="Matrix"/> is the W evaluated (rounded to a permutation, small weights zeroed), in training mode the one
/// trained.
/// </summary>
public abstract class Stitcher : nn.Module<Tensor, Tensor>
{
    /// <summary>A stitcher on <paramref name="features"/> channels or features.</summary>
    protected Stitcher(string name, long features) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        Features = features;
    }

    /// <summary>Channels (conv activations) or features (flat activations) on both sides.</summary>
    public long Features { get; }

    /// <summary>W (features × features): W[o, i] weighs input channel i in output channel o. Differentiable in training
    /// mode; the caller owns the tensor (it joins the open dispose scope).</summary>
    public abstract Tensor Matrix();

    /// <summary>The term the stitcher adds to the loss (null: none), differentiable; the caller owns the tensor.</summary>
    public virtual Tensor? Regularization() => null;

    /// <summary>Called after every optimizer step (e.g. the Birkhoff stitcher's projection); does nothing by default.</summary>
    public virtual void Project() { }

    /// <summary>The parameters weight decay applies to (the original decays parameters named <c>weight</c>, or the
    /// Birkhoff stitcher's scales only); all of them by default.</summary>
    public virtual IEnumerable<TorchSharp.Modules.Parameter> DecayedParameters() => parameters();

    /// <summary>A short label, e.g. <c>linear</c> or <c>low-rank r=2</c>.</summary>
    public abstract string Describe();

    /// <summary>Applies <see cref="Matrix"/> to (N, C, H, W) or (N, F) activations.</summary>
    /// <exception cref="ArgumentException">Activations of another width or rank.</exception>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if ((input.dim() != 4 && input.dim() != 2) || input.shape[1] != Features)
            throw new ArgumentException(
                $"a {Describe()} stitcher on {Features} channels takes (N, {Features}, H, W) or (N, {Features}) activations, got [{string.Join(", ", input.shape)}]",
                nameof(input));
        using var scope = NewDisposeScope();
        var w = Matrix().to(input.dtype);
        var output = input.dim() == 4 ? nn.functional.conv2d(input, w.view(Features, Features, 1, 1)) : input.matmul(w.t());
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>A new parameter (features_out × features_in) filled as PyTorch's default Linear/1×1-conv init:
    /// U(−1/√fan_in, 1/√fan_in), drawn from <paramref name="generator"/>.</summary>
    protected static TorchSharp.Modules.Parameter DefaultInitialised(long rows, long columns, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var weight = empty(rows, columns);
        Symmetry.Torch.SeededInit.PyTorchDefault(weight, null, generator);
        return NewParameter(weight);
    }

    /// <summary>A parameter holding <paramref name="value"/>, detached from every dispose scope (the module owns it).</summary>
    protected static TorchSharp.Modules.Parameter NewParameter(Tensor value) =>
        (TorchSharp.Modules.Parameter)new TorchSharp.Modules.Parameter(value, requires_grad: true).DetachFromDisposeScope();
}
