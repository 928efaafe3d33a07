namespace Symmetry.Torch.NN;

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>Flattens dimensions <c>startDim</c>…<c>endDim</c> (by default everything but the batch).</summary>
public sealed class Flatten(long startDim = 1, long endDim = -1) : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);
}

/// <summary>Dropout in training mode, identity in evaluation mode. With a generator, the masks are reproducible.</summary>
public sealed class Dropout : Module
{
    private readonly Generator? generator;

    /// <summary>Zeroes each element with probability <paramref name="p"/> while training.</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        P = p;
        this.generator = generator;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) =>
        generator is null ? Functional.Dropout(input, P, Training) : Functional.Dropout(input, P, Training, generator);
}

/// <summary>2-D max pooling (stride defaults to the kernel).</summary>
public sealed class MaxPool2d(long kernel, long? stride = null, long padding = 0) : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, kernel, stride, padding);
}

/// <summary>2-D average pooling (stride defaults to the kernel).</summary>
public sealed class AvgPool2d(long kernel, long? stride = null, long padding = 0) : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, kernel, stride, padding);
}

/// <summary>Average pooling to a fixed output size; (1, 1) is global average pooling.</summary>
public sealed class AdaptiveAvgPool2d(long outputHeight = 1, long outputWidth = 1) : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, outputHeight, outputWidth);
}

/// <summary>Applies its children in order; they are named <c>0</c>, <c>1</c>, … unless named explicitly.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> layers = new();

    /// <summary>A chain of <paramref name="modules"/> named by position.</summary>
    public Sequential(params Module[] modules)
    {
        foreach (var module in modules) Add(module);
    }

    /// <summary>A chain of named modules.</summary>
    public Sequential(IEnumerable<(string Name, Module Module)> modules)
    {
        foreach (var (name, module) in modules) Add(name, module);
    }

    /// <summary>Appends a module named by its position.</summary>
    public Sequential Add(Module module) => Add(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);

    /// <summary>Appends a named module.</summary>
    public Sequential Add(string name, Module module)
    {
        layers.Add(RegisterModule(name, module));
        return this;
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Module> Layers => layers;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Forward(x);
        return x;
    }
}

/// <summary>y = post(body(x) + shortcut(x)), the residual block pattern; shortcut defaults to the identity and post to ReLU.
/// Children are named <c>body</c> and <c>shortcut</c> (when not the identity).</summary>
public sealed class Residual : Module
{
    private readonly Module body;
    private readonly Module? shortcut;
    private readonly bool reluAfter;

    /// <summary>Creates the block.</summary>
    public Residual(Module body, Module? shortcut = null, bool reluAfter = true)
    {
        this.body = RegisterModule("body", body);
        this.shortcut = shortcut is null ? null : RegisterModule("shortcut", shortcut);
        this.reluAfter = reluAfter;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var sum = body.Forward(input) + (shortcut is null ? input : shortcut.Forward(input));
        return reluAfter ? sum.Relu() : sum;
    }
}
