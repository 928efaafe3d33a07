using System.Globalization;
using Symmetry.Core.Experiments.WeightSymmetry;

namespace Symmetry.Cli;

/// <summary>Prints the sweep table: mask type × sparsity → mean test accuracy and permutation_log10.</summary>
internal static class ResultsTable
{
    internal static void Print(IReadOnlyList<SweepCell> cells)
    {
        var sparsities = cells.Select(c => c.Sparsity).Distinct().OrderBy(s => s).ToList();
        var types = cells.Select(c => c.MaskType).Distinct().ToList();
        var width = Math.Max(28, types.Max(t => t.Length) + 2);
        Console.WriteLine();
        Console.WriteLine("mean best test accuracy / mean permutation_log10 (propagated mask), over seeds");
        Console.WriteLine("mask type".PadRight(width) + string.Concat(sparsities.Select(s => string.Create(CultureInfo.InvariantCulture, $"s={s:0.###}").PadLeft(18))));
        foreach (var type in types)
        {
            var line = type.PadRight(width);
            foreach (var sparsity in sparsities)
            {
                var cell = cells.FirstOrDefault(c => c.MaskType == type && c.Sparsity == sparsity);
                line += (cell is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{cell.MeanTestAccuracy:0.0000} / {cell.MeanPermutationLog10,6:0.0}")).PadLeft(18);
            }
            Console.WriteLine(line);
        }
        Console.WriteLine();
    }
}
