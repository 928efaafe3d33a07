using System.Globalization;

namespace Symmetry.Core.Pruning;

/// <summary>One entry of a pruning schedule: after <paramref name="Epoch"/> epochs (0 = before training), prune by
/// magnitude until every prunable layer has <paramref name="Sparsity"/> zeros.</summary>
/// <param name="Epoch">Epochs completed when the pruning happens.</param>
/// <param name="Sparsity">Target fraction of zeros per layer.</param>
public sealed record PruneStep(int Epoch, double Sparsity)
{
    /// <summary>Reads a schedule written as <c>epoch:sparsity</c> pairs, e.g. <c>0:0.5,2:0.8</c>.</summary>
    /// <exception cref="ArgumentException">A pair that is not an integer epoch and a number.</exception>
    public static IReadOnlyList<PruneStep> ParseSchedule(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
        {
            var pieces = part.Split(':');
            return pieces.Length == 2 && int.TryParse(pieces[0], CultureInfo.InvariantCulture, out var epoch)
                && double.TryParse(pieces[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var sparsity)
                ? new PruneStep(epoch, sparsity)
                : throw new ArgumentException($"cannot read pruning schedule '{text}': use epoch:sparsity pairs such as 0:0.5,2:0.8");
        }).ToList();
}
