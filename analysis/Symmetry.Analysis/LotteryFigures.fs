namespace Symmetry.Analysis

open System
open System.Globalization
open Deedle
open Plotly.NET
open Symmetry.Core.Results
open Symmetry.Core.Experiments.Lottery

/// Lottery tickets, linear mode connectivity and layer robustness (ALGORITHMS §4): test accuracy against the weights
/// remaining for tickets and their two controls; test error along the path between two children of one state; the
/// test error of each layer re-initialised and re-randomised. Read from the measurement runs the scripts record.
module LotteryFigures =

    let private metricsOf (data: StoreData) (kind: string) =
        let ids = data.Runs |> Seq.filter (fun r -> r.Kind = kind && r.Status = RunStatus.Finished) |> Seq.map _.Id |> Set.ofSeq
        data.Metrics |> Seq.filter (fun m -> ids.Contains m.RunId) |> Seq.groupBy _.RunId |> Seq.map (fun (id, rows) -> id, Array.ofSeq rows) |> Array.ofSeq

    let private value (rows: MetricRow array) split step name =
        rows |> Array.tryFind (fun m -> m.Split = split && m.Step = step && m.Name = name) |> Option.map _.Value |> Option.defaultValue nan

    let private cell (x: 'T) : obj = nonNull (box x)

    let private short (id: string) = id.Substring(0, min id.Length 24)

    let private frame (rows: (string * obj) list list) : Frame<int, string> =
        rows |> List.mapi (fun i row -> i, Series.ofObservations row) |> Frame.ofRows

    /// Accuracy against % weights remaining (log axis), ticket and controls, one figure per IMP run.
    let impFigure (id: string) (rows: MetricRow array) : ReportFigure * (string * obj) list list =
        let rounds = rows |> Array.filter (fun m -> m.Split = "imp") |> Array.map _.Step |> Array.distinct |> Array.sort
        let get name = rounds |> Array.map (fun r -> value rows "imp" r name)
        let remaining = get "weights_remaining" |> Array.map ((*) 100.0)
        let line name metric colour =
            let ys = get metric
            let points = Array.zip remaining ys |> Array.filter (snd >> Double.IsNaN >> not)
            Chart.Line(Array.map fst points, Array.map snd points, ShowMarkers = true, Name = name, LineColor = Color.fromHex colour, MarkerColor = Color.fromHex colour)
        let chart =
            [ line "ticket (rewound)" "ticket_test_accuracy" "#636efa"
              line "random reinit control" "reinit_test_accuracy" "#EF553B"
              line "random mask control" "random_mask_test_accuracy" "#00cc96" ]
            |> Chart.combine
            |> Chart.withXAxisStyle("% of prunable weights remaining", AxisType = StyleParam.AxisType.Log)
            |> Chart.withYAxisStyle("final test accuracy")
            |> Chart.withTitle(sprintf "Lottery tickets — %s" (short id))
            |> Chart.withSize(800, 480)
        let table =
            [ for i in 0 .. rounds.Length - 1 ->
                [ "run", cell id; "round", cell rounds.[i]; "weights_remaining_percent", cell remaining.[i]
                  "ticket", cell (get "ticket_test_accuracy").[i]; "reinit", cell (get "reinit_test_accuracy").[i]
                  "random_mask", cell (get "random_mask_test_accuracy").[i] ] ]
        { Name = "lottery-imp-" + short id
          Title = "Lottery tickets: test accuracy against weights remaining"
          Caption = sprintf "IMP run %s: round 0 is the dense network; each later point a ticket (mask from pruning, weights rewound, retrained) and its two controls trained the same way: a fresh initialisation with the ticket's mask, and a random mask with the ticket's layer-wise counts." id
          Chart = chart; Width = 800; Height = 480 }, table

    /// Test error against α for every instability run, one line each, in one figure.
    let instabilityFigure (runs: (string * MetricRow array) array) : ReportFigure * (string * obj) list list =
        let lines, table =
            runs
            |> Array.map (fun (id, rows) ->
                let path = rows |> Array.filter (fun m -> m.Split = "interpolation" && m.Name = "test_error") |> Array.sortBy _.Step
                let instability = value rows "summary" 0 "instability"
                let bn = value rows "summary" 0 "batch_norm_recomputed" = 1.0
                let label = sprintf "%s (instability %.3f%s)" (short id) instability (if bn then ", BN recomputed" else "")
                Chart.Line(path |> Array.map _.Epoch, path |> Array.map _.Value, ShowMarkers = true, Name = label),
                [ "run", cell id; "instability", cell instability; "error_alpha_0", cell path.[0].Value
                  "error_alpha_1", cell path.[path.Length - 1].Value; "max_error", cell (path |> Array.map _.Value |> Array.max)
                  "batch_norm_recomputed", cell bn ])
            |> Array.unzip
        let chart =
            lines |> Chart.combine
            |> Chart.withXAxisStyle("α (0: first child, 1: second child)")
            |> Chart.withYAxisStyle("test error")
            |> Chart.withTitle "Linear mode connectivity"
            |> Chart.withSize(900, 480)
        { Name = "lottery-instability"
          Title = "Instability: test error along the line between two children of one state"
          Caption = "Each line: a state W_k, two children trained from it on different data orders, the test error of (1 − α)W₁ + αW₂. Instability = max − mean of the ends; stable when under 0.02. Which state and k each run measured is in its run configuration."
          Chart = chart; Width = 900; Height = 480 }, List.ofArray table

    /// Test error per layer re-initialised / re-randomised, as a heat map per run.
    let robustnessFigure (id: string) (rows: MetricRow array) : ReportFigure * (string * obj) list list =
        let layers = rows |> Array.filter (fun m -> m.Split = LayerRobustness.Kind) |> Array.map _.Step |> Array.distinct |> Array.sort
        let trained = value rows "trained" 0 "test_error"
        let grid =
            [ [ for l in layers -> value rows LayerRobustness.Kind l "reinit_test_error" ]
              [ for l in layers -> value rows LayerRobustness.Kind l "rerandomize_test_error" ] ]
        let names = layers |> Array.map (fun l -> sprintf "layer %d" (l + 1L))
        let chart =
            Chart.Heatmap(grid, X = names, Y = [ "re-initialise (θ₀)"; "re-randomise" ], ColorScale = StyleParam.Colorscale.Viridis, ShowScale = true)
            |> Chart.withTitle(sprintf "Layer robustness — %s (trained error %.3f)" (short id) trained)
            |> Chart.withSize(800, 360)
        let table =
            [ for i in 0 .. layers.Length - 1 ->
                [ "run", cell id; "layer", cell (layers.[i] + 1L); "trained_error", cell trained
                  "reinit_error", cell grid.[0].[i]; "rerandomize_error", cell grid.[1].[i] ] ]
        { Name = "lottery-robustness-" + short id
          Title = "Layer robustness: test error with one layer re-initialised or re-randomised"
          Caption = sprintf "Run %s: each Linear/Conv2d layer (weight and bias, in definition order) replaced by its θ₀ values or by a fresh draw from the initialiser, the rest as trained." id
          Chart = chart; Width = 800; Height = 360 }, table

    /// The family.
    let family: Family =
        { Name = "lottery"
          Title = "Lottery tickets, mode connectivity, layer robustness"
          Build =
            fun input ->
                let imp = metricsOf input.Data ImpResults.Kind |> Array.map (fun (id, rows) -> impFigure id rows)
                let instability = metricsOf input.Data InstabilityAnalysis.Kind
                let robustness = metricsOf input.Data LayerRobustness.Kind |> Array.map (fun (id, rows) -> robustnessFigure id rows)
                let instabilityPart = if instability.Length = 0 then [] else [ instabilityFigure instability ]
                let table name title (parts: (ReportFigure * (string * obj) list list) list) =
                    match parts |> List.collect snd with
                    | [] -> []
                    | rows -> [ { Name = name; Title = title; Frame = frame rows } ]
                { Figures = (List.ofArray imp @ instabilityPart @ List.ofArray robustness) |> List.map fst
                  Tables =
                    table "lottery-imp" "IMP rounds: weights remaining and final test accuracy" (List.ofArray imp)
                    @ table "lottery-instability" "Instability per run" instabilityPart
                    @ table "lottery-robustness" "Layer robustness per run and layer" (List.ofArray robustness)
                  Notes = [] } }
