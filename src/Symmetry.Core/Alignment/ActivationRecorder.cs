using System.Globalization;
using Symmetry.Core.Models;
using Symmetry.Torch;
using static TorchSharp.torch;

namespace Symmetry.Core.Alignment;

/// <summary>
/// A zoo model's activations at named layers (<c>layers.k</c>, the outputs of the k-th entry of its Sequential; e.g.
/// the Myrtle CNN's ReLUs <c>layers.2</c>, <c>layers.5</c>, <c>layers.9</c>, <c>layers.13</c>), over inputs taken in
/// batches, in eval mode without gradients, kept as float64 on the CPU for the statistics (ALGORITHMS §3).
/// </summary>
public static class ActivationRecorder
{
    /// <summary>Default batch size (a batch's activations are the only large temporaries).</summary>
    public const int DefaultBatchSize = 500;

    /// <summary>
    /// Runs <paramref name="inputs"/> (N, …) through <paramref name="model"/> and returns each named layer's outputs
    /// (N, …) in float64 on the CPU, in the order asked. The model's train/eval mode is restored afterwards. The caller
    /// owns the tensors (they join an open dispose scope).
    /// </summary>
    /// <exception cref="ArgumentException">A name that is not <c>layers.k</c> for an entry of the model, or no names.</exception>
    public static IReadOnlyList<Tensor> Record(ZooModel model, IReadOnlyList<string> layers, Tensor inputs, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Record(model, layers, (batch, n) => inputs.narrow(0, batch * (long)batchSize, Math.Min(batchSize, inputs.shape[0] - batch * (long)batchSize)),
            (inputs.shape[0] + batchSize - 1) / batchSize);
    }

    /// <summary>As <see cref="Record(ZooModel, IReadOnlyList{string}, Tensor, int)"/>, over batches a data pipeline
    /// makes (e.g. <c>LoaderData.TestBatches()</c>, normalised as in training); the batches stay the pipeline's.</summary>
    public static IReadOnlyList<Tensor> Record(ZooModel model, IReadOnlyList<string> layers, IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        using var enumerator = batches.GetEnumerator();
        return Record(model, layers, (_, _) => enumerator.MoveNext() ? enumerator.Current : null, long.MaxValue);
    }

    // Runs batch after batch (each made inside its own dispose scope) until `next` gives null or `count` batches ran.
    private static IReadOnlyList<Tensor> Record(ZooModel model, IReadOnlyList<string> layers, Func<long, long, Tensor?> next, long count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        var entries = model.Layers.children().ToList();
        var wanted = layers.Select(name => Index(name, entries.Count, model.Name)).ToList();
        if (wanted.Count == 0) throw new ArgumentException("name at least one layer, e.g. layers.2", nameof(layers));
        var last = wanted.Max();
        var parts = wanted.Select(_ => new List<Tensor>()).ToList();
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        using (Guards.Mode(model, training: false))
        using (Guards.GradMode(enabled: false))
        {
            for (long batch = 0; batch < count; batch++)
            {
                using var scope = NewDisposeScope();
                if (next(batch, count) is not { } inputs) break;
                var x = inputs.to(device);
                for (var k = 0; k <= last; k++)
                {
                    x = ((nn.Module<Tensor, Tensor>)entries[k]).call(x);
                    for (var i = 0; i < wanted.Count; i++)
                        if (wanted[i] == k) parts[i].Add(x.to(float64, copy: true).cpu().MoveToOuterDisposeScope());
                }
            }
        }
        return parts.Select(batches =>
        {
            var all = cat(batches, 0);
            foreach (var b in batches) b.Dispose();
            return all;
        }).ToList();
    }

    private static int Index(string name, int count, string model)
    {
        var parts = name.Split('.');
        return parts.Length == 2 && parts[0] == "layers" && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k < count
            ? k
            : throw new ArgumentException($"model '{model}' has no layer '{name}': name an entry of its Sequential, layers.0 … layers.{count - 1}", nameof(name));
    }
}
