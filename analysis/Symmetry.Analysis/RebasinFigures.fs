namespace Symmetry.Analysis

open System
open Deedle
open Plotly.NET
open Symmetry.Core.Results
open Symmetry.Core.Experiments.Rebasin

/// Git Re-Basin (ALGORITHMS §6): loss and accuracy along the straight line from A to B, naive and with B's hidden
/// units permuted by weight matching, from the measurement runs `rebasin.fsx` records; the barriers per run.
module RebasinFigures =

    let private cell (x: 'T) : obj = nonNull (box x)

    let private short (id: string) = id.Substring(0, min id.Length 24)

    /// The curve of one path on one set ("test" or "train") from a run's metric rows; None when not measured.
    let curve (rows: MetricRow array) (path: string) (set: string) : InterpolationCurve option =
        let points name = rows |> Array.filter (fun m -> m.Split = path && m.Name = name) |> Array.sortBy _.Step
        let losses, accuracies = points (set + "_loss"), points (set + "_accuracy")
        if losses.Length < 2 || losses.Length <> accuracies.Length then None
        else Some(InterpolationCurve(losses |> Array.map _.Epoch, losses |> Array.map _.Value, accuracies |> Array.map _.Value))

    let private colours = dict [ RebasinAnalysis.NaivePath, Color.fromHex "#EF553B"; RebasinAnalysis.PermutedPath, Color.fromHex "#636efa" ]

    /// Loss (left) and accuracy (right) against λ, naive and permuted; test solid, train dotted.
    let figure (id: string) (rows: MetricRow array) : ReportFigure * (string * obj) list list =
        let series (pick: InterpolationCurve -> float seq) (legend: bool) =
            [ for path in [ RebasinAnalysis.NaivePath; RebasinAnalysis.PermutedPath ] do
                for set, dash in [ "test", StyleParam.DrawingStyle.Solid; "train", StyleParam.DrawingStyle.Dot ] do
                    match curve rows path set with
                    | Some c ->
                        Chart.Line(c.Lambdas, pick c, ShowMarkers = true, Name = sprintf "%s, %s" path set, ShowLegend = legend,
                                   LineColor = colours.[path], MarkerColor = colours.[path], LineDash = dash)
                    | None -> () ]
            |> Chart.combine
        let chart =
            [ series (fun c -> c.Losses) true |> Chart.withXAxisStyle "λ (0: A, 1: B)" |> Chart.withYAxisStyle "cross-entropy"
              series (fun c -> c.Accuracies) false |> Chart.withXAxisStyle "λ (0: A, 1: B)" |> Chart.withYAxisStyle "accuracy" ]
            |> Chart.Grid(1, 2, SubPlotTitles = [| "loss"; "accuracy" |], XGap = 0.15)
            |> Chart.withTitle(sprintf "Re-basin — %s" (short id))
            |> Chart.withSize(1000, 440)
        let table =
            [ for path in [ RebasinAnalysis.NaivePath; RebasinAnalysis.PermutedPath ] do
                for set in [ "test"; "train" ] do
                    match curve rows path set with
                    | Some c ->
                        [ "run", cell id; "path", cell path; "set", cell set; "loss_barrier", cell c.LossBarrier
                          "loss_barrier_midpoint", cell (if c.Lambdas |> Seq.contains 0.5 then c.LossBarrierAtMidpoint else nan)
                          "error_barrier", cell c.ErrorBarrier; "loss_lambda_0", cell c.Losses.[0]; "loss_lambda_1", cell c.Losses.[c.Losses.Count - 1] ]
                    | None -> () ]
        { Name = short id
          Title = "Re-basin: loss and accuracy along the path between two zoo models, naive and permuted"
          Caption = sprintf "Run %s: (1 − λ)·A + λ·B (naive, red) and (1 − λ)·A + λ·P(B) with P from weight matching (blue); test solid, train dotted. BatchNorm statistics, if any, recomputed at every λ. Barrier = max over λ of L(λ) − ((1 − λ)L(0) + λL(1))." id
          Chart = chart; Width = 1000; Height = 440 }, table

    /// The family.
    let family: Family =
        { Name = "rebasin"
          Title = "Git Re-Basin: barriers before and after weight matching"
          Build =
            fun input ->
                let ids = input.Data.Runs |> Seq.filter (fun r -> r.Kind = RebasinAnalysis.Kind && r.Status = RunStatus.Finished) |> Seq.map _.Id |> Set.ofSeq
                let parts =
                    input.Data.Metrics |> Seq.filter (fun m -> ids.Contains m.RunId) |> Seq.groupBy _.RunId
                    |> Seq.map (fun (id, rows) -> figure id (Array.ofSeq rows)) |> List.ofSeq
                match parts |> List.collect snd with
                | [] -> FamilyOutput.Empty
                | rows ->
                    { Figures = parts |> List.map fst
                      Tables = [ { Name = "rebasin"; Title = "Barriers per run, path and set"; Frame = rows |> List.mapi (fun i row -> i, Series.ofObservations row) |> Frame.ofRows } ]
                      Notes = [] } }
