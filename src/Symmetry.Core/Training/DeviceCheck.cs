using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training;

/// <summary>Refuses a device this process cannot compute on, with a message that says why, before any work starts.</summary>
internal static class DeviceCheck
{
    /// <summary>Returns <paramref name="device"/> when usable.</summary>
    /// <exception cref="ArgumentException">A CUDA device on a machine (or TorchSharp build) without CUDA, or a CUDA index
    /// beyond the devices present.</exception>
    internal static Device Require(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        TorchRuntime.Ensure();
        if (device.type != DeviceType.CUDA) return device;
        if (!cuda.is_available())
            throw new ArgumentException(
                $"device '{device}' requested, but TorchSharp finds no CUDA device: this machine has no usable GPU, or the " +
                "CPU-only libtorch package is installed (a GPU user installs TorchSharp's CUDA package). Use --device cpu.", nameof(device));
        var count = cuda.device_count();
        if (device.index >= count)
            throw new ArgumentException($"device '{device}' requested, but only {count} CUDA device(s) are present", nameof(device));
        return device;
    }
}
