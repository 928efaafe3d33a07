using TorchSharp;
using static TorchSharp.torch;

namespace Symmetry.Torch;

/// <summary>
/// Dropout that draws its keep-mask from its own generator (TorchSharp's dropout takes none): in training mode each
/// element is kept with probability 1 − p and scaled by 1/(1 − p); in eval mode, or when p = 0, the input passes through.
/// </summary>
public sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private readonly Generator? generator;

    /// <summary>Dropout with probability <paramref name="p"/>; without a generator it draws from the global one.</summary>
    public SeededDropout(double p = 0.5, Generator? generator = null) : base(nameof(SeededDropout))
    {
        if (p is < 0 or > 1 || double.IsNaN(p))
            throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        P = p;
        this.generator = generator;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (!training || P == 0) return input.alias();
        using var keep = empty_like(input).bernoulli_(1 - P, generator);
        using var kept = input * keep;
        return P == 1 ? kept.alias() : kept / (1 - P);
    }
}
