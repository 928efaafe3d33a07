using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>
/// Keeps float32 convolution input gradients right on CPUs where libtorch 2.10's oneDNN (v3.7.1) computes them wrong.
/// Measured on this project's AMD EPYC machines (AVX-512): the <c>jit:avx512_core</c> (and <c>jit:avx2</c>)
/// backward-data kernel returns wrong values, sometimes NaN, for many shapes whose channel counts are not multiples of
/// 16 (e.g. 3→4 channels, 3×3, padding 1: wrong on every call with one thread, on about half with two), while the
/// forward pass and the weight gradient are right. Training a narrow CNN then diverges or learns from garbage.
/// </summary>
/// <remarks>
/// <see cref="Protect"/> probes each distinct convolution of a model, as it is configured, on small random inputs:
/// the input gradient in float32 through libtorch's chosen kernel against the same gradient in float64 (which oneDNN
/// does not serve), at the current thread count and at one thread. If any probe disagrees, oneDNN is switched off for
/// the process (<see cref="Mkldnn.Enabled"/>) with one note on stderr: ATen's own kernels are right, and 4–7× slower
/// on a mnist-cnn or conv7 training step. The first convolution in module order is not probed: its input is the data,
/// which needs no gradient.
/// <c>DNNL_MAX_CPU_ISA=AVX</c> in the environment before the process starts also avoids the defect (about 2× slower
/// convolutions); set <c>SYMMETRY_CONV_GUARD=0</c> to skip the probes.
/// </remarks>
public static class ConvGradientGuard
{
    /// <summary>Environment variable that turns the probes off when set to <c>0</c>.</summary>
    public const string SwitchVariable = "SYMMETRY_CONV_GUARD";

    /// <summary>Largest relative error (to the float64 gradient's largest magnitude) a probe accepts.</summary>
    public const double Tolerance = 1e-4;

    private static readonly Lock gate = new();
    private static readonly Dictionary<ConvShape, bool> verdicts = new();

    /// <summary>
    /// Probes <paramref name="model"/>'s convolutions (all but the first in module order) and switches oneDNN off if
    /// one computes a wrong input gradient. Cheap (tiny tensors, each shape probed once per process) and idempotent;
    /// does nothing where the switch is not bound (<see cref="Mkldnn.Supported"/>) or oneDNN is already off.
    /// </summary>
    public static void Protect(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Environment.GetEnvironmentVariable(SwitchVariable) == "0" || !Mkldnn.Supported) return;
        var shapes = model.modules().OfType<Convolution>().Skip(1).Select(ConvShape.Of).Distinct().ToList();
        if (shapes.Count == 0) return;
        lock (gate)
        {
            if (!Mkldnn.Enabled) return;
            foreach (var shape in shapes)
            {
                if (!verdicts.TryGetValue(shape, out var right)) verdicts[shape] = right = Probe(shape);
                if (right) continue;
                Mkldnn.Enabled = false;
                Console.Error.WriteLine(
                    $"note: this CPU's oneDNN computes wrong float32 convolution input gradients ({shape}); oneDNN is off for this " +
                    $"process, convolutions use ATen's kernels (right, slower). See {nameof(ConvGradientGuard)} in src/Symmetry.Torch.");
                return;
            }
        }
    }

    /// <summary>Whether float32 input gradients of <paramref name="shape"/> agree with float64 ones, at the current
    /// thread count and at one thread, on two spatial sizes.</summary>
    public static bool Probe(ConvShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        TorchRuntime.Ensure();
        var threads = get_num_threads();
        try
        {
            foreach (var count in threads == 1 ? [1] : new[] { threads, 1 })
            {
                set_num_threads(count);
                foreach (var size in shape.ProbeSizes())
                    if (!Agrees(shape, size)) return false;
            }
            return true;
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static bool Agrees(ConvShape shape, long size)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(0x5eed);
        var x = randn([2, shape.InChannels, size, size], generator: generator).requires_grad_();
        var w = randn([shape.OutChannels, shape.InChannels / shape.Groups, shape.Kernel[0], shape.Kernel[1]], generator: generator);
        var y = shape.Apply(x, w);
        var upstream = randn(y.shape, generator: generator);
        y.mul(upstream).sum().backward();
        var x64 = x.detach().to(ScalarType.Float64).requires_grad_();
        shape.Apply(x64, w.to(ScalarType.Float64)).mul(upstream.to(ScalarType.Float64)).sum().backward();
        var reference = x64.grad!;
        var error = x.grad!.to(ScalarType.Float64).sub(reference).abs().max().item<double>();
        var scale = Math.Max(reference.abs().max().item<double>(), 1e-30);
        return error <= Tolerance * scale; // NaN fails too
    }
}
