namespace Symmetry.Core.Models;

/// <summary>How a zoo model initialises the weights and biases of its Linear and Conv2d layers. BatchNorm layers always
/// start at weight 1, bias 0. Every draw comes from the generator given to <see cref="ModelZoo.Create"/>, layer by
/// layer in definition order (weight, then bias).</summary>
public enum InitScheme
{
    /// <summary>PyTorch's default for Linear and Conv2d: weight and bias U(−1/√fan_in, 1/√fan_in).</summary>
    PyTorchDefault,

    /// <summary>Keras-style He-uniform for weights and biases (LaPerm): weight U(−√(6/fan_in), √(6/fan_in))
    /// (<see cref="Symmetry.Torch.SeededInit.KaimingUniform"/>), bias U(−√(6/n), √(6/n)) with n its length
    /// (<see cref="Symmetry.Torch.SeededInit.HeUniformBias"/>).</summary>
    HeUniform,

    /// <summary>Kaiming normal (fan-in, ReLU gain): weight N(0, 2/fan_in); bias 0.</summary>
    KaimingNormal,

    /// <summary>Glorot / Xavier uniform (Keras' default): weight U(−√(6/(fan_in+fan_out)), +…); bias 0.</summary>
    GlorotUniform,

    /// <summary>Glorot / Xavier normal (Frankle &amp; Carbin's lottery-ticket conv nets): weight N(0, 2/(fan_in+fan_out)); bias 0.</summary>
    GlorotNormal,
}
