namespace Symmetry.Core.Models;

/// <summary>Fully connected zoo models: <c>mnist-fc</c>, <c>lenet-300-100</c>, <c>f1</c>, <c>f2</c>.</summary>
internal static class MlpModels
{
    public static IEnumerable<ModelDefinition> Definitions()
    {
        yield return ModelDefinition.Of<MlpConfig>("mnist-fc",
            "MNIST_FC (ALGORITHMS §1): flatten → [Linear → (BatchNorm1d) → ReLU → Dropout] per hidden width → Linear(classes). " +
            "Widths default 6×16, Dropout 0 (the layer is kept), BatchNorm off.",
            ["Widths", "Dropout", "BatchNorm"], InitScheme.PyTorchDefault, MnistFc);
        yield return ModelDefinition.Of<MlpConfig>("lenet-300-100",
            "LeNet-300-100 (Frankle & Carbin): flatten → Linear 300 → ReLU → Linear 100 → ReLU → Linear(classes); Widths overrides 300, 100.",
            ["Widths"], InitScheme.PyTorchDefault, Lenet300100);
        yield return ModelDefinition.Of<ModelConfig>("f1",
            "LaPerm F1 (ALGORITHMS §2): flatten → Linear(classes), no bias. He-uniform init.",
            [], InitScheme.HeUniform, F1);
        yield return ModelDefinition.Of<ModelConfig>("f2",
            "LaPerm F2 (ALGORITHMS §2): flatten → Linear 128 → ReLU → Linear 64 → ReLU → Linear(classes), no biases. He-uniform init.",
            [], InitScheme.HeUniform, F2);
    }

    private static void MnistFc(LayerStack s, MlpConfig c)
    {
        var dropout = c.Dropout ?? 0;
        var batchNorm = c.BatchNorm ?? false;
        s.Flatten();
        foreach (var width in c.Widths ?? [16, 16, 16, 16, 16, 16])
        {
            s.Linear(width);
            if (batchNorm) s.BatchNorm();
            s.Relu();
            s.Dropout(dropout);
        }
        s.Linear(c.Classes);
    }

    private static void Lenet300100(LayerStack s, MlpConfig c)
    {
        s.Flatten();
        foreach (var width in c.Widths ?? [300, 100])
        {
            s.Linear(width);
            s.Relu();
        }
        s.Linear(c.Classes);
    }

    private static void F1(LayerStack s, ModelConfig c)
    {
        s.Flatten();
        s.Linear(c.Classes, bias: false);
    }

    private static void F2(LayerStack s, ModelConfig c)
    {
        s.Flatten();
        s.Linear(128, bias: false);
        s.Relu();
        s.Linear(64, bias: false);
        s.Relu();
        s.Linear(c.Classes, bias: false);
    }
}
