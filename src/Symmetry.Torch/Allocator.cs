using System.Runtime.InteropServices;

namespace Symmetry.Torch;

/// <summary>
/// glibc returns large freed blocks (activations, gradients) to the kernel and faults them in again on the next step;
/// keeping blocks up to 32 MiB in the heap and trimming only above 512 MiB free makes a conv step markedly faster
/// (measured in bench/README.md). Skipped when <c>SYMMETRY_DEFAULT_MALLOC=1</c> or the user tuned glibc already.
/// </summary>
internal static partial class Allocator
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD

    /// <summary>True when the setting was applied in this process.</summary>
    public static bool Tuned { get; private set; }

    public static void KeepLargeFreedBlocks()
    {
        if (!OperatingSystem.IsLinux() || Tuned) return;
        if (Environment.GetEnvironmentVariable("SYMMETRY_DEFAULT_MALLOC") == "1"
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null
            || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null)
            return;
        try
        {
            Tuned = mallopt(MmapThreshold, 32 << 20) == 1 && mallopt(TrimThreshold, 512 << 20) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl): nothing to tune.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}
