using System.Text.Encodings.Web;
using System.Text.Json;

using DType = TorchSharp.torch.ScalarType;

namespace Symmetry.Torch.Serialization;

/// <summary>One tensor's entry in a safetensors header: offsets are relative to the start of the data section.</summary>
internal sealed record SafeTensorsEntry(string Name, DType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>The JSON header of a safetensors file: building it for a save, parsing and validating it for a load.</summary>
internal static class SafeTensorsHeader
{
    /// <summary>The key that holds the free-form string-to-string metadata.</summary>
    internal const string MetadataKey = "__metadata__";

    /// <summary>The largest header the reference implementation accepts (100 MB).</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    internal static string Code(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Float16 => "F16",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Int16 => "I16",
        DType.Int8 => "I8",
        DType.Byte => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "dtype has no safetensors code"),
    };

    internal static long ElementSize(DType dtype) => dtype switch
    {
        DType.Float64 or DType.Int64 => 8,
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.Int16 => 2,
        DType.Int8 or DType.Byte or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "dtype has no safetensors code"),
    };

    internal static DType? FromCode(string code) => code switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "F16" => DType.Float16,
        "I64" => DType.Int64,
        "I32" => DType.Int32,
        "I16" => DType.Int16,
        "I8" => DType.Int8,
        "U8" => DType.Byte,
        "BOOL" => DType.Bool,
        _ => null,
    };

    /// <summary>UTF-8 JSON for <paramref name="entries"/> (in order) and <paramref name="metadata"/> (keys sorted, so
    /// equal inputs give equal bytes), padded with spaces to a multiple of 8 bytes.</summary>
    internal static byte[] Build(IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", Code(entry.DType));
                json.WriteStartArray("shape");
                foreach (var size in entry.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(entry.Begin);
                json.WriteNumberValue(entry.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var padding = (int)((8 - buffer.Length % 8) % 8);
        for (var i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    /// <summary>Parses and validates a header against a data section of <paramref name="dataLength"/> bytes.
    /// Entries come back in header order.</summary>
    internal static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(
        string path, ReadOnlyMemory<byte> header, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new SafeTensorsException(path, $"header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsException(path, $"header is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");

            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new SafeTensorsException(path, $"header names '{property.Name}' twice");
                if (property.Name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ReadEntry(path, property.Name, property.Value));
            }
            Validate(path, entries, dataLength);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsException(path, $"{MetadataKey} must be an object of strings, not a JSON {value.ValueKind.ToString().ToLowerInvariant()}");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafeTensorsException(path, $"{MetadataKey} value of '{item.Name}' must be a string, not a JSON {item.Value.ValueKind.ToString().ToLowerInvariant()}");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new SafeTensorsException(path, $"{MetadataKey} names '{item.Name}' twice");
        }
    }

    private static SafeTensorsEntry ReadEntry(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsException(path, $"tensor '{name}': entry must be an object with dtype, shape and data_offsets");

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new SafeTensorsException(path, $"tensor '{name}': missing or non-string \"dtype\"");
        var code = dtypeElement.GetString()!;
        var dtype = FromCode(code)
            ?? throw new SafeTensorsException(path, $"tensor '{name}': unknown or unsupported dtype \"{code}\" (supported: F64, F32, F16, I64, I32, I16, I8, U8, BOOL)");

        var shape = ReadIntegers(path, name, value, "shape", count: null);
        var offsets = ReadIntegers(path, name, value, "data_offsets", count: 2);
        return new SafeTensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(string path, string name, JsonElement value, string key, int? count)
    {
        if (!value.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new SafeTensorsException(path, $"tensor '{name}': missing or non-array \"{key}\"");
        var length = array.GetArrayLength();
        if (count is { } expected && length != expected)
            throw new SafeTensorsException(path, $"tensor '{name}': \"{key}\" must hold {expected} integers, not {length}");
        var result = new long[length];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var number) || number < 0)
                throw new SafeTensorsException(path, $"tensor '{name}': \"{key}\" must hold non-negative integers, found {item.GetRawText()}");
            result[i++] = number;
        }
        return result;
    }

    /// <summary>Each tensor's byte range matches its shape and dtype, lies inside the data section, and the ranges
    /// tile the data section from 0 to its end with no overlap and no gap (as the specification demands).</summary>
    private static void Validate(string path, List<SafeTensorsEntry> entries, long dataLength)
    {
        foreach (var entry in entries)
        {
            if (entry.Begin > entry.End)
                throw new SafeTensorsException(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] end before they begin");
            if (entry.End > dataLength)
                throw new SafeTensorsException(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] run past the end of the data section ({dataLength} bytes)");
            long expected;
            try
            {
                expected = checked(entry.Shape.Aggregate(1L, (a, b) => a * b) * ElementSize(entry.DType));
            }
            catch (OverflowException)
            {
                throw new SafeTensorsException(path, $"tensor '{entry.Name}': shape [{string.Join(", ", entry.Shape)}] is too large");
            }
            if (expected != entry.ByteLength)
                throw new SafeTensorsException(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] hold {entry.ByteLength} bytes but shape [{string.Join(", ", entry.Shape)}] of {Code(entry.DType)} needs {expected}");
        }

        var previousEnd = 0L;
        SafeTensorsEntry? previous = null;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin < previousEnd)
                throw new SafeTensorsException(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] overlap those of '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (entry.Begin > previousEnd)
                throw new SafeTensorsException(path, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] leave a gap after byte {previousEnd} of the data section");
            previousEnd = entry.End;
            previous = entry;
        }
        if (previousEnd != dataLength)
            throw new SafeTensorsException(path, $"the tensors cover {previousEnd} bytes but the data section has {dataLength} (truncated or trailing bytes)");
    }
}
