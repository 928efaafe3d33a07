using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training;

/// <summary>Mean loss and accuracy of a classifier over a set of batches.</summary>
/// <param name="Loss">Mean cross-entropy per example.</param>
/// <param name="Accuracy">Fraction of examples whose arg-max prediction equals the label.</param>
/// <param name="Examples">Examples seen.</param>
public readonly record struct LossAccuracy(double Loss, double Accuracy, long Examples);

/// <summary>Evaluation passes.</summary>
public static class Evaluation
{
    /// <summary>Evaluates <paramref name="model"/> in eval mode without gradients, then restores its previous mode.</summary>
    public static LossAccuracy Evaluate(nn.Module<Tensor, Tensor> model, IEnumerable<Batch> batches, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.Ensure();
        using var mode = Guards.Mode(model, training: false);
        double lossSum = 0;
        long correct = 0, count = 0;
        using var noGrad = no_grad();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            var inputs = batch.Inputs.to(device);
            var labels = batch.Labels.to(device);
            var logits = model.call(inputs);
            lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).ToDouble();
            correct += logits.argmax(1).eq(labels).sum().item<long>();
            count += labels.size(0);
        }
        return count == 0 ? new(double.NaN, double.NaN, 0) : new(lossSum / count, (double)correct / count, count);
    }
}
