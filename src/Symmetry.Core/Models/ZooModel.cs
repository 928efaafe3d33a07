using Symmetry.Torch;
using Symmetry.Torch.NN;

namespace Symmetry.Core.Models;

/// <summary>
/// A model built by <see cref="ModelZoo.Create"/>: one child <c>layers</c>, a <see cref="Sequential"/> whose entries are
/// numbered in forward order, so parameter names read <c>layers.0.weight</c>, <c>layers.1.running_mean</c>, … in
/// PyTorch order (blocks nest further, e.g. <c>layers.3.0.conv1.weight</c> for a ResNet stage). Inputs are
/// (N, C, H, W) with (C, H, W) = <see cref="InputShape"/>; the output is (N, classes) logits.
/// </summary>
public sealed class ZooModel : Module
{
    internal ZooModel(string name, ModelConfig config, InitScheme initScheme, Sequential layers)
    {
        Name = name;
        Config = config;
        InitScheme = initScheme;
        Layers = RegisterModule("layers", layers);
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

    /// <summary>Logits (N, classes) for a batch (N, C, H, W).</summary>
    /// <exception cref="ArgumentException">The input is not (N, C, H, W) with this model's (C, H, W).</exception>
    public override Tensor Forward(Tensor input)
    {
        var shape = input.Shape;
        var expected = InputShape;
        if (shape.Length != 4 || shape[1] != expected[0] || shape[2] != expected[1] || shape[3] != expected[2])
            throw new ArgumentException(
                $"model '{Name}' takes inputs (N, {expected[0]}, {expected[1]}, {expected[2]}), got [{string.Join(", ", shape)}]", nameof(input));
        return Layers.Forward(input);
    }

    /// <summary>The model's name and config.</summary>
    public override string ToString() => $"{Name} ({Config}, init {InitScheme}, {ParameterCount()} parameters)";
}
