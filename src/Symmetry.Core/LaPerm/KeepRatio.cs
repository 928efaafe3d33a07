namespace Symmetry.Core.LaPerm;

/// <summary>A fraction kept, as LaPerm's code writes it: <paramref name="Kept"/> of every <paramref name="Of"/>
/// weights (each weight kept with probability Kept/Of; (1, 4) keeps a quarter).</summary>
/// <param name="Kept">a, with 0 ≤ a ≤ b.</param>
/// <param name="Of">b ≥ 1.</param>
public sealed record KeepRatio(int Kept, int Of)
{
    /// <summary>Kept / Of.</summary>
    public double Fraction => (double)Kept / Of;

    /// <summary>Checks 0 ≤ Kept ≤ Of and Of ≥ 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Out of range; the message shows the ratio.</exception>
    public void Validate()
    {
        if (Of < 1 || Kept < 0 || Kept > Of)
            throw new ArgumentOutOfRangeException(nameof(Kept), $"a keep ratio a/b needs 0 ≤ a ≤ b and b ≥ 1, got {Kept}/{Of}");
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kept}/{Of}";
}
