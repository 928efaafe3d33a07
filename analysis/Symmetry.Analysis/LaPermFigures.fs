namespace Symmetry.Analysis

open System
open System.IO
open System.Text.Json
open Deedle
open Plotly.NET
open TorchSharp
open Symmetry.Core.Experiments
open Symmetry.Core.LaPerm
open Symmetry.Core.Results
open Symmetry.Core.Training

/// Train by reconnecting (LaPerm, seed 001), from the experiment states `train_by_reconnect.fsx` records: a LaPerm train
/// state and its sibling trained by the inner optimizer alone from the same parent (same init, same data order). Per
/// pair: both test-accuracy curves, the weight profiles (each neuron's fan-in sorted, before and after training) and the
/// permutation tracer (where each weight of one neuron moved), the last two from the stored checkpoints.
module LaPermFigures =

    /// Neurons drawn in a profile panel at most (evenly spaced over the layer), so that a figure stays small.
    let maxProfileRows = 16

    /// A LaPerm train state, its inner-optimizer sibling (if recorded) and their parent (the start, θ₀).
    type Pair =
        { LaPerm: StateRecord
          Adam: StateRecord option
          Start: StateRecord option
          Model: string
          SyncPeriod: int
          Seed: uint64 }

    let private recipeOf (state: StateRecord) = JsonDocument.Parse(state.StateJson).RootElement.GetProperty "recipe"

    let private laPermOf (state: StateRecord) =
        match recipeOf(state).TryGetProperty "laPerm" with
        | true, settings when settings.ValueKind = JsonValueKind.Object -> Some settings
        | _ -> None

    /// The recipe's JSON without its LaPerm field: what a sibling must share.
    let private innerOf (state: StateRecord) =
        let node =
            match Nodes.JsonNode.Parse(recipeOf(state).GetRawText()) with
            | null -> failwithf "state %s has no recipe" state.Key
            | parsed -> parsed.AsObject()
        node.Remove "laPerm" |> ignore
        CanonicalJson.Canonicalize(node.ToJsonString())

    /// Every LaPerm train state with its sibling and parent, oldest first.
    let pairs (data: StoreData) : Pair list =
        let byKey = data.States |> Seq.map (fun s -> s.Key, s) |> dict
        let trains = data.States |> Seq.filter (fun s -> s.Kind = "train") |> List.ofSeq
        [ for state in trains do
              match laPermOf state with
              | Some settings ->
                  let inner = innerOf state
                  let sibling =
                      trains |> List.tryFind (fun s -> s.ParentKey = state.ParentKey && (laPermOf s).IsNone && innerOf s = inner)
                  let root = JsonDocument.Parse(state.StateJson).RootElement
                  yield
                      { LaPerm = state
                        Adam = sibling
                        Start = state.ParentKey |> Option.ofObj |> Option.bind (fun k -> match byKey.TryGetValue k with | true, s -> Some s | _ -> None)
                        Model = root.GetProperty("model").GetString() |> string
                        SyncPeriod = settings.GetProperty("syncPeriod").GetInt32()
                        Seed = recipeOf(state).GetProperty("seed").GetUInt64() }
              | None -> () ]

    let private short (state: StateRecord) = state.Key.Substring(0, 12)

    let private curve (data: StoreData) (state: StateRecord) =
        data.Metrics
        |> Seq.filter (fun m -> m.RunId = state.Key && m.Name = MetricNames.TestAccuracy)
        |> Seq.sortBy _.Step
        |> Seq.map (fun m -> float m.Step, m.Value)
        |> Array.ofSeq

    let private label (pair: Pair) = sprintf "%s, k %d, seed %d" pair.Model pair.SyncPeriod pair.Seed

    let private colours = [| FamilySupport.palette.[0]; FamilySupport.palette.[1]; FamilySupport.palette.[2] |]

    let private curvesFigure (data: StoreData) (pair: Pair) : ReportFigure option =
        let lines =
            [ yield "LaPerm", curve data pair.LaPerm
              match pair.Adam with Some adam -> yield "inner Adam alone", curve data adam | None -> () ]
            |> List.filter (fun (_, points) -> points.Length > 0)
        if lines.IsEmpty then None
        else
            Some
                { Name = "laperm-curves-" + short pair.LaPerm
                  Title = "LaPerm against its inner optimizer"
                  Caption =
                    sprintf "%s: test accuracy at each evaluation (LaPerm's right after a sync) of LaPerm (state %s) and of its inner optimizer alone from the same start and data order%s."
                        (label pair) (short pair.LaPerm) (match pair.Adam with Some a -> sprintf " (state %s)" (short a) | None -> " (not recorded)")
                  Chart =
                    [ for i, (name, points) in List.indexed lines ->
                          Chart.Line(points |> Array.map fst, points |> Array.map snd, ShowMarkers = true, Name = name,
                                     LineColor = colours.[i], MarkerColor = colours.[i]) ]
                    |> Chart.combine
                    |> Chart.withXAxisStyle "step"
                    |> Chart.withYAxisStyle "test accuracy"
                    |> Chart.withTitle(sprintf "LaPerm vs inner Adam — %s" (label pair))
                    |> Chart.withSize(800, 450)
                  Width = 800
                  Height = 450 }

    /// The first weight tensor (rank ≥ 2) of a checkpoint, as (rows, fan-in) float arrays, with its name.
    let private firstWeight (state: StateRecord) : (string * float32[][]) option =
        match state.CheckpointPath with
        | null -> None
        | path when not (File.Exists path) -> None
        | path ->
            use scope = torch.NewDisposeScope()
            use tensors = StateCheckpoint.ReadModel path
            tensors
            |> Seq.tryFind (fun kv -> kv.Value.dim() >= 2L && kv.Key.EndsWith "weight")
            |> Option.map (fun kv ->
                let rows = int kv.Value.shape.[0]
                let values = kv.Value.``to``(torch.ScalarType.Float32).contiguous().data<float32>().ToArray()
                kv.Key, Array.chunkBySize (values.Length / rows) values)

    let private profileRows (rows: int) =
        if rows <= maxProfileRows then [ 0 .. rows - 1 ]
        else [ for i in 0 .. maxProfileRows - 1 -> i * (rows - 1) / (maxProfileRows - 1) ] |> List.distinct

    let private profilesFigure (pair: Pair) : ReportFigure option =
        match pair.Start |> Option.bind firstWeight, firstWeight pair.LaPerm with
        | Some(name, before), Some(_, after) ->
            let adam = pair.Adam |> Option.bind firstWeight |> Option.map snd
            let chosen = profileRows before.Length
            let panel (title: string) (rows: float32[][]) (first: bool) =
                [ for n, j in List.indexed chosen ->
                      let sorted = Array.sort rows.[j]
                      Chart.Line(Array.init sorted.Length float, sorted |> Array.map float, Name = sprintf "neuron %d" j,
                                 ShowLegend = false, LineColor = FamilySupport.palette.[n % FamilySupport.palette.Length]) ]
                |> Chart.combine
                |> Chart.withXAxisStyle "rank within the neuron's fan-in"
                |> Chart.withYAxisStyle(if first then "weight" else "")
                |> fun c -> title, c
            let same = chosen |> List.forall (fun j -> Array.sort before.[j] = Array.sort after.[j])
            let panels =
                [ yield panel "θ₀ (start)" before true
                  yield panel "after LaPerm" after false
                  match adam with Some a -> yield panel "after inner Adam alone" a false | None -> () ]
            Some
                { Name = "laperm-profiles-" + short pair.LaPerm
                  Title = "Weight profiles"
                  Caption =
                    sprintf "%s, %s: each line is one neuron's fan-in sorted ascending (%d of %d neurons%s). LaPerm's profiles are %s θ₀'s (it only rearranges), while the inner optimizer alone reshapes them."
                        (label pair) name chosen.Length before.Length (if chosen.Length < before.Length then ", evenly spaced" else "")
                        (if same then "identical to" else "NOT identical to")
                  Chart =
                    panels |> List.map snd
                    |> Chart.Grid(1, panels.Length, SubPlotTitles = (panels |> List.map fst |> Array.ofList), XGap = 0.08)
                    |> Chart.withTitle(sprintf "Weight profiles — %s" (label pair))
                    |> Chart.withSize(1100, 420)
                  Width = 1100
                  Height = 420 }
        | _ -> None

    let private tracerFigure (pair: Pair) : ReportFigure option =
        match pair.Start |> Option.bind (fun s -> Option.ofObj s.CheckpointPath), Option.ofObj pair.LaPerm.CheckpointPath with
        | Some startPath, Some laPermPath when File.Exists startPath && File.Exists laPermPath ->
            use scope = torch.NewDisposeScope()
            use before = StateCheckpoint.ReadModel startPath
            use after = StateCheckpoint.ReadModel laPermPath
            match before |> Seq.tryFind (fun kv -> kv.Value.dim() >= 2L && kv.Key.EndsWith "weight") with
            | Some kv ->
                let destinations = PermutationTrace.Destinations(kv.Value, after.[kv.Key], 0L)
                let values = kv.Value.[0L].flatten().``to``(torch.ScalarType.Float32).data<float32>().ToArray()
                let moved = destinations |> Array.mapi (fun i d -> int64 i <> d) |> Array.filter id |> Array.length
                let distinct = values |> Array.distinct |> Array.length
                let ties =
                    if distinct < values.Length then
                        sprintf " Only %d distinct values: equal values are interchangeable, so they are matched in order of position and the tracer shows where each value class went, not individual weights." distinct
                    else ""
                Some
                    { Name = "laperm-tracer-" + short pair.LaPerm
                      Title = "Permutation tracer"
                      Caption =
                        sprintf "%s, %s neuron 0: each point is one weight, from its position in θ₀ (x) to its position after LaPerm (y), coloured by its value; %d of %d weights moved.%s"
                            (label pair) kv.Key moved destinations.Length ties
                      Chart =
                        Chart.Point(Array.init destinations.Length float, destinations |> Array.map float, ShowLegend = false,
                                    MarkerColor = Color.fromColorScaleValues(values |> Array.map float),
                                    MarkerColorScale = StyleParam.Colorscale.Viridis)
                        |> Chart.withXAxisStyle "position in θ₀"
                        |> Chart.withYAxisStyle "position after LaPerm"
                        |> Chart.withTitle(sprintf "Permutation tracer — %s" (label pair))
                        |> Chart.withSize(650, 600)
                      Width = 650
                      Height = 600 }
            | None -> None
        | _ -> None

    let private final (points: (float * float)[]) = if points.Length = 0 then nan else snd points.[points.Length - 1]

    /// One row per pair: model, k, seed, final test accuracies and their difference.
    let table (data: StoreData) (pairs: Pair list) : Frame<int, string> =
        pairs
        |> List.map (fun p ->
            let l = final (curve data p.LaPerm)
            let a = p.Adam |> Option.map (curve data >> final) |> Option.defaultValue nan
            series [ "state" => box (short p.LaPerm); "model" => box p.Model; "k" => box p.SyncPeriod; "seed" => box (float p.Seed)
                     "laperm_test_accuracy" => box l; "adam_test_accuracy" => box a; "laperm_minus_adam" => box (l - a) ])
        |> Frame.ofRowsOrdinal
        |> Frame.mapRowKeys int

    /// The family: the newest pairs' figures (curves, profiles, tracer) and the table of every pair.
    let family: Family =
        { Name = "laperm"
          Title = "Train by reconnecting (LaPerm)"
          Build =
            fun input ->
                let all = pairs input.Data
                if all.IsEmpty then FamilyOutput.Empty
                else
                    let shown = all |> List.rev |> List.truncate FamilySupport.maxExperiments
                    { Figures =
                        shown |> List.collect (fun p -> [ curvesFigure input.Data p; profilesFigure p; tracerFigure p ] |> List.choose id)
                      Tables = [ { Name = "laperm"; Title = "LaPerm against its inner optimizer (final test accuracy)"; Frame = table input.Data all } ]
                      Notes = FamilySupport.omitted (all.Length - shown.Length) } }
