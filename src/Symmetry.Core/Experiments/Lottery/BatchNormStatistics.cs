using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Experiments.Lottery;

/// <summary>BatchNorm running statistics recomputed for the weights a network has now (interpolated networks' statistics
/// are not the interpolation of their ends').</summary>
public static class BatchNormStatistics
{
    /// <summary>Whether <paramref name="model"/> has a BatchNorm layer.</summary>
    public static bool Has(nn.Module model) => model.modules().Any(m => m is BatchNorm1d or BatchNorm2d);

    /// <summary>Resets every BatchNorm layer's running statistics and recomputes them as the cumulative average over
    /// <paramref name="batches"/> (one no-grad pass in train mode), then leaves the model in eval mode.</summary>
    public static void Recompute(nn.Module<Tensor, Tensor> model, IEnumerable<Batch> batches, Device device)
    {
        var norms = model.modules().OfType<NormBase>().ToList();
        var momenta = norms.Select(n => n.momentum).ToList();
        foreach (var norm in norms)
        {
            norm.reset_running_stats();
            norm.momentum = null;
        }
        try
        {
            using var mode = Guards.Mode(model, training: true);
            using var noGrad = no_grad();
            foreach (var batch in batches)
            {
                using var scope = NewDisposeScope();
                model.call(batch.Inputs.to(device));
            }
        }
        finally
        {
            for (var i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
        }
        model.eval();
    }
}
