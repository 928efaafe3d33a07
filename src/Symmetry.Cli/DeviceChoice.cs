using System.Globalization;
using TorchSharp;

namespace Symmetry.Cli;

/// <summary>Reads <c>--device</c>: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>, checked against what TorchSharp can use
/// here, so that a run that cannot start fails before anything is written.</summary>
internal static class DeviceChoice
{
    internal static torch.Device Parse(string text)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        if (trimmed == "cpu") return torch.CPU;
        int index;
        if (trimmed == "cuda") index = 0;
        else if (!(trimmed.StartsWith("cuda:", StringComparison.Ordinal)
                   && int.TryParse(trimmed.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out index)))
            throw new ArgumentException($"unknown device '{text}': expected cpu, cuda or cuda:N");
        if (!torch.cuda.is_available())
            throw new ArgumentException($"--device {text}: CUDA is not available here (no GPU visible, or TorchSharp's CPU-only libtorch is installed: a GPU needs TorchSharp's CUDA package for this platform); use --device cpu");
        var count = torch.cuda.device_count();
        if (index >= count)
            throw new ArgumentException($"--device {text}: there {(count == 1 ? "is 1 CUDA device" : $"are {count} CUDA devices")} (cuda:0{(count > 1 ? $"..cuda:{count - 1}" : "")})");
        return torch.device(DeviceType.CUDA, index);
    }
}
