namespace Symmetry.Core.Experiments;

/// <summary>
/// How a settings property appears on the command line. Every public settable property of a settings record becomes
/// a flag named after it in kebab case (<c>WidthMultiplier</c> → <c>--width-multiplier</c>), with its XML summary as
/// help and the record's default as its default; this attribute says only what differs.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class FlagAttribute : Attribute
{
    /// <summary>The flag's name as the property's kebab-case name.</summary>
    public FlagAttribute()
    {
    }

    /// <summary>The flag's name, without the leading dashes, when the property's name would clash or mislead.</summary>
    public FlagAttribute(string name) => Name = name;

    /// <summary>The flag's name, or null for the property's kebab-case name.</summary>
    public string? Name { get; }

    /// <summary>The record's default is not a usable value: the flag must be given.</summary>
    public bool Required { get; set; }

    /// <summary>A switch that sets a setting which is on by default to false (e.g. <c>--no-propagate</c>).</summary>
    public bool Negated { get; set; }

    /// <summary>A value as it is written on the command line, for the help and the "needs" message.</summary>
    public string? Example { get; set; }

    /// <summary>Not a flag (set another way, e.g. from a list of seeds).</summary>
    public bool Skip { get; set; }
}
