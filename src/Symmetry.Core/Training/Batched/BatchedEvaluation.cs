using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training.Batched;

/// <summary>Evaluation of K stacked networks on shared batches: each network's mean loss and accuracy, as
/// <see cref="Evaluation.Evaluate"/> gives for one.</summary>
public static class BatchedEvaluation
{
    /// <summary>Per network, mean cross-entropy and accuracy over <paramref name="batches"/> (no gradients).</summary>
    public static LossAccuracy[] Evaluate(StackedMlp stack, IEnumerable<Batch> batches)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(batches);
        TorchRuntime.Ensure();
        var k = stack.Count;
        using var noGrad = no_grad();
        using var lossSums = zeros(k, ScalarType.Float64, stack.Device);
        using var correct = zeros(k, ScalarType.Int64, stack.Device);
        long count = 0;
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            var inputs = batch.Inputs.to(stack.Device).flatten(1);
            var labels = batch.Labels.to(stack.Device);
            var logits = stack.Forward(inputs);
            var size = labels.size(0);
            var losses = nn.functional.cross_entropy(logits.reshape(-1, logits.size(2)), labels.repeat(k), reduction: nn.Reduction.None).view(k, size);
            // Each network's batch sum in float32, then added in float64: the sequential evaluation's arithmetic.
            lossSums.add_(losses.sum([1]).to(ScalarType.Float64));
            correct.add_(logits.argmax(2).eq(labels.unsqueeze(0)).sum([1]));
            count += size;
        }
        var loss = lossSums.to(CPU).data<double>().ToArray();
        var right = correct.to(CPU).data<long>().ToArray();
        return Enumerable.Range(0, k)
            .Select(i => count == 0 ? new LossAccuracy(double.NaN, double.NaN, 0) : new LossAccuracy(loss[i] / count, (double)right[i] / count, count))
            .ToArray();
    }
}
