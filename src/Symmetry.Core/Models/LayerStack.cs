using System.Globalization;
using Symmetry.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Models;

/// <summary>
/// Builds a zoo model's <c>layers</c> Sequential while tracking the activation shape (C, H, W), or F features after a
/// flatten, so that an input a model cannot take fails at construction with the layer and the sizes at fault. In
/// dry mode it only does the shape arithmetic (no tensors), which is how the zoo checks a config and finds the
/// smallest input a model takes. Linear and Conv2d layers are initialised as they are created, in definition order,
/// with the requested <see cref="InitScheme"/>.
/// </summary>
/// <remarks>TorchSharp's Linear and Conv2d constructors draw PyTorch's default init from libtorch's global generator.
/// The stack saves the global generator's state before each such constructor and restores it after, then overwrites
/// the weights by drawing the scheme (PyTorch's default included) from the caller's generator: the caller's generator
/// sees exactly the scheme's draws, layer by layer, and the global generator is left as if the constructor had drawn
/// nothing (with a null generator the scheme itself draws from the global one, once per layer, as before).</remarks>
internal sealed class LayerStack : IDisposable
{
    private readonly string model;
    private readonly bool dry;
    private readonly InitScheme scheme;
    private readonly Generator? generator;
    private readonly Generator? dropoutGenerator;
    private readonly Stack<List<nn.Module<Tensor, Tensor>>> open = new();
    private readonly Stack<int> counts = new();

    private LayerStack(string model, ModelConfig config, bool dry, InitScheme scheme, Generator? generator, Generator? dropoutGenerator)
    {
        this.model = model;
        this.dry = dry;
        this.scheme = scheme;
        this.generator = generator;
        this.dropoutGenerator = dropoutGenerator;
        Channels = config.InputChannels;
        Height = config.ImageSize;
        Width = config.ImageSize;
        open.Push(new List<nn.Module<Tensor, Tensor>>());
        counts.Push(0);
    }

    /// <summary>A stack that builds modules.</summary>
    public static LayerStack Build(string model, ModelConfig config, InitScheme scheme, Generator? generator, Generator? dropoutGenerator) =>
        new(model, config, dry: false, scheme, generator, dropoutGenerator);

    /// <summary>A stack that only checks shapes.</summary>
    public static LayerStack Dry(string model, ModelConfig config) =>
        new(model, config, dry: true, InitScheme.PyTorchDefault, null, null);

    /// <summary>True when no modules are built.</summary>
    public bool IsDry => dry;

    /// <summary>Channels of the current activation (before a flatten).</summary>
    public long Channels { get; private set; }

    /// <summary>Height of the current activation.</summary>
    public long Height { get; private set; }

    /// <summary>Width of the current activation.</summary>
    public long Width { get; private set; }

    /// <summary>True after <see cref="Flatten"/>.</summary>
    public bool IsFlat { get; private set; }

    /// <summary>Features of the current (flat) activation.</summary>
    public long Features { get; private set; }

    private string NextName => "layers." + string.Join(".", counts.Reverse().Select(c => c.ToString(CultureInfo.InvariantCulture)));

    private string SpatialText => $"{Channels}×{Height}×{Width}";

    // ------------------------------------------------------------------ spatial layers

    /// <summary>Conv2d with a square kernel, stride and zero padding.</summary>
    public void Conv(long outChannels, long kernel, long stride = 1, long padding = 0, bool bias = true)
    {
        RequireSpatial("conv");
        var (h, w) = (Out(Height, kernel, stride, padding), Out(Width, kernel, stride, padding));
        if (h < 1 || w < 1)
            throw TooSmall($"conv {kernel}×{kernel}, stride {stride}, padding {padding}", $"{Height}×{Width}", $"{h}×{w}");
        Add(dry ? null : NewConv(Channels, outChannels, kernel, stride, padding, bias));
        (Channels, Height, Width) = (outChannels, h, w);
    }

