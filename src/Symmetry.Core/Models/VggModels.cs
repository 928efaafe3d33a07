namespace Symmetry.Core.Models;

/// <summary>VGG-16 for CIFAR-sized inputs: <c>vgg-16</c>.</summary>
internal static class VggModels
{
    public static IEnumerable<ModelDefinition> Definitions()
    {
        yield return ModelDefinition.Of<VggConfig>("vgg-16",
            "VGG-16 (configuration D) for small images: 64, 64, M, 128, 128, M, 256 ×3, M, 512 ×3, M, 512 ×3, M — Conv 3×3 'same' → " +
            "(BatchNorm2d) → ReLU (torchvision's vgg16_bn order), M a 2×2 max-pool — then global average pool, flatten, " +
            "Linear(512 → classes). Needs inputs of at least 32×32. BatchNorm default on.",
            ["BatchNorm"], InitScheme.PyTorchDefault, Vgg16);
    }

    private static void Vgg16(LayerStack s, VggConfig c)
    {
        var batchNorm = c.BatchNorm ?? true;
        foreach (var (filters, repeat) in new[] { (64, 2), (128, 2), (256, 3), (512, 3), (512, 3) })
        {
            for (var i = 0; i < repeat; i++)
            {
                s.SameConv(filters, 3);
                if (batchNorm) s.BatchNorm();
                s.Relu();
            }
            s.MaxPool(2);
        }
        s.GlobalAvgPool();
        s.Flatten();
        s.Linear(c.Classes);
    }
}
