namespace Symmetry.Core.Pruning;

/// <summary>How a pruning round turns fraction × remaining into a count.</summary>
public enum Rounding
{
    /// <summary>⌊p·n⌋ (the deconstructing-LT layer-wise rule, Python's <c>int</c>).</summary>
    Floor,
    /// <summary>⌈p·n⌉ (open_lth's global rule).</summary>
    Ceiling,
    /// <summary>Nearest, halves away from zero.</summary>
    Nearest,
}
