using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Symmetry.Core.Experiments;
using Symmetry.Core.Masks;
using Symmetry.Core.Pruning;

namespace Symmetry.Cli;

/// <summary>
/// Command-line flags derived from settings records: every public settable property is a flag named after it in
/// kebab case (or by its <see cref="FlagAttribute"/>), its help is the property's XML summary, its default the
/// record's. Several records may share a flag (the drivers' <c>--mask</c>); <see cref="Bind{T}"/> sets a record's
/// properties from the flags given and refuses a given flag the record does not take, naming the ones it does.
/// </summary>
internal sealed partial class SettingsFlags
{
    private sealed record Setting(PropertyInfo Property, FlagAttribute Flag, string Name);

    private readonly Dictionary<string, Option> options = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, List<Setting>> settings = [];

    /// <summary>The flags of <paramref name="records"/>, in declaration order; with <paramref name="recordName"/>, each
    /// flag's help ends with the names of the records that take it.</summary>
    public SettingsFlags(IEnumerable<Type> records, Func<Type, string>? recordName = null)
    {
        foreach (var record in records)
        {
            var list = new List<Setting>();
            foreach (var property in record.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var flag = property.GetCustomAttribute<FlagAttribute>() ?? new FlagAttribute();
                if (flag.Skip || property.SetMethod is not { IsPublic: true }) continue;
                var name = "--" + (flag.Name ?? Kebab(property.Name));
                list.Add(new Setting(property, flag, name));
                if (options.ContainsKey(name)) continue;
                options[name] = IsSwitch(property.PropertyType)
                    ? new Option<bool>(name) { Description = Help(property, flag, record) }
                    : new Option<string?>(name) { Description = Help(property, flag, record) };
            }
            settings[record] = list;
        }
        if (recordName is null) return;
        foreach (var (name, option) in options)
            option.Description += " [" + string.Join(", ", settings.Where(r => r.Value.Any(s => s.Name == name)).Select(r => recordName(r.Key))) + "]";
    }

    /// <summary>Every flag, once.</summary>
    public IEnumerable<Option> Options => options.Values;

    /// <summary>The flags <paramref name="record"/> takes.</summary>
    public IEnumerable<string> FlagsOf(Type record) => settings[record].Select(s => s.Name);

    /// <summary>
    /// <paramref name="record"/> with every flag it takes that was given on the command line; a required flag that is
    /// missing, or a given flag of another record in <paramref name="family"/> that this one does not take, is refused
    /// (<paramref name="what"/> names the record in the message).
    /// </summary>
    /// <exception cref="ArgumentException">A missing required flag, an inapplicable flag or an unreadable value.</exception>
    public T Bind<T>(ParseResult parse, T record, string what, IEnumerable<Type>? family = null) where T : notnull
    {
        var type = record.GetType();
        var own = settings[type];
        foreach (var other in (family ?? []).Where(t => t != type).SelectMany(t => settings[t]).Select(s => s.Name).Distinct())
            if (own.All(s => s.Name != other) && Given(parse, other))
                throw new ArgumentException($"{what} does not take {other}" + (own.Count == 0 ? "" : $" (it takes: {string.Join(", ", own.Select(s => s.Name))})"));
        foreach (var setting in own)
        {
            if (!Given(parse, setting.Name))
            {
                if (setting.Flag.Required)
                    throw new ArgumentException($"{what} needs {setting.Name}" + (setting.Flag.Example is { } e ? $" (e.g. {setting.Name} {e})" : ""));
                continue;
            }
            setting.Property.SetValue(record, Value(parse, setting));
        }
        return record;
    }

    /// <summary>The flags given on the command line.</summary>
    public IReadOnlyList<string> GivenFlags(ParseResult parse) => options.Keys.Where(name => Given(parse, name)).ToList();

    private bool Given(ParseResult parse, string name) =>
        parse.GetResult(options[name]) is { Implicit: false } result
        && (options[name] is not Option<bool> || result.GetValueOrDefault<bool>());

