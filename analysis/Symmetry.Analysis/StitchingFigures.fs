namespace Symmetry.Analysis

open System
open System.Text.Json
open Deedle
open Plotly.NET
open Plotly.NET.TraceObjects
open Symmetry.Core.Results
open Symmetry.Core.Stitching

/// Model stitching (ALGORITHMS §3): the stitching penalty (mean clean accuracy of A and B − stitched accuracy, in
/// accuracy points) per cut point and stitcher preset, averaged over the model pairs the store holds runs for. Read
/// from the runs `model_stitching.fsx` records (kind `stitching`).
module StitchingFigures =

    type private Run =
        { Point: string
          Preset: string
          Selection: string
          Penalty: float }

    let private runs (data: StoreData) =
        let metrics = data.Metrics |> Seq.filter (fun m -> m.Split = "summary" && m.Name = "penalty") |> Seq.map (fun m -> m.RunId, m.Value) |> Map.ofSeq
        [ for r in data.Runs do
            if r.Kind = StitchingRun.Kind && r.Status = RunStatus.Finished && metrics.ContainsKey r.Id then
                use config = JsonDocument.Parse r.ConfigJson
                let root = config.RootElement
                let selection =
                    match root.GetProperty("protocol").TryGetProperty("selection") with
                    | true, v -> v.ToString()
                    | _ -> "?"
                yield { Point = root.GetProperty("point").GetString() |> nonNull; Preset = root.GetProperty("preset").GetString() |> nonNull
                        Selection = selection; Penalty = metrics.[r.Id] } ]

    /// Cut points in forward order (layers.2 < layers.10 < layers.3.1 by their numbers, not as text).
    let private pointOrder (point: string) = point.Split('.') |> Array.skip 1 |> Array.map int |> List.ofArray

    /// The penalty figure and its table: one bar per (point, preset), the mean over pairs, min and max as error bars.
    let penaltyFigure (runs: (string * string * string * float) list) : ReportFigure * Frame<int, string> =
        let groups =
            runs
            |> List.groupBy (fun (point, preset, selection, _) -> point, preset, selection)
            |> List.map (fun ((point, preset, selection), rows) ->
                let values = rows |> List.map (fun (_, _, _, p) -> 100.0 * p)
                point, preset + " (" + selection + ")", List.average values, List.min values, List.max values, values.Length)
        let points = groups |> List.map (fun (p, _, _, _, _, _) -> p) |> List.distinct |> List.sortBy pointOrder
        let series = groups |> List.map (fun (_, s, _, _, _, _) -> s) |> List.distinct
        let chart =
            series
            |> List.mapi (fun i name ->
                let at point = groups |> List.tryFind (fun (p, s, _, _, _, _) -> p = point && s = name)
                let mean = points |> List.map (fun p -> at p |> Option.map (fun (_, _, m, _, _, _) -> m) |> Option.defaultValue nan)
                let above = points |> List.map (fun p -> at p |> Option.map (fun (_, _, m, _, hi, _) -> hi - m) |> Option.defaultValue 0.0)
                let below = points |> List.map (fun p -> at p |> Option.map (fun (_, _, m, lo, _, _) -> m - lo) |> Option.defaultValue 0.0)
                Chart.Column(values = mean, Keys = points, Name = name, MarkerColor = FamilySupport.palette.[i % FamilySupport.palette.Length])
                |> Chart.withYError(Error.init (Array = above, Arrayminus = below, Symmetric = false)))
            |> Chart.combine
            |> Chart.withXAxisStyle "cut point (ReLU output)"
            |> Chart.withYAxisStyle "stitching penalty (accuracy points)"
            |> Chart.withTitle "Stitching penalty per layer and stitcher"
            |> Chart.withSize(900, 480)
        let frame =
            groups
            |> List.sortBy (fun (p, s, _, _, _, _) -> pointOrder p, s)
            |> List.mapi (fun i (p, s, mean, lo, hi, n) ->
                i, Series.ofObservations [ "point", box p; "stitcher", box s; "mean_penalty_points", box mean; "min", box lo; "max", box hi; "pairs", box n ])
            |> Frame.ofRows
        { Name = "stitching-penalty"
          Title = "Stitching penalty per cut point and stitcher"
          Caption = "Mean clean test accuracy of A and B minus the stitched test accuracy, in accuracy points, averaged over model pairs (bars: min and max over pairs). The stitched accuracy is chosen on the validation split or on the test set (the original), as named."
          Chart = chart; Width = 900; Height = 480 }, frame

    /// The family.
    let family: Family =
        { Name = "stitching"
          Title = "Model stitching"
          Build =
            fun input ->
                match runs input.Data with
                | [] -> FamilyOutput.Empty
                | all ->
                    let figure, frame = penaltyFigure (all |> List.map (fun r -> r.Point, r.Preset, r.Selection, r.Penalty))
                    { Figures = [ figure ]
                      Tables = [ { Name = "stitching-penalty"; Title = "Stitching penalty per cut point and stitcher"; Frame = frame } ]
                      Notes = [] } }
