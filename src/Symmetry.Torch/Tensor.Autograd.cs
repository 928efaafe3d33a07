using Symmetry.Torch.Native;

namespace Symmetry.Torch;

// Autograd.
public sealed partial class Tensor
{
    /// <summary>Whether operations on this tensor are recorded for differentiation.</summary>
    public bool RequiresGrad
    {
        get => Info().RequiresGrad;
        set => Check.Status(NativeMethods.symm_autograd_set_requires_grad(Handle, value ? 1 : 0), "requires_grad_");
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (for chaining).</summary>
    public Tensor WithRequiresGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>The accumulated gradient, or null before any backward pass. Each read returns a new reference.</summary>
    public Tensor? Grad
    {
        get
        {
            Check.Status(NativeMethods.symm_autograd_grad(Handle, out var r), "grad");
            return r == IntPtr.Zero ? null : new Tensor(r);
        }
        set => Check.Status(NativeMethods.symm_autograd_set_grad(Handle, value?.Handle ?? IntPtr.Zero), "set_grad");
    }

    /// <summary>True for tensors created by the user rather than by a recorded operation.</summary>
    public bool IsLeaf
    {
        get
        {
            Check.Status(NativeMethods.symm_autograd_is_leaf(Handle, out var leaf), "is_leaf");
            return leaf != 0;
        }
    }

    /// <summary>Back-propagates from this tensor, accumulating into the leaves' <see cref="Grad"/>.
    /// A non-scalar tensor needs <paramref name="gradient"/> (the vector in the vector-Jacobian product).</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Check.Status(NativeMethods.symm_autograd_backward(Handle, gradient?.Handle ?? IntPtr.Zero, retainGraph ? 1 : 0, createGraph ? 1 : 0), "backward");

    /// <summary>Sets the gradient to zero in place (keeps it allocated); does nothing when there is none.</summary>
    public void ZeroGrad()
    {
        using var grad = Grad;
        if (grad is null) return;
        using var zeroed = grad.ZeroInPlace();
    }

    /// <summary>Drops the gradient (as <c>grad = None</c>).</summary>
    public void ClearGrad() => Grad = null;

    /// <summary>The same data cut off from the autograd graph (not to be confused with <see cref="DetachFromScope"/>).</summary>
    public Tensor Detach() => Check.Result(NativeMethods.symm_autograd_detach(Handle, out var r), r, "detach");
}
