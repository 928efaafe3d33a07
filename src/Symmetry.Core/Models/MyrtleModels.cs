namespace Symmetry.Core.Models;

/// <summary>
/// The Myrtle CNNs. <c>myrtle-cnn</c> is the model of the stitching paper's code (Godfrey et al. 2022, pnnl/modelsym
/// <c>mCNN</c>, after D. Page's "basic net" from myrtle.ai's "How to train your ResNet"): its layer numbering is the
/// original <c>nn.Sequential</c>'s, so the ReLU outputs cut by ALGORITHMS §3 ("ReLU layers 3/6/10/14", i.e. the
/// first 3, 6, 10 and 14 modules) are <c>layers.2</c>, <c>layers.5</c>, <c>layers.9</c> and <c>layers.13</c>.
/// <c>myrtle-shankar</c> is the Myrtle family of Shankar et al. 2020 (neural-tangents' <c>MyrtleNetwork</c>).
/// </summary>
internal static class MyrtleModels
{
    public static IEnumerable<ModelDefinition> Definitions()
    {
        yield return ModelDefinition.Of<MyrtleConfig>("myrtle-cnn",
            "Myrtle CNN of the stitching paper (pnnl/modelsym mCNN): Conv c → (BatchNorm2d) → ReLU; Conv 2c → (BN) → ReLU → max-pool 2; " +
            "Conv 4c → (BN) → ReLU → max-pool 2; Conv 8c → (BN) → ReLU → max-pool 2; global max-pool (max-pool 4 on 32×32); flatten; " +
            "Linear(classes). Convs are 3×3 'same', without bias when BatchNorm is on. Width c default 64; BatchNorm on. " +
            "With BatchNorm the ReLUs are layers.2, .5, .9, .13 (the original's cut points 3/6/10/14).",
            ["Width", "BatchNorm"], InitScheme.PyTorchDefault, MyrtleCnn);
        yield return ModelDefinition.Of<MyrtleConfig>("myrtle-shankar",
            "Myrtle family of Shankar et al. 2020 (neural-tangents MyrtleNetwork): with (a, b, c) = (2, 1, 1), (2, 2, 2), (3, 3, 3) " +
            "for Depth 5, 7, 10: a × [Conv w 3×3 'same' → (BatchNorm2d) → ReLU], average-pool 2, b × [...], average-pool 2, " +
            "c × [...], global average pool (the original's three 2×2 average pools on 32×32), flatten, Linear(classes). " +
            "Depth counts the convs plus the linear layer. Depth default 5; Width w default 128; BatchNorm off.",
            ["Width", "Depth", "BatchNorm"], InitScheme.PyTorchDefault, MyrtleShankar);
    }

    private static void MyrtleCnn(LayerStack s, MyrtleConfig c)
    {
        var width = c.Width ?? 64;
        var batchNorm = c.BatchNorm ?? true;
        for (var i = 0; i < 4; i++)
        {
            s.SameConv(width << i, 3, bias: !batchNorm);
            if (batchNorm) s.BatchNorm();
            s.Relu();
            if (i > 0) s.MaxPool(2);
        }
        s.GlobalMaxPool();
        s.Flatten();
        s.Linear(c.Classes);
    }

    private static void MyrtleShankar(LayerStack s, MyrtleConfig c)
    {
        int[] repeats = (c.Depth ?? 5) switch
        {
            5 => [2, 1, 1],
            7 => [2, 2, 2],
            10 => [3, 3, 3],
            _ => [3, 3, 3],
        };
        var width = c.Width ?? 128;
        var batchNorm = c.BatchNorm ?? false;
        for (var stage = 0; stage < 3; stage++)
        {
            for (var i = 0; i < repeats[stage]; i++)
            {
                s.SameConv(width, 3);
                if (batchNorm) s.BatchNorm();
                s.Relu();
            }
            if (stage < 2) s.AvgPool(2);
        }
        s.GlobalAvgPool();
        s.Flatten();
        s.Linear(c.Classes);
    }
}
