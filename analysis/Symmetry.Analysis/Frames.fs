namespace Symmetry.Analysis

open System
open System.Collections.Generic
open System.Numerics
open System.Text.Json.Nodes
open Deedle
open Symmetry.Core.Experiments
open Symmetry.Core.Masks
open Symmetry.Core.Results

/// Typed Deedle columns from loosely typed values.
module internal Columns =

    /// A series over `keys` (missing where a key has no value).
    let series (observations: ('K * 'V) seq) : ISeries<'K> = Series.ofObservations observations :> ISeries<'K>

    /// The narrowest column type that holds every leaf: int64, BigInteger (an integer beyond 64 bits), float (integers
    /// and reals mixed), bool, else text (each value as written). `Null` is missing.
    let ofLeaves (values: ('K * Leaf) seq) : ISeries<'K> =
        let present = values |> Seq.filter (fun (_, l) -> l <> Leaf.Null) |> Array.ofSeq
        let all test = present |> Array.forall (snd >> test)
        let isInteger = function Leaf.Integer _ -> true | _ -> false
        let isWhole = function Leaf.Integer _ | Leaf.Big _ -> true | _ -> false
        let isNumber = function Leaf.Integer _ | Leaf.Real _ -> true | _ -> false
        let isFlag = function Leaf.Flag _ -> true | _ -> false
        let map f = present |> Array.map (fun (k, l) -> k, f l)
        if present.Length = 0 then series (Seq.empty<'K * string>)
        elif all isInteger then series (map (function Leaf.Integer i -> i | _ -> 0L))
        elif all isWhole then series (map (function Leaf.Integer i -> BigInteger i | Leaf.Big b -> b | _ -> BigInteger.Zero))
        elif all isNumber then series (map (function Leaf.Integer i -> float i | Leaf.Real r -> r | _ -> nan))
        elif all isFlag then series (map (function Leaf.Flag b -> b | _ -> false))
        else
            series (map (function
                | Leaf.Text t -> t
                | Leaf.Integer i -> string i
                | Leaf.Big b -> string b
                | Leaf.Real r -> r.ToString("R", Globalization.CultureInfo.InvariantCulture)
                | Leaf.Flag b -> (if b then "true" else "false")
                | Leaf.Null -> ""))

    /// A frame from named columns, rows in `order` (a column without a row's key is missing there).
    let frame (order: 'K seq) (columns: (string * ISeries<'K>) seq) : Frame<'K, string> =
        Frame.ofColumns columns |> Frame.realignRows order

/// Column names of the frames, stated once.
module Column =
    /// The run's experiment: a hash of its configuration without the seeds, the mask type and the sparsity, so the
    /// runs of one sweep share it and differ only in what the sweep varies.
    [<Literal>]
    let Experiment = "experiment"
    /// The mask type as the command line names it (`per-neuron`), from `config/driver/mask`.
    [<Literal>]
    let MaskType = "mask_type"
    /// The requested sparsity of a mask driver.
    [<Literal>]
    let Sparsity = "config/driver/sparsity"
    /// The best test accuracy over a run's evaluations.
    [<Literal>]
    let BestTestAccuracy = "best_test_acc/test_accuracy"
    /// log10(permutations + 1) of the mask after propagation.
    [<Literal>]
    let PropagatedPermutationLog10 = "propagated_mask/permutation_log10"

/// The store as Deedle frames: runs (one row per run, configuration flattened into typed columns), metrics (long and
/// wide), mask statistics (exact permutation counts as BigInteger) and experiment states with their parents.
module Frames =

    /// The configuration keys a sweep varies within one experiment (see `Column.Experiment`).
    let sweepKeys = set [ "config/seed"; "config/maskSeed"; "config/driver/mask"; "config/driver/sparsity" ]

    /// The experiment key of a run from its flattened configuration: the first 12 hex digits of the SHA-256 of its
    /// leaves other than `sweepKeys`, sorted by key, one `key=value` line each (reals in round-trip form).
    let experimentOfLeaves (leaves: (string * Leaf) seq) : string =
        let text =
            leaves
            |> Seq.filter (fun (k, _) -> not (sweepKeys.Contains k))
            |> Seq.sortBy fst
            |> Seq.map (fun (k, v) ->
                let value =
                    match v with
                    | Leaf.Text t -> "\"" + t + "\""
                    | Leaf.Integer i -> string i
                    | Leaf.Big b -> string b
                    | Leaf.Real r -> r.ToString("R", Globalization.CultureInfo.InvariantCulture)
                    | Leaf.Flag b -> (if b then "true" else "false")
                    | Leaf.Null -> "null"
                k + "=" + value)
            |> String.concat "\n"
        CanonicalJson.Sha256(text).Substring(0, 12)

    /// The experiment key of a run configuration (JSON), as in the runs frame's `experiment` column.
    let experimentOf (configJson: string) = experimentOfLeaves (FlatJson.flatten "config" configJson)

    let private maskTypeName (text: string) =
        match Enum.TryParse<MaskType>(text, true) with
        | true, t -> MaskTypes.Name t
        | _ -> text

    /// One row per run, keyed by run id, oldest first. Columns: `kind`, `status`, `seed`, `state_key`,
    /// `wall_seconds`, `created_at`, `finished_at`, `device`, `threads`, `library_version`, `libtorch_version`,
    /// `error`, `experiment`, `mask_type`; `config/…` for every configuration leaf (typed: int64, float, bool,
    /// BigInteger or text; arrays as JSON text); `mask/…` and `propagated_mask/…` for the whole-model mask statistics
    /// (`permutations` an exact BigInteger); `best_test_acc/…` and `best_train_loss/…` (step, epoch, every metric of
    /// that evaluation); `final/step`, `final/epoch`, `final/<metric>` (each metric's latest value) — the keys of the
    /// JSON summary, typed.
    let runs (data: StoreData) : Frame<string, string> =
        let ids = data.Runs |> Seq.map _.Id |> Array.ofSeq
        let column name (values: (string * 'V) seq) = name, Columns.series values
        let optional name (values: (string * 'V option) seq) =
            column name (values |> Seq.choose (fun (k, v) -> v |> Option.map (fun v -> k, v)))
        let text name (get: RunRecord -> string | null) =
            optional name (data.Runs |> Seq.map (fun r -> r.Id, match get r with null -> None | s -> Some s))
        let basics =
            [ text "kind" _.Kind
              text "status" (fun r -> ResultsStore.StatusName r.Status)
              column "seed" (data.Runs |> Seq.map (fun r -> r.Id, r.Seed))
              optional "state_key" (data.Runs |> Seq.map (fun r -> r.Id, match data.RunStates.TryGetValue r.Id with | true, k -> Some k | _ -> None))
              optional "wall_seconds" (data.Runs |> Seq.map (fun r -> r.Id, Option.ofNullable r.WallSeconds))
              column "created_at" (data.Runs |> Seq.map (fun r -> r.Id, r.CreatedAt))
              optional "finished_at" (data.Runs |> Seq.map (fun r -> r.Id, Option.ofNullable r.FinishedAt))
              text "device" _.Runtime.Device
              column "threads" (data.Runs |> Seq.map (fun r -> r.Id, r.Runtime.Threads))
              text "library_version" _.Runtime.LibraryVersion
              text "libtorch_version" _.Runtime.LibTorchVersion
              text "error" _.Error ]
        let flattened = data.Runs |> Seq.map (fun r -> r.Id, FlatJson.flatten "config" r.ConfigJson) |> Array.ofSeq
        let experiment = column Column.Experiment (flattened |> Seq.map (fun (id, leaves) -> id, experimentOfLeaves leaves))
        // Configuration leaves, typed per key over every run.
        let leaves = flattened |> Seq.collect (fun (id, leaves) -> leaves |> Seq.map (fun (k, v) -> k, (id, v)))
        let config =
            leaves |> Seq.groupBy fst |> Seq.map (fun (key, values) -> key, Columns.ofLeaves (values |> Seq.map snd)) |> List.ofSeq
        let maskType =
            match config |> List.tryFind (fst >> (=) "config/driver/mask") with
            | Some(_, series) ->
                [ column Column.MaskType
                      (series.Index.Keys |> Seq.choose (fun k ->
                          series.TryGetObject k |> OptionalValue.asOption |> Option.map (fun v -> k, maskTypeName (string v)))) ]
            | None -> []
        // Whole-model mask statistics, typed as stored.
        let maskStats =
            data.MaskStats
            |> Seq.filter _.IsModel
            |> Seq.collect (fun s -> s.ToFlat() |> Seq.map (fun kv -> s.Stage + "/" + kv.Key, (s.RunId, kv.Value)))
            |> Seq.groupBy fst
            |> Seq.map (fun (key, values) ->
                let values = values |> Seq.map snd |> Array.ofSeq
                let typed: ISeries<string> =
                    match values |> Array.tryHead |> Option.map snd with
                    | Some(:? BigInteger) -> Columns.series (values |> Seq.map (fun (k, v) -> k, v :?> BigInteger))
                    | Some(:? float) -> Columns.series (values |> Seq.map (fun (k, v) -> k, v :?> float))
                    | _ -> Columns.series (values |> Seq.map (fun (k, v) -> k, Convert.ToInt64 v))
                key, typed)
            |> List.ofSeq
        // Best snapshots: step and epoch once per criterion, then each metric.
        let best =
            let byCriterion = data.Best |> Seq.groupBy (fun b -> b.Criterion)
            [ for criterion, rows in byCriterion do
                  let first = rows |> Seq.groupBy _.RunId |> Seq.map (fun (run, rs) -> run, Seq.head rs) |> Array.ofSeq
                  yield column (criterion + "/step") (first |> Seq.map (fun (run, b) -> run, b.Step))
                  yield column (criterion + "/epoch") (first |> Seq.map (fun (run, b) -> run, b.Epoch))
                  for name, metric in rows |> Seq.groupBy _.Name do
                      yield column (criterion + "/" + name) (metric |> Seq.map (fun b -> b.RunId, b.Value)) ]
        // The latest evaluation: its step and epoch, and each metric's latest value.
        let final =
            let byRun = data.Metrics |> Seq.groupBy _.RunId |> Array.ofSeq
            let last = byRun |> Array.map (fun (run, rows) -> run, rows |> Seq.maxBy _.Step)
            let latest =
                byRun
                |> Seq.collect (fun (_, rows) -> rows |> Seq.groupBy (fun m -> m.Split, m.Name) |> Seq.map (fun (_, g) -> g |> Seq.maxBy _.Step))
                |> Array.ofSeq
            let shared =
                latest |> Seq.groupBy _.Name |> Seq.filter (fun (_, g) -> g |> Seq.map _.Split |> Seq.distinct |> Seq.length > 1)
                |> Seq.map fst |> set
            [ yield column "final/step" (last |> Seq.map (fun (run, m) -> run, m.Step))
              yield column "final/epoch" (last |> Seq.map (fun (run, m) -> run, m.Epoch))
              for (split, name), rows in latest |> Seq.groupBy (fun m -> m.Split, m.Name) do
                  let key = if shared.Contains name then sprintf "final/%s/%s" split name else "final/" + name
                  yield column key (rows |> Seq.map (fun m -> m.RunId, m.Value)) ]
        Columns.frame ids (basics @ [ experiment ] @ maskType @ config @ maskStats @ best @ final)

    /// Every metric row, one per (run, step, split, name): columns `run_id`, `step`, `epoch`, `split`, `name`,
    /// `value` (NaN where the store holds NULL), in store order, keyed 0…n−1.
    let metrics (data: StoreData) : Frame<int, string> =
        let rows = data.Metrics
        let keys = [| 0 .. rows.Count - 1 |]
        let column name (get: MetricRow -> 'V) = name, Columns.series (keys |> Seq.map (fun i -> i, get rows.[i]))
        Columns.frame keys
            [ column "run_id" _.RunId; column "step" _.Step; column "epoch" _.Epoch; column "split" _.Split
              column "name" _.Name; column "value" _.Value ]

    /// One row per evaluation, keyed (run id, step): `epoch` and one column per metric (`<split>/<name>` where a
    /// name occurs in several splits).
    let metricsWide (data: StoreData) : Frame<string * int64, string> =
        let rows = data.Metrics
        let shared =
            rows |> Seq.groupBy _.Name |> Seq.filter (fun (_, g) -> g |> Seq.map _.Split |> Seq.distinct |> Seq.length > 1)
            |> Seq.map fst |> set
        let keys = rows |> Seq.map (fun m -> m.RunId, m.Step) |> Seq.distinct |> Array.ofSeq
        let epoch = "epoch", Columns.series (rows |> Seq.distinctBy (fun m -> m.RunId, m.Step) |> Seq.map (fun m -> (m.RunId, m.Step), m.Epoch))
        let metrics =
            rows
            |> Seq.groupBy (fun m -> if shared.Contains m.Name then m.Split + "/" + m.Name else m.Name)
            |> Seq.map (fun (name, ms) -> name, Columns.series (ms |> Seq.map (fun m -> (m.RunId, m.Step), m.Value)))
            |> List.ofSeq
        Columns.frame keys (epoch :: metrics)

    /// Mask statistics, one row per (run, stage, layer) — layer `""` is the whole model: `run_id`, `stage`, `layer`,
    /// `weights`, `zeros`, `sparsity`, `total_neurons`, `zeroed_neurons`, `unique_neurons`, `surviving_neurons`,
    /// `permutation_groups`, `permutations` (exact BigInteger), `permutation_digits`, `permutation_log10`.
    let maskStats (data: StoreData) : Frame<int, string> =
        let rows = data.MaskStats
        let keys = [| 0 .. rows.Count - 1 |]
        let column name (get: MaskStatRow -> 'V) = name, Columns.series (keys |> Seq.map (fun i -> i, get rows.[i]))
        Columns.frame keys
            [ column "run_id" _.RunId; column "stage" _.Stage; column "layer" _.Layer; column "weights" _.Weights
              column "zeros" _.Zeros; column "sparsity" _.Sparsity; column "total_neurons" _.TotalNeurons
              column "zeroed_neurons" _.ZeroedNeurons; column "unique_neurons" _.UniqueNeurons
              column "surviving_neurons" _.SurvivingNeurons; column "permutation_groups" _.PermutationGroups
              column "permutations" _.Permutations; column "permutation_digits" _.PermutationDigits
              column "permutation_log10" _.PermutationLog10 ]

    /// Experiment states keyed by state key: `parent_key` (missing for a root), `kind`, `depth` (0 for a root),
    /// `created_at`, `checkpoint_path`, `run_id` (the run that ended in it, if any) and `recipe` (its recipe as JSON).
    let states (data: StoreData) : Frame<string, string> =
        let states = data.States
        let byKey = states |> Seq.map (fun s -> s.Key, s) |> dict
        let rec depth (s: StateRecord) =
            match s.ParentKey with
            | null -> 0
            | parent -> match byKey.TryGetValue parent with | true, p -> 1 + depth p | _ -> 1
        let runOf = data.RunStates |> Seq.map (fun kv -> kv.Value, kv.Key) |> Seq.distinctBy fst |> dict
        let keys = states |> Seq.map _.Key |> Array.ofSeq
        let column name (get: StateRecord -> 'V) = name, Columns.series (states |> Seq.map (fun s -> s.Key, get s))
        let optional name (get: StateRecord -> string | null) =
            name, Columns.series (states |> Seq.choose (fun s -> match get s with null -> None | v -> Some(s.Key, v)))
        let recipe (s: StateRecord) =
            match JsonNode.Parse s.StateJson with
            | :? JsonObject as o -> match o.["recipe"] with null -> "" | r -> r.ToJsonString()
            | _ -> ""
        Columns.frame keys
            [ optional "parent_key" _.ParentKey; column "kind" _.Kind; column "depth" depth; column "created_at" _.CreatedAt
              optional "checkpoint_path" _.CheckpointPath
              optional "run_id" (fun s -> match runOf.TryGetValue s.Key with | true, r -> r | _ -> null)
              column "recipe" recipe ]
