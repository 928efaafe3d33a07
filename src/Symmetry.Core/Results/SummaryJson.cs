using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Symmetry.Core.Results;

/// <summary>
/// The JSON summary of runs (ALGORITHMS §1): one object keyed by run id whose values are FLAT objects with the
/// original weight-symmetry code's keys, so <c>pandas.read_json(path, orient="index")</c> gives one row per run:
/// <list type="bullet">
/// <item><c>kind</c>, <c>status</c>, <c>seed</c>, <c>wall_seconds</c>, <c>created_at</c>, <c>finished_at</c>,
/// <c>device</c>, <c>threads</c>, <c>batched</c>, <c>library_version</c>, <c>libtorch_version</c>;</item>
/// <item><c>config/&lt;key&gt;</c> for every leaf of the configuration (nested objects joined with <c>/</c>; arrays as
/// compact JSON text);</item>
/// <item><c>mask/&lt;key&gt;</c> and <c>propagated_mask/&lt;key&gt;</c>: whole-model mask statistics (layer <c>""</c>);</item>
/// <item><c>best_test_acc/step</c>, <c>best_test_acc/epoch</c>, <c>best_test_acc/&lt;metric&gt;</c> and the same for
/// <c>best_train_loss</c>;</item>
/// <item><c>final/step</c>, <c>final/epoch</c> (the last evaluation) and <c>final/&lt;metric&gt;</c> (each metric's
/// latest value; <c>final/&lt;split&gt;/&lt;metric&gt;</c> where a name occurs in several splits).</item>
/// </list>
/// Numbers are JSON numbers; NaN is <c>null</c>, ±∞ the strings <c>"Infinity"</c>/<c>"-Infinity"</c> (pandas reads
/// both as floats); integers beyond ±2^53 are exact decimal strings, and then every integer of that key is a string,
/// so a column has one type. (pandas' default type inference still turns an all-digit string column into floats:
/// pass <c>dtype=False</c> or <c>dtype={"mask/permutations": str}</c> to keep them exact.)
/// </summary>
public static class SummaryJson
{
    /// <summary>Largest integer a double holds exactly.</summary>
    private const long ExactIntegerLimit = 1L << 53;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the summary of <paramref name="runIds"/> (default: every run, oldest first) to
    /// <paramref name="path"/> atomically (temporary file, then rename), creating its folder.</summary>
    /// <exception cref="KeyNotFoundException">A run id is not in the store.</exception>
    public static void Write(ResultsStore store, string path, IEnumerable<string>? runIds = null)
    {
        var json = ToJson(store, runIds);
        AtomicFile.WriteAllText(path, json);
    }