    private object? Value(ParseResult parse, Setting setting)
    {
        var type = setting.Property.PropertyType;
        if (IsSwitch(type)) return !setting.Flag.Negated;
        var text = parse.GetValue((Option<string?>)options[setting.Name]) ?? "";
        return Parse(text, Nullable.GetUnderlyingType(type) ?? type, setting.Name);
    }

    /// <summary>Reads one flag value as <paramref name="type"/>; the message names the flag and what it expects.</summary>
    private static object Parse(string text, Type type, string flag)
    {
        static bool Number(string t, out double v) => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v);
        if (type == typeof(string)) return text;
        if (type == typeof(double)) return Number(text, out var d) ? d : throw Unreadable(text, flag, "a number");
        if (type == typeof(int)) return int.TryParse(text, CultureInfo.InvariantCulture, out var i) ? i : throw Unreadable(text, flag, "an integer");
        if (type == typeof(long)) return long.TryParse(text, CultureInfo.InvariantCulture, out var l) ? l : throw Unreadable(text, flag, "an integer");
        if (type == typeof(ulong)) return ulong.TryParse(text, CultureInfo.InvariantCulture, out var u) ? u : throw Unreadable(text, flag, "a non-negative integer");
        if (type == typeof(MaskType)) return MaskTypes.Parse(text);
        if (type == typeof(SparsityRange)) return SparsityRange.Parse(text);
        if (type == typeof(IReadOnlyList<PruneStep>)) return PruneStep.ParseSchedule(text);
        if (type == typeof(IReadOnlyList<int>)) return SeedList.ParseInts(text, flag[2..]);
        throw new InvalidOperationException($"{flag}: no command-line reader for {type.Name}");
    }

    private static ArgumentException Unreadable(string text, string flag, string expected) =>
        new($"{flag}: cannot read '{text}' as {expected}");

    private static bool IsSwitch(Type type) => type == typeof(bool);

    private static string Help(PropertyInfo property, FlagAttribute flag, Type record)
    {
        var summary = (Summary(property) ?? property.Name).TrimEnd('.');
        if (flag.Negated) return "turns off: " + char.ToLowerInvariant(summary[0]) + summary[1..];
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var values = type == typeof(MaskType) ? $": {string.Join(" | ", MaskTypes.Names)}" : "";
        var example = flag.Example is { } e ? $", e.g. {e}" : "";
        if (flag.Required || IsSwitch(type)) return summary + values + example;
        var fallback = property.GetValue(Activator.CreateInstance(record));
        var shown = fallback switch
        {
            null => "",
            IFormattable f => $" [default: {f.ToString(null, CultureInfo.InvariantCulture)}]",
            string s => $" [default: {s}]",
            _ => "",
        };
        return summary + values + example + shown;
    }

    private static string Kebab(string name) => UpperCase().Replace(name, m => (m.Index > 0 ? "-" : "") + m.Value.ToLowerInvariant());

    [GeneratedRegex("[A-Z]")]
    private static partial Regex UpperCase();

    private static readonly Dictionary<Assembly, Dictionary<string, string>> Docs = [];

    /// <summary>The property's XML summary on one line, tags reduced to their text; null when the docs are absent.</summary>
    private static string? Summary(PropertyInfo property)
    {
        var assembly = property.DeclaringType!.Assembly;
        lock (Docs)
        {
            if (!Docs.TryGetValue(assembly, out var docs)) Docs[assembly] = docs = LoadDocs(assembly);
            return docs.TryGetValue($"P:{property.DeclaringType.FullName}.{property.Name}", out var text) ? text : null;
        }
    }

    private static Dictionary<string, string> LoadDocs(Assembly assembly)
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(path)) return docs;
        foreach (var member in XDocument.Load(path).Descendants("member"))
        {
            if (member.Attribute("name")?.Value is not { } name || member.Element("summary") is not { } summary) continue;
            var text = string.Concat(summary.Nodes().Select(node => node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "see" } see => (see.Attribute("cref")?.Value ?? see.Attribute("langword")?.Value ?? "").Split('.', ':').Last(),
                XElement e => e.Value,
                _ => "",
            }));
            docs[name] = Regex.Replace(text, @"\s+", " ").Trim();
        }
        return docs;
    }
}
