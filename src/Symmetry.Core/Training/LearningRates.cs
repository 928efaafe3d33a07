using TorchSharp;

namespace Symmetry.Core.Training;

/// <summary>The learning rate of a TorchSharp optimizer as one number: the rate of its first parameter group, set on
/// every group. (The old binding's optimizers had a single <c>LearningRate</c>; this library builds one group.)</summary>
public static class LearningRates
{
    /// <summary>The learning rate of <paramref name="optimizer"/>'s first parameter group.</summary>
    /// <exception cref="ArgumentException">The optimizer has no parameter group.</exception>
    public static double Get(torch.optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        foreach (var group in optimizer.ParamGroups) return group.LearningRate;
        throw new ArgumentException("the optimizer has no parameter group", nameof(optimizer));
    }

    /// <summary>Sets every parameter group's learning rate to <paramref name="learningRate"/>.</summary>
    public static void Set(torch.optim.Optimizer optimizer, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
    }
}
