namespace Symmetry.Core.Models;

/// <summary>The LaPerm paper's models (ALGORITHMS §2): <c>conv7</c>, <c>conv13</c>, <c>laperm-conv2</c>,
/// <c>laperm-conv4</c>. He-uniform init for weights and biases by default; BatchNorm goes after the ReLU.</summary>
internal static class LaPermModels
{
    public static IEnumerable<ModelDefinition> Definitions()
    {
        yield return ModelDefinition.Of<ConvNetConfig>("conv7",
            "LaPerm Conv7 for MNIST (ALGORITHMS §2): Conv 32 3×3 valid, Conv 32 3×3 valid, Conv 32 5×5 stride 2 padding 2, Dropout .4, " +
            "Conv 64 3×3, Conv 64 3×3, Conv 64 5×5 stride 2 padding 2, Dropout .4, Conv 128 4×4 valid, flatten, Dropout .4, Linear(classes); " +
            "every conv → ReLU → (BatchNorm2d). On 28×28 the activations are 26, 24, 12, 10, 8, 4, 1. BatchNorm default off; " +
            "Dropout replaces the three rates. Keras' 'same' for the stride-2 convs pads 1 before and 2 after; here padding is 2 on " +
            "both sides (same output size). He-uniform init.",
            ["Dropout", "BatchNorm"], InitScheme.HeUniform, Conv7);
        yield return ModelDefinition.Of<ConvNetConfig>("conv13",
            "LaPerm Conv13, VGG-16-like (ALGORITHMS §2): 64, 64, P, 128, 128, P, 256 ×3, P, 512 ×3, P, 512 ×3, P — Conv 3×3 'same' → ReLU → " +
            "(BatchNorm2d), P a 2×2 max-pool — flatten, Dropout, Linear(dense) → ReLU → (BatchNorm1d), Dropout, Linear(classes). " +
            "Needs inputs of at least 32×32. DenseWidth default 512; BatchNorm on; Dropout 0 (the layers are kept). He-uniform init.",
            ["DenseWidth", "Dropout", "BatchNorm"], InitScheme.HeUniform, Conv13);
        yield return ModelDefinition.Of<ConvNetConfig>("laperm-conv2",
            "LaPerm Conv2 (ALGORITHMS §2): C64-ReLU-BN-Dropout .3, C64-ReLU-BN, P, flatten, D256-ReLU-Dropout .5-BN, D256-ReLU-BN-Dropout .5, " +
            "Linear(classes); C a 3×3 'same' conv, P a 2×2 max-pool. DenseWidth default 256; BatchNorm on; Dropout replaces every rate. " +
            "He-uniform init.",
            ["DenseWidth", "Dropout", "BatchNorm"], InitScheme.HeUniform, (s, c) => LaPermConv(s, c, 1));
        yield return ModelDefinition.Of<ConvNetConfig>("laperm-conv4",
            "LaPerm Conv4 (ALGORITHMS §2): laperm-conv2's convolutions, then C128-ReLU-BN-Dropout .4, C128-ReLU-BN, P, then the same dense " +
            "head. DenseWidth default 256; BatchNorm on; Dropout replaces every rate. He-uniform init.",
            ["DenseWidth", "Dropout", "BatchNorm"], InitScheme.HeUniform, (s, c) => LaPermConv(s, c, 2));
    }

    private static void ReluBn(LayerStack s, bool batchNorm)
    {
        s.Relu();
        if (batchNorm) s.BatchNorm();
    }

    private static void Conv7(LayerStack s, ConvNetConfig c)
    {
        var batchNorm = c.BatchNorm ?? false;
        var dropout = c.Dropout ?? 0.4;
        foreach (var filters in new[] { 32, 64 })
        {
            s.Conv(filters, 3);
            ReluBn(s, batchNorm);
            s.Conv(filters, 3);
            ReluBn(s, batchNorm);
            s.Conv(filters, 5, stride: 2, padding: 2);
            ReluBn(s, batchNorm);
            s.Dropout(dropout);
        }
        s.Conv(128, 4);
        ReluBn(s, batchNorm);
        s.Flatten();
        s.Dropout(dropout);
        s.Linear(c.Classes);
    }

    private static void Conv13(LayerStack s, ConvNetConfig c)
    {
        var batchNorm = c.BatchNorm ?? true;
        var dropout = c.Dropout ?? 0;
        foreach (var (filters, repeat) in new[] { (64, 2), (128, 2), (256, 3), (512, 3), (512, 3) })
        {
            for (var i = 0; i < repeat; i++)
            {
                s.SameConv(filters, 3);
                ReluBn(s, batchNorm);
            }
            s.MaxPool(2);
        }
        s.Flatten();
        s.Dropout(dropout);
        s.Linear(c.DenseWidth ?? 512);
        ReluBn(s, batchNorm);
        s.Dropout(dropout);
        s.Linear(c.Classes);
    }

    private static void LaPermConv(LayerStack s, ConvNetConfig c, int stages)
    {
        var batchNorm = c.BatchNorm ?? true;
        double Rate(double original) => c.Dropout ?? original;
        for (var stage = 0; stage < stages; stage++)
        {
            s.SameConv(64 << stage, 3);
            ReluBn(s, batchNorm);
            s.Dropout(Rate(stage == 0 ? 0.3 : 0.4));
            s.SameConv(64 << stage, 3);
            ReluBn(s, batchNorm);
            s.MaxPool(2);
        }
        s.Flatten();
        var dense = c.DenseWidth ?? 256;
        s.Linear(dense);
        s.Relu();
        s.Dropout(Rate(0.5));
        if (batchNorm) s.BatchNorm();
        s.Linear(dense);
        ReluBn(s, batchNorm);
        s.Dropout(Rate(0.5));
        s.Linear(c.Classes);
    }
}