    /// <summary>The summary as JSON text.</summary>
    public static string ToJson(ResultsStore store, IEnumerable<string>? runIds = null)
    {
        var rows = Build(store, runIds);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var (runId, row) in rows)
            {
                writer.WriteStartObject(runId);
                foreach (var (key, value) in row)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, value);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>
    /// The flat rows, in run order: key → value, where a value is null, <see cref="bool"/>, <see cref="long"/>,
    /// <see cref="double"/> or <see cref="string"/> (big integers as strings, see the class remarks).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, IReadOnlyList<KeyValuePair<string, object?>>>> Build(
        ResultsStore store, IEnumerable<string>? runIds = null)
    {
        var runs = runIds is null
            ? store.Runs()
            : runIds.Select(id => store.GetRun(id) ?? throw new KeyNotFoundException($"results store: no run '{id}'")).ToList();
        var rows = runs.Select(run => (run.Id, Row: RunRow(store, run))).ToList();

        // A key with any big integer gets all its integers as strings, so the column has one type.
        var stringKeys = rows.SelectMany(r => r.Row).Where(kv => kv.Value is BigInteger).Select(kv => kv.Key).ToHashSet();
        return rows.Select(r => new KeyValuePair<string, IReadOnlyList<KeyValuePair<string, object?>>>(r.Id,
                r.Row.Select(kv => new KeyValuePair<string, object?>(kv.Key, Finish(kv.Value, stringKeys.Contains(kv.Key))))
                    .ToList()))
            .ToList();
    }

    private static object? Finish(object? value, bool integersAsStrings) => value switch
    {
        BigInteger big => big.ToString(CultureInfo.InvariantCulture),
        long l when integersAsStrings => l.ToString(CultureInfo.InvariantCulture),
        _ => value,
    };

    private static List<KeyValuePair<string, object?>> RunRow(ResultsStore store, RunRecord run)
    {
        var row = new List<KeyValuePair<string, object?>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string key, object? value)
        {
            if (seen.Add(key)) row.Add(new(key, value)); // first wins: a JSON object cannot repeat a key
        }

        Add("kind", run.Kind);
        Add("status", ResultsStore.StatusName(run.Status));
        Add("state_key", store.RunState(run.Id));
        Add("seed", Integer(new BigInteger(run.Seed)));
        Add(Training.MetricNames.WallSeconds, run.WallSeconds);
        Add("created_at", Timestamp(run.CreatedAt));
        Add("finished_at", run.FinishedAt is { } f ? Timestamp(f) : null);
        Add("device", run.Runtime.Device);
        Add("threads", (long)run.Runtime.Threads);
        Add("batched", run.Runtime.Batched);
        Add("library_version", run.Runtime.LibraryVersion);
        Add("libtorch_version", run.Runtime.LibTorchVersion);

        using (var config = JsonDocument.Parse(run.ConfigJson))
            FlattenJson(config.RootElement, "config", Add);

        foreach (var stat in store.MaskStats(run.Id).Where(s => s.IsModel))
            foreach (var (key, value) in stat.ToFlat())
                Add(stat.Stage + "/" + key, value is BigInteger big ? Integer(big) : value);

        var best = store.Best(run.Id);
        foreach (var criterion in new[] { BestCriterion.TestAccuracy, BestCriterion.TrainLoss })
        {
            var snapshot = best.Where(b => b.Criterion == criterion).ToList();
            if (snapshot.Count == 0) continue;
            Add(criterion + "/step", snapshot[0].Step);
            Add(criterion + "/epoch", snapshot[0].Epoch);
            foreach (var b in snapshot) Add(criterion + "/" + b.Name, b.Value);
        }

        var metrics = store.Metrics(run.Id);
        if (metrics.Count > 0)
        {
            var last = metrics[^1]; // ordered by step
            Add("final/step", last.Step);
            Add("final/epoch", last.Epoch);
            var latest = metrics.GroupBy(m => (m.Split, m.Name)).Select(g => g.MaxBy(m => m.Step)!).ToList();
            var shared = latest.GroupBy(m => m.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            foreach (var m in latest.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Split, StringComparer.Ordinal))
                Add(shared.Contains(m.Name) ? $"final/{m.Split}/{m.Name}" : $"final/{m.Name}", m.Value);
        }
        return row;
    }

    private static void FlattenJson(JsonElement element, string prefix, Action<string, object?> add)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var any = false;
                foreach (var property in element.EnumerateObject())
                {
                    any = true;
                    FlattenJson(property.Value, prefix + "/" + property.Name, add);
                }
                if (!any) add(prefix, "{}");
                break;
            case JsonValueKind.Array:
                add(prefix, JsonSerializer.Serialize(element, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                break;
            case JsonValueKind.String:
                add(prefix, element.GetString());
                break;
            case JsonValueKind.Number:
                add(prefix, ParseNumber(element.GetRawText()));
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                add(prefix, element.GetBoolean());
                break;
            default:
                add(prefix, null);
                break;
        }
    }

    private static object? ParseNumber(string text)
    {
        if (BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return Integer(integer);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)) return real;
        return null;
    }

    private static object Integer(BigInteger value) =>
        BigInteger.Abs(value) <= ExactIntegerLimit ? (object)(long)value : value;

    private static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long l: writer.WriteNumberValue(l); break;
            case double d when double.IsNaN(d): writer.WriteNullValue(); break;
            case double d when double.IsPositiveInfinity(d): writer.WriteStringValue("Infinity"); break;
            case double d when double.IsNegativeInfinity(d): writer.WriteStringValue("-Infinity"); break;
            case double d: writer.WriteNumberValue(d); break;
            case string s: writer.WriteStringValue(s); break;
            default: throw new InvalidOperationException($"unexpected summary value of type {value.GetType()}");
        }
    }
}
