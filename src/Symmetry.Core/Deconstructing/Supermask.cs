using Symmetry.Core.Masks;
using Symmetry.Core.Models;
using Symmetry.Core.Training;
using Symmetry.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Deconstructing;

/// <summary>
/// A trained supermask around any zoo model (deconstructing-LT masked_networks.py 170–239): the model's weights are
/// frozen; every Linear/Conv2d weight gets one logit per weight (its only parameters), and each forward pass uses
/// w ⊙ m with m = Bernoulli(σ(s)) + σ(s) − stopgrad(σ(s)) — a sampled 0/1 mask whose gradient is σ(s)'s
/// (straight-through) — optionally rescaled by size / Σm. Biases and BatchNorm parameters stay frozen too.
/// </summary>
/// <remarks>
/// TorchSharp's Linear and Conv2d read their weight parameter directly, so the masked weight is written into it for the
/// pass and the gradient it receives is carried back to the logits by a second backward (<see cref="PushGradients"/>,
/// called by the trainer through <see cref="GradientCallback"/>), after which the weights are restored to their frozen
/// values, bit for bit. The wrapped model is not owned (the caller disposes it) and is not a registered submodule, so
/// <c>parameters()</c> is the logits alone; the CPU is the only device.
/// </remarks>
public sealed class Supermask : nn.Module<Tensor, Tensor>
{
    private readonly ZooModel inner;
    private readonly List<(Parameter Weight, Parameter Logits, Tensor Frozen)> layers = new();
    private readonly Generator sampler;
    private readonly List<(Parameter Weight, Tensor Effective)> pending = new();
    private List<Tensor>? heldMasks;

    /// <summary>Wraps <paramref name="model"/>; mask draws come from <paramref name="seed"/>.</summary>
    public Supermask(ZooModel model, SupermaskSettings settings, ulong seed) : base(nameof(Supermask))
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        (inner, Settings) = (model, settings);
        sampler = Generators.ForPurpose(seed, "supermask");
        foreach (var p in model.parameters()) p.requires_grad = false;
        var index = 0;
        foreach (var layer in PrunableLayers.All(model))
        {
            var weight = layer.Weight;
            Tensor frozen;
            using (NewDisposeScope())
            {
                frozen = weight.detach().clone();
                if (settings.SignedConstant) frozen = frozen.std(unbiased: false) * frozen.sign();
                frozen.DetachFromDisposeScope();
            }
            // Outside any scope: a Parameter made inside one is disposed with it.
            var logits = new Parameter(full_like(weight, settings.InitialLogit), requires_grad: true);
            register_parameter($"logits_{index++}", logits);
            using (no_grad()) weight.copy_(frozen);
            weight.requires_grad = true;
            layers.Add((weight, logits, frozen));
        }
    }

    /// <summary>The settings.</summary>
    public SupermaskSettings Settings { get; }

    /// <summary>The wrapped model (its weights hold their frozen values outside a training step).</summary>
    public ZooModel Inner => inner;

    /// <summary>The callback that carries each step's weight gradients to the logits (before the optimizer step).</summary>
    public ITrainingCallback GradientCallback => new Gradients(this);

    /// <summary>Σσ(s) / size over every masked layer: the expected fraction of weights a sampled mask keeps.</summary>
    public double ExpectedKeptFraction()
    {
        using var scope = NewDisposeScope();
        double kept = 0, total = 0;
        foreach (var (_, logits, _) in layers)
        {
            kept += logits.detach().sigmoid().sum().item<float>();
            total += logits.numel();
        }
        return total == 0 ? 1 : kept / total;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        Restore();
        var track = training && is_grad_enabled();
        for (var i = 0; i < layers.Count; i++)
        {
            var (weight, logits, frozen) = layers[i];
            Tensor mask;
            if (heldMasks is not null) mask = heldMasks[i];
            else
            {
                var probability = logits.sigmoid();
                var sample = bernoulli(probability.detach(), generator: sampler);
                mask = track ? sample + probability - probability.detach() : sample;
            }
            var effective = frozen * mask;
            if (Settings.DynamicScaling) effective = effective * (mask.numel() / mask.sum().clamp_min(1));
            using (no_grad()) weight.copy_(effective);
            if (track) pending.Add((weight, effective));
        }
        var output = inner.call(input);
        if (!track) Restore();
        return output;
    }

    /// <summary>Carries the gradients the frozen weights received in the last backward pass to the logits (added to
    /// theirs), then restores the weights to their frozen values and drops their gradients.</summary>
    public void PushGradients()
    {
        var (effective, gradients) = (new List<Tensor>(), new List<Tensor>());
        foreach (var (weight, value) in pending)
            if (weight.grad is { } grad)
            {
                effective.Add(value);
                gradients.Add(grad);
            }
        if (effective.Count > 0) autograd.backward(effective, gradients);
        Restore();
    }

    /// <summary>Mean test loss and accuracy over <see cref="SupermaskSettings.EvaluationSamples"/> sampled masks, each
    /// held fixed for one whole pass over <paramref name="batches"/>; also each sample's accuracy.</summary>
    public (double Loss, double Accuracy, IReadOnlyList<double> Accuracies) EvaluateSampled(Func<IEnumerable<Batch>> batches, Device device)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var results = new List<LossAccuracy>();
        for (var s = 0; s < Settings.EvaluationSamples; s++)
        {
            using (no_grad())
                heldMasks = layers.Select(l => bernoulli(l.Logits.detach().sigmoid(), generator: sampler).DetachFromDisposeScope()).ToList();
            try
            {
                results.Add(Evaluation.Evaluate(this, batches(), device));
            }
            finally
            {
                foreach (var m in heldMasks) m.Dispose();
                heldMasks = null;
            }
        }
        return (results.Average(r => r.Loss), results.Average(r => r.Accuracy), results.Select(r => r.Accuracy).ToList());
    }

    /// <inheritdoc />
    public override void train(bool on = true)
    {
        base.train(on);
        inner.train(on);
    }

    /// <inheritdoc />
    public override void eval() => train(false);

    private void Restore()
    {
        pending.Clear();
        using var noGrad = no_grad();
        foreach (var (weight, _, frozen) in layers)
        {
            weight.copy_(frozen);
            weight.grad = null;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Restore();
            foreach (var (_, _, frozen) in layers) frozen.Dispose();
            // The wrapped model trains again as a plain model after this.
            foreach (var p in inner.parameters()) p.requires_grad = true;
            sampler.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class Gradients(Supermask owner) : ITrainingCallback
    {
        public void OnGradients(Trainer trainer) => owner.PushGradients();
    }
}
