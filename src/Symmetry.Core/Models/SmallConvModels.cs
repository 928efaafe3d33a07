namespace Symmetry.Core.Models;

/// <summary>Small convolutional zoo models: <c>mnist-cnn</c>, <c>cifar10-cnn</c> (ALGORITHMS §1) and <c>lenet-5</c>
/// (ALGORITHMS §5).</summary>
internal static class SmallConvModels
{
    public static IEnumerable<ModelDefinition> Definitions()
    {
        yield return ModelDefinition.Of<ConvNetConfig>("mnist-cnn",
            "MNIST_CNN (ALGORITHMS §1): per filter count [Conv k×k 'same' → (BatchNorm2d) → ReLU], a 2×2 max-pool after every conv " +
            "but the last, global average pool, flatten, Linear(dense) → ReLU → Dropout → Linear(classes). " +
            "Filters default 16, 32; Kernel 5; DenseWidth 64; BatchNorm on; Dropout 0 (the layer is kept).",
            ["Filters", "Kernel", "DenseWidth", "Dropout", "BatchNorm"],
            InitScheme.PyTorchDefault, MnistCnn);
        yield return ModelDefinition.Of<ConvNetConfig>("cifar10-cnn",
            "CIFAR10_CNN (ALGORITHMS §1): per filter count [Conv k×k 'same' → (BatchNorm2d) → ReLU], after every second conv a 2×2 " +
            "max-pool and a Dropout, global average pool, flatten, Linear(classes). Filters default 32, 32, 64, 64, 128, 128; " +
            "Kernel 3; BatchNorm off; Dropout 0 (the layers are kept).",
            ["Filters", "Kernel", "Dropout", "BatchNorm"],
            InitScheme.PyTorchDefault, Cifar10Cnn);
        yield return ModelDefinition.Of<ModelConfig>("lenet-5",
            "LeNet-5 (ALGORITHMS §5): Conv 6 5×5 → ReLU → max-pool 2, Conv 16 5×5 → ReLU → max-pool 2, flatten, Linear 120 → ReLU → " +
            "Linear 84 → ReLU → Linear(classes). The first conv is padded by 2 when the input is smaller than 32×32 " +
            "(28×28 then gives the classic 16×5×5 features).",
            [], InitScheme.PyTorchDefault, Lenet5);
    }

    private static void MnistCnn(LayerStack s, ConvNetConfig c)
    {
        var filters = c.Filters ?? [16, 32];
        var kernel = c.Kernel ?? 5;
        var batchNorm = c.BatchNorm ?? true;
        for (var i = 0; i < filters.Count; i++)
        {
            s.SameConv(filters[i], kernel);
            if (batchNorm) s.BatchNorm();
            s.Relu();
            if (i < filters.Count - 1) s.MaxPool(2);
        }
        s.GlobalAvgPool();
        s.Flatten();
        s.Linear(c.DenseWidth ?? 64);
        s.Relu();
        s.Dropout(c.Dropout ?? 0);
        s.Linear(c.Classes);
    }

    private static void Cifar10Cnn(LayerStack s, ConvNetConfig c)
    {
        var filters = c.Filters ?? [32, 32, 64, 64, 128, 128];
        var kernel = c.Kernel ?? 3;
        var batchNorm = c.BatchNorm ?? false;
        var dropout = c.Dropout ?? 0;
        for (var i = 0; i < filters.Count; i++)
        {
            s.SameConv(filters[i], kernel);
            if (batchNorm) s.BatchNorm();
            s.Relu();
            if (i % 2 == 1)
            {
                s.MaxPool(2);
                s.Dropout(dropout);
            }
        }
        s.GlobalAvgPool();
        s.Flatten();
        s.Linear(c.Classes);
    }

    private static void Lenet5(LayerStack s, ModelConfig c)
    {
        s.Conv(6, 5, padding: c.ImageSize < 32 ? 2 : 0);
        s.Relu();
        s.MaxPool(2);
        s.Conv(16, 5);
        s.Relu();
        s.MaxPool(2);
        s.Flatten();
        s.Linear(120);
        s.Relu();
        s.Linear(84);
        s.Relu();
        s.Linear(c.Classes);
    }
}
