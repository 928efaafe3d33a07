using Symmetry.Torch.NN;

namespace Symmetry.Core.Pruning;

/// <summary>The weights pruning acts on: every Linear and Conv2d weight of a model, in definition order. Biases,
/// BatchNorm parameters and buffers are never pruned.</summary>
public static class PrunableWeights
{
    /// <summary>(name, parameter) of every Linear/Conv2d weight; the last one is the output layer.</summary>
    public static IReadOnlyList<(string Name, Parameter Weight)> Of(Module model) =>
        model.NamedModules()
            .SelectMany(m => m.Module switch
            {
                Linear linear => new[] { (Name: Join(m.Name, "weight"), Weight: linear.Weight) },
                Conv2d conv => new[] { (Name: Join(m.Name, "weight"), Weight: conv.Weight) },
                _ => Array.Empty<(string, Parameter)>(),
            })
            .ToList();

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";
}
