namespace Symmetry.Torch.NN;

/// <summary>
/// A trainable tensor owned by a module (never by a scope), optionally carrying a 0/1 mask. With a mask, the
/// forward pass uses value·mask and optimizers re-apply the mask after every step, so pruned entries stay exactly
/// zero whatever the optimizer's momentum or weight decay.
/// </summary>
public sealed class Parameter : IDisposable
{
    /// <summary>Wraps a copy of <paramref name="initial"/> (cut from the autograd graph and from any scope).</summary>
    public Parameter(Tensor initial, bool requiresGrad = true)
    {
        Value = initial.Detach().DetachFromScope();
        Value.RequiresGrad = requiresGrad;
    }

    /// <summary>The current values (a leaf tensor; do not dispose it).</summary>
    public Tensor Value { get; private set; }

    /// <summary>The 0/1 mask, same shape and dtype as <see cref="Value"/>, or null when dense.</summary>
    public Tensor? Mask { get; private set; }

    /// <summary>The tensor the forward pass uses: value·mask when masked, else the value itself (do not dispose it).</summary>
    public Tensor Effective => Mask is null ? Value : Value * Mask;

    /// <summary>The accumulated gradient (new reference), or null.</summary>
    public Tensor? Grad => Value.Grad;

    /// <summary>Sets (or with null, removes) the mask and zeroes the masked entries at once.</summary>
    public void SetMask(Tensor? mask)
    {
        Mask?.Dispose();
        Mask = null;
        if (mask is null) return;
        var shape = Value.Shape;
        if (!mask.Shape.SequenceEqual(shape))
            throw new ArgumentException($"mask shape [{string.Join(", ", mask.Shape)}] does not match parameter shape [{string.Join(", ", shape)}]", nameof(mask));
        using var scope = Torch.NewScope();
        Mask = mask.Detach().To(Value.Device, Value.DType).DetachFromScope();
        ApplyMask();
    }

    /// <summary>Multiplies the value by the mask in place (no-op when dense).</summary>
    public void ApplyMask()
    {
        if (Mask is null) return;
        using var scope = Torch.NewScope();
        using var noGrad = Torch.NoGrad();
        Value.MulInPlace(Mask);
    }

    /// <summary>Overwrites the values with <paramref name="source"/> (shape must match), keeping the mask applied.</summary>
    public void Assign(Tensor source)
    {
        var shape = Value.Shape;
        if (!source.Shape.SequenceEqual(shape))
            throw new ArgumentException($"cannot assign shape [{string.Join(", ", source.Shape)}] to a parameter of shape [{string.Join(", ", shape)}]", nameof(source));
        using var scope = Torch.NewScope();
        using (Torch.NoGrad()) Value.CopyFrom(source);
        ApplyMask();
    }

    /// <summary>Moves or converts the parameter (and its mask); the gradient is dropped.</summary>
    public void To(Device device, DType dtype)
    {
        using var scope = Torch.NewScope();
        var requiresGrad = Value.RequiresGrad;
        var moved = Value.Detach().To(device, dtype).Clone().DetachFromScope();
        moved.RequiresGrad = requiresGrad;
        Value.Dispose();
        Value = moved;
        if (Mask is not null)
        {
            var mask = Mask.To(device, dtype).DetachFromScope();
            Mask.Dispose();
            Mask = mask;
        }
    }

    /// <summary>Frees the value and mask.</summary>
    public void Dispose()
    {
        Value.Dispose();
        Mask?.Dispose();
    }
}
