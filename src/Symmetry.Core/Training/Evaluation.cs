using Symmetry.Torch;
using Symmetry.Torch.NN;
using static Symmetry.Torch.Torch;

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
    public static LossAccuracy Evaluate(Module model, IEnumerable<Batch> batches, Device device)
    {
        var wasTraining = model.Training;
        model.Eval();
        try
        {
            double lossSum = 0;
            long correct = 0, count = 0;
            using var noGrad = NoGrad();
            foreach (var batch in batches)
            {
                using var scope = NewScope();
                var inputs = batch.Inputs.To(device);
                var labels = batch.Labels.To(device);
                var logits = model.Forward(inputs);
                lossSum += Functional.CrossEntropy(logits, labels, reduction: Reduction.Sum).ToDouble();
                correct += logits.ArgMax(1).Eq(labels).Sum().ToInt64();
                count += labels.Size(0);
            }
            return count == 0 ? new(double.NaN, double.NaN, 0) : new(lossSum / count, (double)correct / count, count);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
