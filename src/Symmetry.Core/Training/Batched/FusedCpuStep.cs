using System.Runtime.Intrinsics;
using Symmetry.Core.Data;
using Symmetry.Torch;
using Symmetry.Torch.Optimizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Training.Batched;

/// <summary>
/// A training step of K stacked MLPs on the CPU without autograd, one network at a time per worker thread: gather the
/// network's batch rows, forward (<see cref="SmallGemm"/>, bias, ReLU), mean cross-entropy, backward, mask the
/// gradients, then — for Adam and AdamW — update the network's slice of the parameters and of the optimizer's moments
/// right there (<see cref="AdamSlice"/>), or else write the gradients into the parameters' <c>grad</c> for the
/// optimizer's own step. Everything one network touches (its batch, weights, activations) stays in the core's cache,
/// where libtorch's batched path streams the whole stack through memory op by op.
/// </summary>
/// <remarks>The arithmetic is a sequential run's — the same float32 operations — summed in another order, so parameters
/// agree to rounding, not bit for bit (the batched equivalence property bounds it).</remarks>
internal sealed class FusedCpuStep : IDisposable
{
    private readonly StackedMlp stack;
    private readonly DenseLayer[] layers;
    private readonly (int Weight, int Bias)[] slots;
    private readonly Tensor[] gradients;
    private readonly TensorView<float>[] parameters;
    private readonly TensorView<float>[] gradientViews;
    private readonly TensorView<float>[] maskViews;
    private readonly TensorView<float>[] firstMoments;
    private readonly TensorView<float>[] secondMoments;
    private readonly IExternalAdaptiveMoments? adam;
    private readonly byte[]? bytes;
    private readonly TensorView<float> images;
    private readonly TensorView<long> labels;
    private readonly int features;
    private readonly int classes;
    private readonly Scratch[] scratch;

    /// <summary>Whether the fused step can train <paramref name="stack"/> on <paramref name="dataset"/>; if not,
    /// <paramref name="reason"/> says why.</summary>
    public static bool Supports(StackedMlp stack, TensorDataset dataset, out string reason)
    {
        reason = stack.Device.type != DeviceType.CPU ? $"the networks are on {stack.Device}, not the CPU"
            : !TensorView.CanView(dataset.Images, ScalarType.Float32) ? $"the images are {dataset.Images.dtype} on {dataset.Device}, not contiguous float32 on the CPU"
            : !TensorView.CanView(dataset.Labels, ScalarType.Int64) ? "the labels are not a contiguous int64 CPU tensor"
            : stack.Parameters.Any(p => !TensorView.CanView(p, ScalarType.Float32)) ? "a stacked parameter is not contiguous float32"
            : dataset.SampleShape.Aggregate(1L, (a, b) => a * b) != stack.Layout.Layers[0].In ? "the images' features do not match the first layer"
            : "";
        return reason.Length == 0;
    }

    /// <summary>Whether the vector units run <see cref="SmallGemm"/>'s 16-lane vectors natively (AVX-512); elsewhere
    /// they are emulated and libtorch's batched path is faster.</summary>
    public static bool Accelerated => Vector512.IsHardwareAccelerated;

