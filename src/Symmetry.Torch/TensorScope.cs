namespace Symmetry.Torch;

/// <summary>
/// Owns every tensor created on this thread while it is the innermost scope, and disposes them when it ends.
/// Keep a tensor past the scope with <see cref="Return(Tensor)"/> (hands it to the enclosing scope) or
/// <see cref="Tensor.DetachFromScope"/> (hands it to the caller). Scopes nest and must end in reverse order.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;

    private readonly TensorScope? outer;
    private readonly List<Tensor> owned = new();
    private int compactAt = 1024;
    private bool ended;

    internal TensorScope()
    {
        outer = current;
        current = this;
    }

    /// <summary>The innermost scope of this thread, if any.</summary>
    public static TensorScope? Current => current;

    /// <summary>Number of tensors this scope still owns.</summary>
    public int OwnedCount => owned.Count(t => t.Owner == this);

    internal static void Adopt(Tensor tensor)
    {
        var scope = current;
        if (scope is null) return;
        tensor.Owner = scope;
        scope.owned.Add(tensor);
        if (scope.owned.Count >= scope.compactAt) scope.Compact();
    }

    // A long-lived scope whose tensors are disposed early would otherwise keep growing: drop the entries it no
    // longer owns once the list doubles (amortised O(1) per tensor).
    private void Compact()
    {
        owned.RemoveAll(t => t.Owner != this);
        compactAt = Math.Max(1024, owned.Count * 2);
    }

    /// <summary>Hands <paramref name="tensor"/> to the enclosing scope (or to the caller at the outermost scope).</summary>
    public Tensor Return(Tensor tensor)
    {
        if (tensor.Owner == this)
        {
            tensor.Owner = outer;
            outer?.owned.Add(tensor);
        }
        return tensor;
    }

    /// <summary>Hands several tensors to the enclosing scope.</summary>
    public Tensor[] Return(params Tensor[] tensors)
    {
        foreach (var tensor in tensors) Return(tensor);
        return tensors;
    }

    /// <summary>Disposes every tensor the scope still owns.</summary>
    public void Dispose()
    {
        if (ended) return;
        if (current != this)
            throw new InvalidOperationException("tensor scopes must end in reverse order of creation (an inner scope is still open)");
        ended = true;
        current = outer;
        foreach (var tensor in owned)
            if (tensor.Owner == this) tensor.Dispose();
        owned.Clear();
    }
}
