using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>
/// A CPU tensor's own memory as a span, for loops libtorch has no single op for: TorchSharp 0.107 offers only copies
/// (<c>data&lt;T&gt;().ToArray()</c>), so the data pointer comes from LibTorchSharp's <c>THSTensor_data</c>. A struct,
/// so that worker threads can carry it where a span cannot go. Valid while the tensor lives and keeps its storage;
/// writes go straight into the tensor, unseen by autograd.
/// </summary>
public readonly unsafe struct TensorView<T> where T : unmanaged
{
    private readonly IntPtr data;

    internal TensorView(IntPtr data, int length) => (this.data, Length) = (data, length);

    /// <summary>Elements.</summary>
    public int Length { get; }

    /// <summary>The elements, in memory order.</summary>
    public Span<T> Span => new((void*)data, Length);
}

/// <summary>Makes <see cref="TensorView{T}"/>s.</summary>
public static partial class TensorView
{
    /// <summary>A view of a contiguous float32 CPU tensor.</summary>
    /// <exception cref="ArgumentException">Another dtype or device, strided, or over 2³¹ − 1 elements.</exception>
    public static TensorView<float> Floats(Tensor tensor) => Of<float>(tensor, ScalarType.Float32);

    /// <summary>A view of a contiguous int64 CPU tensor.</summary>
    /// <exception cref="ArgumentException">Another dtype or device, strided, or over 2³¹ − 1 elements.</exception>
    public static TensorView<long> Longs(Tensor tensor) => Of<long>(tensor, ScalarType.Int64);

    /// <summary>Whether <paramref name="tensor"/> can be viewed as <paramref name="type"/>.</summary>
    public static bool CanView(Tensor tensor, ScalarType type)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.dtype == type && tensor.device_type == DeviceType.CPU && tensor.is_contiguous() && tensor.numel() <= int.MaxValue;
    }

    private static TensorView<T> Of<T>(Tensor tensor, ScalarType type) where T : unmanaged
    {
        if (!CanView(tensor, type))
            throw new ArgumentException($"a {type} view needs a contiguous {type} CPU tensor of at most {int.MaxValue} elements, not {tensor.dtype} " +
                $"on {tensor.device} ({(tensor.is_contiguous() ? "contiguous" : "strided")}, {tensor.numel()} elements)", nameof(tensor));
        var count = (int)tensor.numel();
        if (count == 0) return default;
        TorchRuntime.Ensure();
        return new TensorView<T>(Data(tensor.Handle), count);
    }

    [LibraryImport("libLibTorchSharp.so", EntryPoint = "THSTensor_data")]
    private static partial IntPtr Data(IntPtr tensor);
}