    /// <summary>Conv2d, stride 1, with 'same' padding (k − 1)/2 (the kernel must be odd).</summary>
    public void SameConv(long outChannels, long kernel, bool bias = true) => Conv(outChannels, kernel, 1, SamePadding(kernel), bias);

    /// <summary>The 'same' padding of an odd kernel.</summary>
    public long SamePadding(long kernel) =>
        kernel % 2 == 1
            ? (kernel - 1) / 2
            : throw new ArgumentException($"model '{model}': a 'same' convolution needs an odd kernel, got {kernel}", "config");

    /// <summary>Max pooling (stride defaults to the kernel).</summary>
    public void MaxPool(long kernel, long? stride = null) => Pool(kernel, stride, max: true);

    /// <summary>Average pooling (stride defaults to the kernel).</summary>
    public void AvgPool(long kernel, long? stride = null) => Pool(kernel, stride, max: false);

    private void Pool(long kernel, long? stride, bool max)
    {
        RequireSpatial("pool");
        var s = stride ?? kernel;
        var (h, w) = (Out(Height, kernel, s, 0), Out(Width, kernel, s, 0));
        var what = $"{(max ? "max" : "average")}-pool {kernel}×{kernel}, stride {s}";
        if (h < 1 || w < 1) throw TooSmall(what, $"{Height}×{Width}", $"{h}×{w}");
        Add(dry ? null : max ? nn.MaxPool2d(kernel, s) : nn.AvgPool2d(kernel, s));
        (Height, Width) = (h, w);
    }

    /// <summary>Global average pooling to C×1×1.</summary>
    public void GlobalAvgPool()
    {
        RequireSpatial("global pool");
        Add(dry ? null : nn.AdaptiveAvgPool2d((1L, 1L)));
        (Height, Width) = (1, 1);
    }

    /// <summary>Global max pooling to C×1×1 (a max-pool whose kernel is the whole, square, activation).</summary>
    public void GlobalMaxPool()
    {
        RequireSpatial("global pool");
        if (Height != Width) throw new ArgumentException($"model '{model}': global max pooling needs a square activation, got {Height}×{Width}", "config");
        Add(dry ? null : nn.MaxPool2d(Height, Height));
        (Height, Width) = (1, 1);
    }

    /// <summary>Flattens C×H×W into C·H·W features.</summary>
    public void Flatten()
    {
        RequireSpatial("flatten");
        Add(dry ? null : nn.Flatten());
        Features = Channels * Height * Width;
        IsFlat = true;
    }

    // ------------------------------------------------------------------ layers for any shape

    /// <summary>Linear layer on flat features.</summary>
    public void Linear(long outFeatures, bool bias = true)
    {
        if (!IsFlat) throw new InvalidOperationException($"model '{model}': Linear before Flatten (internal error)");
        Add(dry ? null : NewLinear(Features, outFeatures, bias));
        Features = outFeatures;
    }

    /// <summary>BatchNorm2d on channels, or BatchNorm1d on flat features.</summary>
    public void BatchNorm() => Add(dry ? null : IsFlat ? nn.BatchNorm1d(Features) : nn.BatchNorm2d(Channels));

    /// <summary>ReLU.</summary>
    public void Relu() => Add(dry ? null : nn.ReLU());

    /// <summary>Dropout with probability <paramref name="p"/> (present even when p = 0, so layer numbers do not
    /// depend on the rate), a <see cref="SeededDropout"/> drawing from the zoo's dropout generator.</summary>
    public void Dropout(double p) => Add(dry ? null : new SeededDropout(p, dropoutGenerator));

    /// <summary>Adds a nested Sequential (e.g. a ResNet stage) holding the layers <paramref name="body"/> adds.</summary>
    public void Group(Action body)
    {
        open.Push(new List<nn.Module<Tensor, Tensor>>());
        counts.Push(0);
        body();
        var modules = open.Pop();
        counts.Pop();
        Add(dry ? null : nn.Sequential(modules));
    }

