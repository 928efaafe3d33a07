namespace Symmetry.Core.Models;

/// <summary>Frankle &amp; Carbin's lottery-ticket conv nets <c>conv2</c>, <c>conv4</c>, <c>conv6</c> (VGG-like).</summary>
internal static class LotteryConvModels
{
    public static IEnumerable<ModelDefinition> Definitions()
    {
        foreach (var stages in new[] { 1, 2, 3 })
        {
            var channels = string.Join(", ", Enumerable.Range(0, stages).Select(i => $"{64 << i}, {64 << i}, P"));
            yield return ModelDefinition.Of<ConvNetConfig>($"conv{2 * stages}",
                $"Conv-{2 * stages} (Frankle & Carbin 2019): {channels} — Conv k×k 'same' → ReLU → (BatchNorm2d), P a 2×2 max-pool — then flatten, " +
                "2 × [Linear(dense) → ReLU → (BatchNorm1d) → Dropout], Linear(classes). Kernel default 3; DenseWidth 256; " +
                "BatchNorm off (on: after each ReLU, LaPerm's placement); Dropout 0 (the layers are kept).",
                ["Kernel", "DenseWidth", "Dropout", "BatchNorm"],
                InitScheme.PyTorchDefault, (s, c) => Build(s, c, stages));
        }
    }

    private static void Build(LayerStack s, ConvNetConfig c, int stages)
    {
        var kernel = c.Kernel ?? 3;
        var batchNorm = c.BatchNorm ?? false;
        var dropout = c.Dropout ?? 0;
        for (var stage = 0; stage < stages; stage++)
        {
            for (var i = 0; i < 2; i++)
            {
                s.SameConv(64 << stage, kernel);
                s.Relu();
                if (batchNorm) s.BatchNorm();
            }
            s.MaxPool(2);
        }
        s.Flatten();
        for (var i = 0; i < 2; i++)
        {
            s.Linear(c.DenseWidth ?? 256);
            s.Relu();
            if (batchNorm) s.BatchNorm();
            s.Dropout(dropout);
        }
        s.Linear(c.Classes);
    }
}
