using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Core.Models;

/// <summary>y = post(body(x) + shortcut(x)), the residual block pattern; the shortcut defaults to the identity and
/// post to ReLU. Children are named <c>body</c> and <c>shortcut</c> (when not the identity).</summary>
public sealed class Residual : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the block; it owns <paramref name="body"/> and <paramref name="shortcut"/> from now on.</summary>
    /// <param name="body">The residual branch.</param>
    /// <param name="shortcut">The skip branch; null for the identity.</param>
    /// <param name="reluAfter">Apply ReLU to the sum.</param>
    public Residual(nn.Module<Tensor, Tensor> body, nn.Module<Tensor, Tensor>? shortcut = null, bool reluAfter = true)
        : base(nameof(Residual))
    {
        ArgumentNullException.ThrowIfNull(body);
        Body = body;
        register_module("body", body);
        if (shortcut is not null)
        {
            Shortcut = shortcut;
            register_module("shortcut", shortcut);
        }
        ReluAfter = reluAfter;
    }

    /// <summary>The residual branch (child <c>body</c>).</summary>
    public nn.Module<Tensor, Tensor> Body { get; }

    /// <summary>The skip branch (child <c>shortcut</c>), or null for the identity.</summary>
    public nn.Module<Tensor, Tensor>? Shortcut { get; }

    /// <summary>Whether ReLU is applied to the sum.</summary>
    public bool ReluAfter { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var sum = Body.call(input) + (Shortcut is null ? input : Shortcut.call(input));
        return (ReluAfter ? sum.relu() : sum).MoveToOuterDisposeScope();
    }
}