    /// <summary>Prepares to step <paramref name="stack"/> with <paramref name="optimizer"/> (after any state restore:
    /// the moments are read in place) for <paramref name="workers"/> threads and batches of up to <paramref name="batchSize"/>.</summary>
    /// <exception cref="ArgumentException">The stack or data set is not supported (see <see cref="Supports"/>).</exception>
    public FusedCpuStep(StackedMlp stack, optim.Optimizer optimizer, TensorDataset dataset, int batchSize, int workers)
    {
        if (!Supports(stack, dataset, out var reason)) throw new ArgumentException($"the fused CPU step cannot train these networks: {reason}", nameof(stack));
        this.stack = stack;
        layers = [.. stack.Layout.Layers];
        var names = stack.Names.ToList();
        slots = layers.Select(l => (names.IndexOf(l.WeightName), l.BiasName is null ? -1 : names.IndexOf(l.BiasName))).ToArray();
        parameters = stack.Parameters.Select(p => TensorView.Floats(p)).ToArray();
        maskViews = stack.Masks.Select(m => m is null ? default : TensorView.Floats(m)).ToArray();
        adam = optimizer as IExternalAdaptiveMoments;
        if (adam is not null)
        {
            gradients = [];
            gradientViews = [];
            var moments = stack.Parameters.Select(adam.Moments).ToList();
            firstMoments = moments.Select(m => TensorView.Floats(m.ExpAvg)).ToArray();
            secondMoments = moments.Select(m => TensorView.Floats(m.ExpAvgSq)).ToArray();
        }
        else
        {
            using (no_grad())
                gradients = stack.Parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            for (var i = 0; i < gradients.Length; i++) stack.Parameters[i].grad = gradients[i];
            gradientViews = gradients.Select(TensorView.Floats).ToArray();
            (firstMoments, secondMoments) = ([], []);
        }
        bytes = ByteImages.Of(dataset);
        images = TensorView.Floats(dataset.Images);
        labels = TensorView.Longs(dataset.Labels);
        features = (int)layers[0].In;
        classes = (int)layers[^1].Out;
        scratch = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => new Scratch(layers, batchSize)).ToArray();
    }

    /// <summary>Whether <see cref="Step"/> updates the parameters itself (Adam, AdamW); otherwise it leaves gradients
    /// in their <c>grad</c> for the optimizer's <c>step()</c> and the masks to <see cref="StackedMlp.ApplyMasks"/>.</summary>
    public bool UpdatesParameters => adam is not null;

    /// <summary>One step of every network on the batch at <paramref name="start"/> (<paramref name="length"/> rows) of its
    /// order, <paramref name="orders"/>[k]; fills <paramref name="squaredNorms"/>[k] with Σ‖∂L_k/∂θ_k‖² after masking.</summary>
    public void Step(IReadOnlyList<long[]> orders, int start, int length, double[] squaredNorms)
    {
        var update = adam is null ? default : AdamScalars.Of(adam.CountStep());
        var count = stack.Count;
        var workers = Math.Min(scratch.Length, count);
        if (workers == 1)
        {
            for (var k = 0; k < count; k++) squaredNorms[k] = Network(k, orders[k].AsSpan(start, length), scratch[0], update);
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            for (var k = w; k < count; k += workers) squaredNorms[k] = Network(k, orders[k].AsSpan(start, length), scratch[w], update);
        });
    }

    private double Network(int k, ReadOnlySpan<long> rows, Scratch s, AdamScalars update)
    {
        var batch = rows.Length;
        var x = s.Input;
        var ldx = SmallGemm.Padded(features);
        for (var b = 0; b < batch; b++)
        {
            if (bytes is not null && b + Lookahead < batch) Prefetch(bytes, checked((int)rows[b + Lookahead] * features), features);
            var from = checked((int)rows[b] * features);
            if (bytes is not null) ByteImages.Expand(bytes.AsSpan(from, features), x.AsSpan(b * ldx, features));
            else images.Span.Slice(from, features).CopyTo(x.AsSpan(b * ldx, features));
        }

        // Forward: h_l = relu(h_{l−1}·W_lᵀ + b_l), the last without ReLU (the logits).
        ReadOnlySpan<float> input = x;
        var ldIn = ldx;
        for (var l = 0; l < layers.Length; l++)
        {
            var (inputs, outputs) = ((int)layers[l].In, (int)layers[l].Out);
            var ldOut = SmallGemm.Padded(outputs);
            SmallGemm.Transpose(Slice(parameters[slots[l].Weight], k, outputs * inputs), inputs, s.Transposed, ldOut, outputs, inputs);
            for (var i = 0; i < inputs; i++) s.Transposed.AsSpan(i * ldOut + outputs, ldOut - outputs).Clear();
            var h = s.Hidden[l];
            SmallGemm.Multiply(input, ldIn, s.Transposed, ldOut, h, ldOut, batch, ldOut, inputs);
            var bias = s.Bias.AsSpan(0, ldOut);
            bias.Clear();
            if (slots[l].Bias >= 0) Slice(parameters[slots[l].Bias], k, outputs).CopyTo(bias);
            for (var b = 0; b < batch; b++)
            {
                var row = h.AsSpan(b * ldOut, ldOut);
                for (var o = 0; o < ldOut; o += SmallGemm.Lanes)
                {
                    var sum = Vector512.Create(row[o..]) + Vector512.Create((ReadOnlySpan<float>)bias[o..]);
                    (layers[l].Relu ? Vector512.Max(sum, Vector512<float>.Zero) : sum).CopyTo(row[o..]);
                }
            }
            input = h;
            ldIn = ldOut;
        }

        // Mean cross-entropy as libtorch computes it: log-softmax ℓ = z − (max + log Σ exp(z − max)), the loss's
        // gradient g = −1/B at the label, then ∂L/∂z = g − exp(ℓ)·Σg.
        var ldC = SmallGemm.Padded(classes);
        var logits = s.Hidden[^1];
        var delta = s.Delta;
        var targets = labels.Span;
        var minusMean = -1f / batch;
        for (var b = 0; b < batch; b++)
        {
            var label = targets[(int)rows[b]];
            if (label < 0 || label >= classes) throw new ArgumentException($"label {label} of sample {rows[b]} is outside the {classes} classes");
            var z = logits.AsSpan(b * ldC, classes);
            var top = float.NegativeInfinity;
            foreach (var v in z) top = Math.Max(top, v);
            var sum = 0f;
            foreach (var v in z) sum += MathF.Exp(v - top);
            var logShift = top + MathF.Log(sum);
            var d = delta.AsSpan(b * ldC, ldC);
            for (var c = 0; c < classes; c++) d[c] = (c == label ? minusMean : 0f) - MathF.Exp(z[c] - logShift) * minusMean;
            d[classes..].Clear();
        }

        // Backward, last layer first: ∂W_l = δ_lᵀ·h_{l−1}, ∂b_l = Σ_b δ_l, δ_{l−1} = (δ_l·W_l) ⊙ [h_{l−1} > 0]; each
        // parameter masked, and updated as soon as its gradient is known (its forward use is over).
        var squared = 0.0;
        for (var l = layers.Length - 1; l >= 0; l--)
        {
            var (inputs, outputs) = ((int)layers[l].In, (int)layers[l].Out);
            var (ldIn2, ldOut) = (SmallGemm.Padded(inputs), SmallGemm.Padded(outputs));
            var previous = l == 0 ? x : s.Hidden[l - 1];
            SmallGemm.MultiplyTransposed(delta, ldOut, previous, ldIn2, s.Gradient, ldIn2, outputs, ldIn2, batch);
            if (slots[l].Bias >= 0)
            {
                var sums = s.Bias.AsSpan(0, ldOut);
                sums.Clear();
                for (var b = 0; b < batch; b++)
                    for (var o = 0; o < ldOut; o += SmallGemm.Lanes)
                        (Vector512.Create((ReadOnlySpan<float>)sums[o..]) + Vector512.Create((ReadOnlySpan<float>)delta.AsSpan(b * ldOut + o))).CopyTo(sums[o..]);
            }
            if (l > 0)
            {
                // δ_{l−1} needs W_l before its update.
                var weight = Slice(parameters[slots[l].Weight], k, outputs * inputs);
                for (var o = 0; o < outputs; o++)
                {
                    weight.Slice(o * inputs, inputs).CopyTo(s.Padded.AsSpan(o * ldIn2));
                    s.Padded.AsSpan(o * ldIn2 + inputs, ldIn2 - inputs).Clear();
                }
                var next = delta == s.Delta ? s.DeltaOther : s.Delta;
                SmallGemm.Multiply(delta, ldOut, s.Padded, ldIn2, next, ldIn2, batch, ldIn2, outputs);
                if (layers[l - 1].Relu)
                {
                    var h = s.Hidden[l - 1];
                    for (var i = 0; i < batch * ldIn2; i += SmallGemm.Lanes)
                    {
                        var active = Vector512.GreaterThan(Vector512.Create((ReadOnlySpan<float>)h.AsSpan(i)), Vector512<float>.Zero);
                        Vector512.ConditionalSelect(active, Vector512.Create((ReadOnlySpan<float>)next.AsSpan(i)), Vector512<float>.Zero).CopyTo(next.AsSpan(i));
                    }
                }
                delta = next;
            }
            squared += Apply(s.Gradient, ldIn2, slots[l].Weight, k, outputs, inputs, update);
            if (slots[l].Bias >= 0) squared += Apply(s.Bias, ldOut, slots[l].Bias, k, 1, outputs, update);
        }
        return squared;
    }

    /// <summary>Masks network k's rows × columns gradient (stride ld) of parameter <paramref name="slot"/>, then updates
    /// the parameter slice (Adam) or stores the gradient in its <c>grad</c>; returns the masked gradient's squared norm.</summary>
    private double Apply(float[] gradient, int ld, int slot, int k, int rows, int columns, AdamScalars update)
    {
        var size = rows * columns;
        var mask = maskViews[slot].Length == 0 ? [] : Slice(maskViews[slot], k, size);
        var squared = 0f;
        if (adam is not null)
        {
            var p = Slice(parameters[slot], k, size);
            var m = Slice(firstMoments[slot], k, size);
            var v = Slice(secondMoments[slot], k, size);
            for (var r = 0; r < rows; r++)
            {
                var at = r * columns;
                squared += AdamSlice.Update(p.Slice(at, columns), gradient.AsSpan(r * ld, columns), m.Slice(at, columns), v.Slice(at, columns),
                    mask.IsEmpty ? [] : mask.Slice(at, columns), update);
            }
            return squared;
        }
        var target = Slice(gradientViews[slot], k, size);
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
            {
                var g = gradient[r * ld + c];
                if (!mask.IsEmpty) g *= mask[r * columns + c];
                target[r * columns + c] = g;
                squared += g * g;
            }
        return squared;
    }

    /// <summary>Rows ahead whose bytes the gather asks the memory system for while it expands the current one.</summary>
    private const int Lookahead = 4;

    private static unsafe void Prefetch(byte[] data, int from, int length)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (byte* start = &data[from])
            for (var offset = 0; offset < length; offset += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch0(start + offset);
    }

    private static Span<float> Slice(TensorView<float> view, int k, int size) => view.Span.Slice(k * size, size);

    /// <summary>Drops the gradient buffers (the parameters' <c>grad</c> too).</summary>
    public void Dispose()
    {
        if (gradients.Length == 0) return;
        foreach (var p in stack.Parameters) p.grad = null;
        foreach (var g in gradients) g.Dispose();
    }

    /// <summary>One worker's buffers, rows padded to whole vectors (the padding stays zero).</summary>
    private sealed class Scratch
    {
        public Scratch(DenseLayer[] layers, int batch)
        {
            var widest = layers.Max(l => SmallGemm.Padded(Math.Max(l.In, l.Out)));
            Input = new float[batch * SmallGemm.Padded(layers[0].In)];
            Hidden = layers.Select(l => new float[batch * SmallGemm.Padded(l.Out)]).ToArray();
            Transposed = new float[layers.Max(l => (int)l.In * SmallGemm.Padded(l.Out))];
            Padded = new float[layers.Max(l => (int)l.Out * SmallGemm.Padded(l.In))];
            Gradient = new float[layers.Max(l => (int)l.Out * SmallGemm.Padded(l.In))];
            Bias = new float[widest];
            Delta = new float[batch * widest];
            DeltaOther = new float[batch * widest];
        }

        public float[] Input { get; }
        public float[][] Hidden { get; }
        public float[] Transposed { get; }
        public float[] Padded { get; }
        public float[] Gradient { get; }
        public float[] Bias { get; }
        public float[] Delta { get; }
        public float[] DeltaOther { get; }
    }
}
