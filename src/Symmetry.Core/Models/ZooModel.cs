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
/// the mask is set and whenever <see cref="ApplyMask"/> is called (the trainer calls it after every optimizer step).</remarks>
public sealed class ZooModel : nn.Module<Tensor, Tensor>
{
    private ModelMask? mask;

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
            return;
        }
        var copy = newMask.Clone();
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
    }

    /// <summary>Zeroes the masked weights again (after an optimizer step, a weight load, …); does nothing without a mask.</summary>
    public void ApplyMask() => mask?.ApplyTo(this);

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
        }
        base.Dispose(disposing);
    }
}
