using Symmetry.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Training.Batched;

/// <summary>
/// K MLPs of one <see cref="MlpLayout"/> as stacked tensors: each weight (K, out, in), each bias (K, out), each mask
/// stacked the same way. A forward pass is one batched matmul per layer, so the K networks cost about
/// as many kernel launches as one (<c>bmm</c>, then the bias). Slice k of every tensor is network k's parameter; nothing mixes networks, so summing
/// the K mean losses gives each slice exactly its own network's gradient.
/// </summary>
public sealed class StackedMlp : IDisposable
{
    private readonly Parameter[] parameters;
    private readonly Tensor?[] masks;
    private readonly (int Weight, int? Bias)[] slots;

    /// <summary>Stacks copies of the models' parameters and masks on <paramref name="device"/> (the models keep theirs).</summary>
    /// <exception cref="ArgumentException">A model has another layout than the first, or none.</exception>
    public StackedMlp(IReadOnlyList<ZooModel> models, Device device)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("stacking needs at least one model", nameof(models));
        Layout = MlpLayout.Of(models[0], out var reason) ?? throw new ArgumentException($"model '{models[0].Name}' cannot be stacked: {reason}", nameof(models));
        foreach (var model in models)
            if (MlpLayout.Of(model, out _)?.Signature != Layout.Signature)
                throw new ArgumentException($"model '{model.Name}' does not have the layout {Layout.Signature} of the first model", nameof(models));
        Count = models.Count;
        Device = device;
        // Model parameter order, so that index i is the i-th parameter of every network's own optimizer.
        Names = models[0].named_parameters().Select(p => p.name).ToArray();
        var index = Names.Select((name, i) => (name, i)).ToDictionary(e => e.name, e => e.i, StringComparer.Ordinal);
        var known = Layout.Layers.SelectMany(l => l.BiasName is null ? [l.WeightName] : new[] { l.WeightName, l.BiasName }).ToHashSet();
        if (Names.FirstOrDefault(n => !known.Contains(n)) is { } stray)
            throw new ArgumentException($"parameter '{stray}' is not a weight or bias of the layout", nameof(models));
        slots = Layout.Layers.Select(l => (index[l.WeightName], l.BiasName is null ? (int?)null : index[l.BiasName])).ToArray();
        parameters = new Parameter[Names.Count];
        masks = new Tensor?[Names.Count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < Names.Count; i++)
        {
            var name = Names[i];
            var stacked = stack(models.Select(m => Parameter(m, name).detach().to(device)).ToArray());
            parameters[i] = new Parameter(stacked.contiguous(), requires_grad: true).DetachFromDisposeScope() as Parameter
                ?? throw new InvalidOperationException("a parameter stays a parameter");
            if (models.Any(m => m.Mask?.Contains(name) == true))
                masks[i] = stack(models.Select(m => m.Mask is { } mask && mask.TryGet(name, out var held)
                    ? held.to(ScalarType.Float32, device)
                    : ones_like(Parameter(m, name), device: device)).ToArray()).DetachFromDisposeScope();
        }
    }

    /// <summary>Networks stacked (K).</summary>
    public int Count { get; }

    /// <summary>The common layout.</summary>
    public MlpLayout Layout { get; }

    /// <summary>The device of the stacked tensors.</summary>
    public Device Device { get; }

    /// <summary>Parameter names in model order (the order of <see cref="Parameters"/>).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The stacked parameters (leading dimension K), in model parameter order; owned by this object.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>Per parameter (same order), the stacked 0/1 masks as float32, or null where no network masks it.</summary>
    public IReadOnlyList<Tensor?> Masks => masks;

    /// <summary>Logits (K, B, classes) for inputs (K, B, features) — each network its own batch — or (B, features) shared
    /// by all networks, which costs one plain matmul for the first layer instead of K gathered copies.</summary>
    public Tensor Forward(Tensor inputs)
    {
        var hidden = inputs;
        var shared = inputs.dim() == 2;
        foreach (var (layer, slot) in Layout.Layers.Zip(slots))
        {
            var weight = parameters[slot.Weight];
            var bias = slot.Bias is { } b ? parameters[b] : null;
            Tensor output;
            if (shared)
            {
                // (B, in)·(in, K·out) viewed as (K, B, out): every network reads the same inputs.
                output = hidden.mm(weight.reshape(Count * layer.Out, layer.In).t()).view(-1, Count, layer.Out).transpose(0, 1);
                if (bias is not null) output = output + bias.unsqueeze(1);
                shared = false;
            }
            else
            {
                // bias.unsqueeze(1).baddbmm(hidden, weightᵀ) failed here with a shape error from libtorch's expand
                // (TorchSharp 0.107.0; the cause was not pinned down), so the bias is added after bmm.
                output = hidden.bmm(weight.transpose(1, 2));
                if (bias is not null) output = output + bias.unsqueeze(1);
            }
            hidden = layer.Relu ? nn.functional.relu(output) : output;
        }
        return hidden;
    }

    /// <summary>Zeroes the gradients of masked weights (after backward, before the optimizer step).</summary>
    public void MaskGradients()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Length; i++)
            if (masks[i] is { } mask && parameters[i].grad is { } grad) grad.mul_(mask);
    }

    /// <summary>Zeroes the masked weights (after the optimizer step).</summary>
    public void ApplyMasks()
    {
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Length; i++)
            if (masks[i] is { } mask) parameters[i].mul_(mask);
    }

    /// <summary>Per network, the squared gradient norm Σ‖∂L_k/∂θ_k‖² over all parameters (float32, shape K), summed
    /// parameter by parameter in model order as the sequential trainer does; null before any backward pass.</summary>
    public Tensor? SquaredGradientNorms()
    {
        Tensor? sum = null;
        foreach (var p in parameters)
        {
            if (p.grad is not { } grad) continue;
            var square = grad.square().flatten(1).sum(1);
            sum = sum is null ? square : sum + square;
        }
        return sum;
    }

    /// <summary>Drops the gradients (PyTorch's set_to_none).</summary>
    public void ClearGradients()
    {
        foreach (var p in parameters) p.grad = null;
    }

    /// <summary>Copies network k's slices into <paramref name="models"/>[k] (same order as stacked).</summary>
    public void CopyTo(IReadOnlyList<ZooModel> models)
    {
        if (models.Count != Count) throw new ArgumentException($"{models.Count} models for {Count} stacked networks", nameof(models));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Length; i++)
        {
            var host = parameters[i].detach();
            for (var k = 0; k < Count; k++)
            {
                var target = Parameter(models[k], Names[i]);
                target.copy_(host[k]);
            }
        }
    }

    private static Parameter Parameter(ZooModel model, string name) =>
        model.named_parameters().First(p => p.name == name).parameter;

    /// <summary>Frees the stacked parameters and masks.</summary>
    public void Dispose()
    {
        foreach (var p in parameters) p?.Dispose();
        foreach (var m in masks) m?.Dispose();
    }
}
