using System.Globalization;
using System.Runtime.InteropServices;
using Symmetry.Core.Models;

namespace Symmetry.Core.Experiments.WeightSymmetry;

/// <summary>Builds a run's model before anything is written and refuses one that cannot be trained in this machine's
/// memory, with a message naming the size and the way out instead of libtorch's allocation error or the kernel's
/// out-of-memory kill halfway through.</summary>
internal static class ModelMemory
{
    /// <summary>Copies of the parameters a run holds while training: the weights, their gradients, two optimizer
    /// moments (Adam/AdamW; SGD with momentum holds one) and θ₀.</summary>
    private const int TrainingCopies = 5;

    internal static ZooModel Build(string modelName, IReadOnlyList<int>? widths, Func<ZooModel> build)
    {
        var describe = widths is null ? modelName : $"{modelName} with widths [{string.Join(",", widths)}]";
        ZooModel model;
        try
        {
            model = build();
        }
        catch (ExternalException error) when (error.Message.Contains("allocate", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"cannot allocate {describe}: {FirstLine(error.Message)}; use smaller --widths");
        }
        var count = model.parameters().Sum(p => p.numel());
        var bytes = model.parameters().Sum(p => p.numel() * p.ElementSize);
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes * TrainingCopies > available)
        {
            model.Dispose();
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{describe} has {count:N0} parameters: training it needs about {bytes * TrainingCopies / (double)(1L << 30):0.0} GiB, more than the {available / (double)(1L << 30):0.0} GiB this machine has; use smaller --widths"));
        }
        return model;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
