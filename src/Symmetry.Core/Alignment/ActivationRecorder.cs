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
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var entries = model.Layers.children().ToList();
        var wanted = layers.Select(name => Index(name, entries.Count, model.Name)).ToList();
        if (wanted.Count == 0) throw new ArgumentException("name at least one layer, e.g. layers.2", nameof(layers));
        var last = wanted.Max();
        var parts = wanted.Select(_ => new List<Tensor>()).ToList();
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        using (Guards.Mode(model, training: false))
        using (Guards.GradMode(enabled: false))
        {
            for (long start = 0; start < inputs.shape[0]; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var x = inputs.narrow(0, start, Math.Min(batchSize, inputs.shape[0] - start)).to(device);
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
            foreach (var batch in batches) batch.Dispose();
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
