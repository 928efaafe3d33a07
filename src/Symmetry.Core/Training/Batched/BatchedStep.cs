namespace Symmetry.Core.Training.Batched;

/// <summary>How <see cref="BatchedTrainer"/> computes the K networks' gradients.</summary>
public enum BatchedStep
{
    /// <summary><see cref="Fused"/> on a CPU with 16-lane vector units (AVX-512) when the networks and data allow it,
    /// else <see cref="Autograd"/>.</summary>
    Auto,

    /// <summary>Per network, in cache, without autograd (CPU, float32).</summary>
    Fused,

    /// <summary>libtorch's batched matmuls under autograd, all networks at once (any device).</summary>
    Autograd,
}