    /// <summary>A ResNet v1 basic block to <paramref name="outChannels"/> channels with the given stride.</summary>
    public void BasicBlock(long outChannels, long stride)
    {
        RequireSpatial("residual block");
        var (h, w) = (Out(Height, 3, stride, 1), Out(Width, 3, stride, 1));
        if (h < 1 || w < 1) throw TooSmall($"residual block, stride {stride}", $"{Height}×{Width}", $"{h}×{w}");
        Add(dry ? null : new BasicBlock(this, Channels, outChannels, stride));
        (Channels, Height, Width) = (outChannels, h, w);
    }

    /// <summary>The finished <c>layers</c> Sequential (null in dry mode); checks the output is (classes) logits.</summary>
    public Sequential? Finish(int classes)
    {
        if (open.Count != 1) throw new InvalidOperationException("unclosed layer group (internal error)");
        if (!IsFlat || Features != classes)
            throw new InvalidOperationException($"model '{model}' ends in {(IsFlat ? Features + " features" : SpatialText)}, not {classes} logits (internal error)");
        if (dry) return null;
        var layers = nn.Sequential(open.Peek());
        open.Peek().Clear();
        return layers;
    }

    // ------------------------------------------------------------------ initialised layer factories

    /// <summary>A Conv2d initialised with the stack's scheme (used by blocks too).</summary>
    public Conv2d NewConv(long inChannels, long outChannels, long kernel, long stride, long padding, bool bias)
    {
        var conv = WithoutGlobalDraws(() => nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: bias));
        Initialise(conv.weight!, conv.bias);
        return conv;
    }

    private Linear NewLinear(long inFeatures, long outFeatures, bool bias)
    {
        var linear = WithoutGlobalDraws(() => nn.Linear(inFeatures, outFeatures, hasBias: bias));
        Initialise(linear.weight!, linear.bias);
        return linear;
    }

    /// <summary>Runs a TorchSharp layer constructor, then puts libtorch's global generator back in the state it had
    /// before, so that the constructor's own default-init draws leave no trace.</summary>
    private static T WithoutGlobalDraws<T>(Func<T> construct)
    {
        using var state = get_rng_state();
        try
        {
            return construct();
        }
        finally
        {
            set_rng_state(state);
        }
    }

    private void Initialise(Tensor weight, Tensor? bias)
    {
        switch (scheme)
        {
            case InitScheme.PyTorchDefault:
                SeededInit.PyTorchDefault(weight, bias, generator);
                return;
            case InitScheme.HeUniform:
                SeededInit.KaimingUniform(weight, generator);
                if (bias is not null) SeededInit.HeUniformBias(bias, generator);
                return;
            case InitScheme.KaimingNormal:
                SeededInit.KaimingNormal(weight, generator);
                break;
            case InitScheme.GlorotUniform:
                SeededInit.GlorotUniform(weight, generator);
                break;
            case InitScheme.GlorotNormal:
                SeededInit.GlorotNormal(weight, generator);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "unknown init scheme");
        }
        if (bias is not null) SeededInit.Constant(bias, 0);
    }

    // ------------------------------------------------------------------ helpers

    private void Add(nn.Module<Tensor, Tensor>? module)
    {
        if (module is not null) open.Peek().Add(module);
        counts.Push(counts.Pop() + 1);
    }

    private void RequireSpatial(string what)
    {
        if (IsFlat) throw new InvalidOperationException($"model '{model}': {what} after Flatten (internal error)");
    }

    private static long Out(long size, long kernel, long stride, long padding) =>
        size + 2 * padding < kernel ? 0 : (size + 2 * padding - kernel) / stride + 1;

    private InputTooSmallException TooSmall(string layer, string from, string to) =>
        new($"layer {NextName} ({layer}) would turn {from} into {to}");

    /// <summary>Frees any layers built but not handed out by <see cref="Finish"/> (a build that failed half way).</summary>
    public void Dispose()
    {
        foreach (var group in open)
            foreach (var module in group) module.Dispose();
        open.Clear();
    }
}

/// <summary>Raised (inside the zoo only) when an input is too small for a model's layers.</summary>
internal sealed class InputTooSmallException(string message) : Exception(message);
