namespace Symmetry.Analysis

open System
open System.Globalization
open System.Numerics
open System.Text.Json

/// A leaf of a flattened JSON object, typed as the JSON wrote it.
[<RequireQualifiedAccess>]
type Leaf =
    | Text of string
    | Integer of int64
    /// An integer beyond 64 bits, kept exact.
    | Big of BigInteger
    | Real of float
    | Flag of bool
    | Null

/// Flattening nested JSON into `a/b/c` keys (the JSON summary's convention): objects are walked, arrays are kept as
/// compact JSON text (`[16,16]`), numbers become integers when they are integers.
module FlatJson =

    let private number (raw: string) =
        match BigInteger.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) with
        | true, n when n >= BigInteger Int64.MinValue && n <= BigInteger Int64.MaxValue -> Leaf.Integer(int64 n)
        | true, n -> Leaf.Big n
        | _ -> Leaf.Real(Double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture))

    let rec private walk (prefix: string) (element: JsonElement) : (string * Leaf) list =
        match element.ValueKind with
        | JsonValueKind.Object ->
            let children = [ for p in element.EnumerateObject() -> p ]
            if children.IsEmpty then [ prefix, Leaf.Text "{}" ]
            else children |> List.collect (fun p -> walk (if prefix = "" then p.Name else prefix + "/" + p.Name) p.Value)
        | JsonValueKind.Array -> [ prefix, Leaf.Text(JsonSerializer.Serialize element) ]
        | JsonValueKind.String -> [ prefix, Leaf.Text(element.GetString() |> nonNull) ]
        | JsonValueKind.Number -> [ prefix, number (element.GetRawText()) ]
        | JsonValueKind.True -> [ prefix, Leaf.Flag true ]
        | JsonValueKind.False -> [ prefix, Leaf.Flag false ]
        | _ -> [ prefix, Leaf.Null ]

    /// The leaves of a JSON object under `prefix` (e.g. `config` gives `config/driver/mask`).
    let flatten (prefix: string) (json: string) : (string * Leaf) list =
        use document = JsonDocument.Parse json
        walk prefix document.RootElement
