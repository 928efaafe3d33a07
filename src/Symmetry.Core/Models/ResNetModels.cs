namespace Symmetry.Core.Models;

/// <summary>CIFAR ResNet v1 (He et al. 2016, §4.2): <c>cifar-resnet</c> (depth 6n + 2) and <c>resnet-20</c>.</summary>
internal static class ResNetModels
{
    public static IEnumerable<ModelDefinition> Definitions()
    {
        const string layout =
            "Conv 16 3×3 (no bias) → BatchNorm2d → ReLU, three stages of n basic blocks with 16, 32, 64 filters (the first block of " +
            "stages 2 and 3 has stride 2 and a 1×1 conv + BatchNorm shortcut), global average pool, flatten, Linear(classes). " +
            "Layers: layers.0 conv, layers.1 bn, layers.2 relu, layers.3–5 the stages (layers.3.0.conv1.weight, …, " +
            "layers.4.0.shortcut.0.weight), layers.6 pool, layers.7 flatten, layers.8 linear.";
        yield return ModelDefinition.Of<ResNetConfig>("cifar-resnet",
            "CIFAR ResNet v1 of depth 6n + 2: " + layout + " BlocksPerStage default 8 (depth 50, LaPerm's \"ResNet-50\"); Depth may give 6n + 2 instead.",
            ["BlocksPerStage", "Depth"], InitScheme.PyTorchDefault, (s, c) => Build(s, c, BlocksPerStage(c)));
        yield return ModelDefinition.Of<ModelConfig>("resnet-20",
            "ResNet-20, the CIFAR ResNet v1 with n = 3: " + layout,
            [], InitScheme.PyTorchDefault, (s, c) => Build(s, c, 3));
    }

    // The range checks live in ResNetConfig; here the two ways of giving the depth only meet.
    private static int BlocksPerStage(ResNetConfig c) => c.BlocksPerStage ?? (c.Depth is { } depth ? (depth - 2) / 6 : 8);

    private static void Build(LayerStack s, ModelConfig c, int n)
    {
        s.Conv(16, 3, padding: 1, bias: false);
        s.BatchNorm();
        s.Relu();
        foreach (var (filters, stride) in new[] { (16, 1), (32, 2), (64, 2) })
            s.Group(() =>
            {
                for (var i = 0; i < n; i++) s.BasicBlock(filters, i == 0 ? stride : 1);
            });
        s.GlobalAvgPool();
        s.Flatten();
        s.Linear(c.Classes);
    }
}
