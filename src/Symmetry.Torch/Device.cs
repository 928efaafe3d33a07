using Symmetry.Torch.Native;

namespace Symmetry.Torch;

/// <summary>Kinds of device a tensor can live on. Values are the shim's device codes.</summary>
public enum DeviceType
{
    /// <summary>Host memory.</summary>
    Cpu = 0,
    /// <summary>An NVIDIA GPU (needs a CUDA build of libtorch).</summary>
    Cuda = 1,
}

/// <summary>A device: <c>cpu</c> or <c>cuda:N</c>.</summary>
/// <param name="Type">CPU or CUDA.</param>
/// <param name="Index">The GPU index; 0 for the CPU.</param>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The host CPU.</summary>
    public static Device Cpu => new(DeviceType.Cpu);

    /// <summary>GPU number <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>Number of CUDA devices libtorch can use (0 with a CPU-only libtorch).</summary>
    public static int CudaCount
    {
        get
        {
            Check.Status(NativeMethods.symm_cuda_device_count(out var count), "cuda_device_count");
            return count;
        }
    }

    /// <summary>True when at least one CUDA device is usable.</summary>
    public static bool CudaAvailable => CudaCount > 0;

    /// <summary>The best device available: <c>cuda:0</c> when there is one, else the CPU.</summary>
    public static Device Default => CudaAvailable ? Cuda() : Cpu;

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Device Parse(string text)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        if (trimmed == "cpu") return Cpu;
        if (trimmed == "cuda") return Cuda();
        if (trimmed.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(trimmed[5..], out var index) && index >= 0)
            return Cuda(index);
        throw new ArgumentException($"unknown device '{text}': expected cpu, cuda or cuda:N", nameof(text));
    }

    /// <summary>PyTorch-style name: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
