using Symmetry.Core.Models;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>What A's and B's BatchNorm layers do while the stitcher trains (ALGORITHMS §3).</summary>
public enum StitchingBatchNorm
{
    /// <summary>The original: the whole stitched model in train mode, so A's and B's BatchNorm layers normalise with
    /// batch statistics and their running statistics drift (pnnl/modelsym train.py 23).</summary>
    TrainModeBn,

    /// <summary>A and B stay in eval mode (running statistics used and unchanged); only the stitcher trains.</summary>
    FrozenBn,
}

/// <summary>
/// Model A up to a ReLU (<see cref="StitchPoints"/>), a <see cref="Stitching.Stitcher"/>, then model B's layers after
/// the same point (ALGORITHMS §3). The stitched model owns A, B and the stitcher (it disposes them), as the original
/// works on deep copies: give it models of its own. A's and B's parameters are frozen (requires_grad off), so only
/// <see cref="TrainableParameters"/> should reach an optimizer; with <see cref="StitchingBatchNorm.TrainModeBn"/> their
/// BatchNorm running statistics still change in training mode, as in the original.
/// </summary>
public sealed class StitchedModel : nn.Module<Tensor, Tensor>
{
    private readonly IReadOnlyList<nn.Module<Tensor, Tensor>> head;
    private readonly IReadOnlyList<nn.Module<Tensor, Tensor>> tail;

    private StitchedModel(ZooModel a, ZooModel b, string point, Stitcher stitcher, StitchingBatchNorm batchNorm) : base(nameof(StitchedModel))
    {
        (A, B, Point, Stitcher, BatchNorm) = (a, b, point, stitcher, batchNorm);
        head = StitchPoints.Split(a, point).Head;
        tail = StitchPoints.Split(b, point).Tail;
        register_module("a", a);
        register_module("b", b);
        register_module("stitcher", stitcher);
        foreach (var p in a.parameters().Concat(b.parameters())) p.requires_grad = false;
        train(a.training);
    }

    /// <summary>
    /// Stitches <paramref name="a"/> to <paramref name="b"/> after <paramref name="point"/> with a stitcher that
    /// <paramref name="createStitcher"/> makes for the number of channels (or features) there. The stitched model owns
    /// both models once this returns; when it throws, they stay the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">A and B are different architectures (their state dicts differ in names or
    /// shapes), or <paramref name="point"/> is not a cut point (the message lists the valid ones).</exception>
    public static StitchedModel Build(ZooModel a, ZooModel b, string point, Func<long, Stitcher> createStitcher,
        StitchingBatchNorm batchNorm = StitchingBatchNorm.TrainModeBn)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(createStitcher);
        RequireSameArchitecture(a, b);
        StitchPoints.Require(a, point);
        var stitcher = createStitcher(Width(a, point));
        return new StitchedModel(a, b, point, stitcher, batchNorm);
    }

    /// <summary>The channels (or features) of <paramref name="model"/>'s activation after <paramref name="point"/>.</summary>
    /// <exception cref="ArgumentException">Not a cut point.</exception>
    public static long Width(ZooModel model, string point)
    {
        var head = StitchPoints.Split(model, point).Head;
        using var scope = NewDisposeScope();
        using var mode = Guards.Mode(model, training: false);
        using var noGrad = no_grad();
        var first = model.parameters().FirstOrDefault();
        var x = zeros([1, .. model.InputShape], dtype: first?.dtype ?? ScalarType.Float32, device: first?.device ?? CPU);
        foreach (var module in head) x = module.call(x);
        return x.shape[1];
    }

    /// <summary>Model A (its layers up to <see cref="Point"/> run).</summary>
    public ZooModel A { get; }

    /// <summary>Model B (its layers after <see cref="Point"/> run).</summary>
    public ZooModel B { get; }

    /// <summary>The cut point, a <c>named_modules</c> path such as <c>layers.2</c>.</summary>
    public string Point { get; }

    /// <summary>The stitcher.</summary>
    public Stitcher Stitcher { get; }

    /// <summary>What A's and B's BatchNorm layers do in training mode.</summary>
    public StitchingBatchNorm BatchNorm { get; }

    /// <summary>The only parameters to optimise: the stitcher's.</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters => Stitcher.parameters();

    /// <summary>Training mode for the stitcher; for A and B too under <see cref="StitchingBatchNorm.TrainModeBn"/>,
    /// eval mode for them under <see cref="StitchingBatchNorm.FrozenBn"/>.</summary>
    public override void train(bool train = true)
    {
        base.train(train);
        SetModes(parts: train && BatchNorm == StitchingBatchNorm.TrainModeBn, stitcher: train);
    }

    /// <summary>Sets A's and B's mode and the stitcher's separately (the BatchNorm refresh runs A and B in training
    /// mode with the stitcher evaluated).</summary>
    public void SetModes(bool parts, bool stitcher)
    {
        A.train(parts);
        B.train(parts);
        Stitcher.train(stitcher);
    }

    /// <summary>A's head, the stitcher, B's tail.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var module in head) x = module.call(x);
        x = Stitcher.call(x);
        foreach (var module in tail) x = module.call(x);
        return x.MoveToOuterDisposeScope();
    }

    private static void RequireSameArchitecture(ZooModel a, ZooModel b)
    {
        var shapesA = a.state_dict().ToDictionary(p => p.Key, p => string.Join("×", p.Value.shape));
        var shapesB = b.state_dict().ToDictionary(p => p.Key, p => string.Join("×", p.Value.shape));
        if (a.Name != b.Name || shapesA.Count != shapesB.Count || shapesA.Any(p => !shapesB.TryGetValue(p.Key, out var s) || s != p.Value))
            throw new ArgumentException($"stitching needs two models of one architecture: A is '{a.Name}' ({a.ParameterCount()} parameters), " +
                $"B is '{b.Name}' ({b.ParameterCount()} parameters) with other layers");
    }
}
