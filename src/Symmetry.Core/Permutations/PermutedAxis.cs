namespace Symmetry.Core.Permutations;

/// <summary>
/// How one tensor axis is permuted: by permutation <see cref="Permutation"/> acting on consecutive blocks of
/// <see cref="BlockSize"/> entries. An axis of length n·b with block size b is read as n blocks of b entries, and the
/// permutation (of size n) moves whole blocks. Block size 1 is the ordinary case; a block size above 1 arises where a
/// Linear layer reads a flattened C×H×W activation: its input axis has C·H·W columns and the channel permutation
/// (size C) moves blocks of H·W columns.
/// </summary>
/// <param name="Permutation">The name of the permutation (a key of the permutation set).</param>
/// <param name="BlockSize">Entries per block, ≥ 1.</param>
public readonly record struct PermutedAxis(string Permutation, long BlockSize = 1)
{
    /// <summary>The permutation name, with the block size when it is not 1 (e.g. <c>P_layers.3×16</c>).</summary>
    public override string ToString() => BlockSize == 1 ? Permutation : $"{Permutation}×{BlockSize}";
}

/// <summary>One place where a permutation acts: axis <see cref="Axis"/> of tensor <see cref="Tensor"/>, on blocks of
/// <see cref="BlockSize"/> entries.</summary>
/// <param name="Tensor">Parameter or buffer name.</param>
/// <param name="Axis">Axis index (PyTorch axis order).</param>
/// <param name="BlockSize">Entries per block (see <see cref="PermutedAxis"/>).</param>
public readonly record struct PermutationUse(string Tensor, int Axis, long BlockSize);
