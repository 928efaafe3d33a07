using Symmetry.Core.Masks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Models;

/// <summary>
/// A model built by <see cref="ModelZoo.Create"/>: one child <c>layers</c>, a <see cref="Sequential"/> whose entries are
/// numbered in forward order, so parameter names read <c>layers.0.weight</c>, <c>layers.1.running_mean</c>, … in
/// PyTorch order (blocks nest further, e.g. <c>layers.3.0.conv1.weight</c> for a ResNet stage). Inputs are
/// (N, C, H, W) with (C, H, W) = <see cref="InputShape"/>; the output is (N, classes) logits.
/// </summary>
/// <remarks>The model may hold a pruning <see cref="Mask"/> (<see cref="SetMask"/>): the masked weights are zeroed when
/// the mask is set and whenever <see cref="ApplyMask"/> is called (the trainer calls it after every optimizer step).
/// With <see cref="Frozen"/> values (deconstructing-LT's mask-0 actions, e.g. freeze at w_i) the masked weights are set
/// to those values instead of zero, in the same place.</remarks>
public sealed class ZooModel : nn.Module<Tensor, Tensor>
{
    private ModelMask? mask;
    private Symmetry.Torch.NamedTensors? frozen;

    internal ZooModel(string name, ModelConfig config, InitScheme initScheme, Sequential layers) : base(nameof(ZooModel))
    {
        Name = name;
        Config = config;
        InitScheme = initScheme;
        Layers = layers;
        register_module("layers", layers);
    }

    /// <summary>The zoo name the model was created from, e.g. <c>conv13</c>.</summary>
    public string Name { get; }

    /// <summary>The config the model was created with (null fields took the family's defaults).</summary>
    public ModelConfig Config { get; }

    /// <summary>The initialisation scheme that was applied (the config's, or the family's default).</summary>
    public InitScheme InitScheme { get; }

    /// <summary>The layers in forward order (owned by this model).</summary>
    public Sequential Layers { get; }

    /// <summary>The shape (C, H, W) of one input sample.</summary>
    public long[] InputShape => Config.InputShape;

    /// <summary>Number of classes (width of the output).</summary>
    public int Classes => Config.Classes;

    /// <summary>The pruning mask the model holds (owned by the model: do not dispose it), or null when unpruned.</summary>
    public ModelMask? Mask => mask;

    /// <summary>The values the masked weights are held at (by parameter name, the weight's shape, 0 where the mask keeps
    /// the weight; owned by the model), or null: masked weights are zero.</summary>
    public Symmetry.Torch.NamedTensors? Frozen => frozen;

    /// <summary>
    /// Holds the masked weights at <paramref name="values"/> instead of zero (a copy is kept; values at kept positions are
    /// ignored) and applies it now; null returns to zeros. Needs a mask; a later <see cref="SetMask"/> ends it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no mask.</exception>
    /// <exception cref="ArgumentException">A name the mask does not hold, or another shape.</exception>
    public void SetFrozen(Symmetry.Torch.NamedTensors? values)
    {
        if (values is null)
        {
            frozen?.Dispose();
            frozen = null;
            ApplyMask();
            return;
        }
        if (mask is null) throw new InvalidOperationException($"model '{Name}' has no mask: frozen values hold masked weights");
        var copy = new Symmetry.Torch.NamedTensors();
        try
        {
            using var scope = NewDisposeScope();
            foreach (var (name, value) in values)
            {
                if (!mask.TryGet(name, out var held) || !held.shape.SequenceEqual(value.shape))
                    throw new ArgumentException($"frozen values of '{name}' need a mask entry of the same shape");
                var masked = value.detach().to(ScalarType.Float32, held.device) * held.eq(0);
                copy.Add(name, masked);
            }
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        frozen?.Dispose();
        frozen = copy;
        ApplyMask();
    }

    /// <summary>Number of parameter values (all parameters, masked ones included).</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>
    /// Sets the model's mask to a copy of <paramref name="newMask"/> (the caller keeps its own mask) and zeroes the
    /// masked weights; the previous mask is freed. Null removes the mask (the weights stay as they are).
    /// </summary>
    /// <exception cref="ArgumentException">The mask names a parameter the model lacks or has a different shape; the
    /// model and its previous mask are then unchanged.</exception>
    public void SetMask(ModelMask? newMask)
    {
        if (newMask is null)
        {
            mask?.Dispose();
            mask = null;
            frozen?.Dispose();
            frozen = null;
            return;
        }
        var copy = newMask.Clone(WeightDevice);
        try
        {
            copy.ApplyTo(this);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        mask?.Dispose();
        mask = copy;
        frozen?.Dispose();
        frozen = null;
    }

    /// <summary>Zeroes the masked weights again (after an optimizer step, a weight load, …); does nothing without a mask.</summary>
    public void ApplyMask()
    {
        if (mask is null) return;
        // Keep the mask beside the weights, so that a model moved with to(device) pays one transfer, not one per step.
        var (held, weights) = (mask.Count > 0 ? mask[mask.Names[0]].device : WeightDevice, WeightDevice);
        if (held.type != weights.type || held.index != weights.index)
        {
            var moved = mask.Clone(weights);
            mask.Dispose();
            mask = moved;
        }
        mask.ApplyTo(this);
        if (frozen is null) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in named_parameters())
            if (frozen.Contains(name)) parameter.add_(frozen[name].to(parameter.dtype, parameter.device));
    }

    private Device WeightDevice => parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary>Logits (N, classes) for a batch (N, C, H, W).</summary>
    /// <exception cref="ArgumentException">The input is not (N, C, H, W) with this model's (C, H, W).</exception>
    public override Tensor forward(Tensor input)
    {
        var shape = input.shape;
        var expected = InputShape;
        if (shape.Length != 4 || shape[1] != expected[0] || shape[2] != expected[1] || shape[3] != expected[2])
            throw new ArgumentException(
                $"model '{Name}' takes inputs (N, {expected[0]}, {expected[1]}, {expected[2]}), got [{string.Join(", ", shape)}]", nameof(input));
        return Layers.call(input);
    }

    /// <summary>The model's name and config.</summary>
    public override string ToString() => $"{Name} ({Config}, init {InitScheme}, {ParameterCount()} parameters)";

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            mask?.Dispose();
            mask = null;
            frozen?.Dispose();
            frozen = null;
        }
        base.Dispose(disposing);
    }
}
