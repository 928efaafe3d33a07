using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Symmetry.Core.Data;
using Symmetry.Torch;
using static TorchSharp.torch;

namespace Symmetry.Core.Training.Batched;

/// <summary>
/// A data set's images as bytes when every pixel is exactly <c>b / 255</c> for a byte <c>b</c> — raw images as the
/// IDX and CIFAR loaders make them (<c>to(float32).div_(255)</c>), not normalised ones — so that a gather moves a
/// quarter of the memory, and <see cref="Expand"/> gives back the very same floats. Checked bit for bit once per data
/// set (Fashion-MNIST's 47 M training pixels: 0.5–0.8 s the first time in a process, 0.03–0.05 s after) and kept while the data set lives.
/// </summary>
internal static class ByteImages
{
    private static readonly ConditionalWeakTable<TensorDataset, Holder> Cache = new();
    private static readonly Vector512<float> Scale = Vector512.Create(255f);
    private static readonly Vector512<float> Reciprocal = Vector512.Create(1f / 255f);

    /// <summary>Whether q = b·(1/255) corrected once by its FMA residual, q + (b − 255·q)·(1/255), equals the
    /// correctly rounded b / 255 for every byte b (checked here, once): two FMAs and a product in place of a division.</summary>
    private static readonly bool CorrectedProductIsExact = Enumerable.Range(0, 256).All(b =>
        BitConverter.SingleToInt32Bits(Corrected(Vector512.Create((float)b)).ToScalar()) == BitConverter.SingleToInt32Bits(b / 255f));

    private static Vector512<float> Corrected(Vector512<float> b)
    {
        var q = b * Reciprocal;
        return Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(-q, Scale, b), Reciprocal, q);
    }

    /// <summary>The images as bytes, or null when some pixel is not a byte / 255 (or the images are not float32 on the CPU).</summary>
    public static byte[]? Of(TensorDataset dataset) => Cache.GetValue(dataset, d => new Holder(Compact(d))).Bytes;

    /// <summary>Each byte b as the float b / 255, correctly rounded (the loaders' division).</summary>
    public static void Expand(ReadOnlySpan<byte> source, Span<float> target)
    {
        if (target.Length < source.Length) throw new ArgumentException("the target is shorter than the source", nameof(target));
        var i = 0;
        if (Avx512F.IsSupported)
        {
            ref var s = ref MemoryMarshal.GetReference(source);
            ref var t = ref MemoryMarshal.GetReference(target);
            for (; i + 16 <= source.Length; i += 16)
            {
                var value = Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref s, (nuint)i)));
                (CorrectedProductIsExact ? Corrected(value) : value / Scale).StoreUnsafe(ref t, (nuint)i);
            }
        }
        for (; i < source.Length; i++) target[i] = source[i] / 255f;
    }

    private static byte[]? Compact(TensorDataset dataset)
    {
        if (!TensorView.CanView(dataset.Images, ScalarType.Float32)) return null;
        var floats = TensorView.Floats(dataset.Images).Span;
        var bytes = new byte[floats.Length];
        var i = 0;
        if (Avx512F.IsSupported)
        {
            ref var f = ref MemoryMarshal.GetReference(floats);
            for (; i + 16 <= floats.Length; i += 16)
            {
                var x = Vector512.LoadUnsafe(ref f, (nuint)i);
                var rounded = Vector512.Round(x * Scale);
                if (!Vector512.GreaterThanOrEqualAll(rounded, Vector512<float>.Zero) || !Vector512.LessThanOrEqualAll(rounded, Scale)) return null;
                // Bitwise, from the integer the byte will hold, so that a −0 or a NaN never passes for a byte.
                var integers = Vector512.ConvertToInt32(rounded);
                if (!Vector512.EqualsAll((Vector512.ConvertToSingle(integers) / Scale).AsInt32(), x.AsInt32())) return null;
                Avx512F.ConvertToVector128Byte(integers).StoreUnsafe(ref bytes[i]);
            }
        }
        for (; i < floats.Length; i++)
        {
            var rounded = MathF.Round(floats[i] * 255f);
            if (!(rounded >= 0 && rounded <= 255)) return null;
            var value = (byte)rounded;
            if (BitConverter.SingleToInt32Bits(value / 255f) != BitConverter.SingleToInt32Bits(floats[i])) return null;
            bytes[i] = value;
        }
        return bytes;
    }

    private sealed class Holder(byte[]? bytes)
    {
        public byte[]? Bytes { get; } = bytes;
    }
}
