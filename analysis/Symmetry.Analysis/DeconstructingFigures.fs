namespace Symmetry.Analysis

open System
open Deedle
open Plotly.NET
open Symmetry.Core.Results
open Symmetry.Core.Deconstructing

/// Deconstructing lottery tickets (ALGORITHMS §4): test accuracy against the weights remaining, one line per keep
/// criterion and mask-1 action, for untrained networks under each mask (supermasks) and for trained ones; and the
/// trained supermasks' sampled accuracies. Read from the measurement runs deconstructing.fsx and supermask.fsx record.
module DeconstructingFigures =

    let private runsOf (data: StoreData) (kind: string) =
        let ids = data.Runs |> Seq.filter (fun r -> r.Kind = kind && r.Status = RunStatus.Finished) |> Seq.map _.Id |> Set.ofSeq
        data.Metrics |> Seq.filter (fun m -> ids.Contains m.RunId) |> Seq.groupBy _.RunId |> Seq.map (fun (id, rows) -> id, Array.ofSeq rows) |> Array.ofSeq

    let private cell (x: 'T) : obj = nonNull (box x)
    let private short (id: string) = id.Substring(0, min id.Length 24)

    // Eleven distinguishable colours (one per criterion) and five dash styles (one per mask-1 action).
    let private palette =
        [| "#1f77b4"; "#d62728"; "#2ca02c"; "#9467bd"; "#ff7f0e"; "#17becf"; "#8c564b"; "#e377c2"; "#7f7f7f"; "#bcbd22"; "#000000" |]
    let private dashes =
        [| StyleParam.DrawingStyle.Solid; StyleParam.DrawingStyle.Dash; StyleParam.DrawingStyle.Dot; StyleParam.DrawingStyle.DashDot; StyleParam.DrawingStyle.LongDash |]

    let private frame (rows: (string * obj) list list) : Frame<int, string> =
        rows |> List.mapi (fun i row -> i, Series.ofObservations row) |> Frame.ofRows

    /// One figure per (run, untrained | trained): accuracy against % remaining, a line per criterion and action.
    let branchFigures (id: string) (rows: MetricRow array) : (ReportFigure * (string * obj) list list) list =
        // Split labels are criterion|mask-1|mask-0|init-or-trained; step is the branch's index.
        let branches =
            rows |> Array.groupBy _.Step
            |> Array.map (fun (_, r) ->
                let get name = r |> Array.find (fun m -> m.Name = name) |> _.Value
                let parts = r.[0].Split.Split('|')
                parts, r.[0].Epoch, 100.0 * get "weights_remaining", get "test_accuracy")
        [ for state, title in [ "init", "untrained under each mask (supermask)"; "trained", "trained from each mask's start" ] do
            let chosen = branches |> Array.filter (fun (p, _, _, _) -> p.Length = 4 && p.[3] = state)
            if chosen.Length > 0 then
                // A colour per criterion, a dash per mask-1 action: 22 lines stay readable.
                let criteria = chosen |> Array.map (fun (p, _, _, _) -> p.[0]) |> Array.distinct
                let actions = chosen |> Array.map (fun (p, _, _, _) -> p.[1]) |> Array.distinct
                let lines =
                    chosen
                    |> Array.groupBy (fun (p, _, _, _) -> p.[0], p.[1], p.[2])
                    |> Array.map (fun ((criterion, one, zero), points) ->
                        let sorted = points |> Array.sortBy (fun (_, _, remaining, _) -> -remaining)
                        // One criterion: a colour per action instead, all solid.
                        let single = criteria.Length = 1
                        let colour = Color.fromHex palette.[(if single then Array.IndexOf(actions, one) else Array.IndexOf(criteria, criterion)) % palette.Length]
                        let dash = if single then StyleParam.DrawingStyle.Solid else dashes.[Array.IndexOf(actions, one) % dashes.Length]
                        let label = sprintf "%s, %s%s" criterion one (if zero = "zero" then "" else ", " + zero)
                        Chart.Line(sorted |> Array.map (fun (_, _, r, _) -> r), sorted |> Array.map (fun (_, _, _, a) -> a), ShowMarkers = true, Name = label,
                                   LineColor = colour, MarkerColor = colour, LineDash = dash))
                let chart =
                    lines |> Chart.combine
                    |> Chart.withXAxisStyle("% of prunable weights remaining", AxisType = StyleParam.AxisType.Log)
                    |> Chart.withYAxisStyle("test accuracy")
                    |> Chart.withTitle(sprintf "Deconstructing lottery tickets, %s — %s" title (short id))
                    |> Chart.withSize(1100, 760)
                let table =
                    [ for (p, level, remaining, accuracy) in chosen ->
                        [ "run", cell id; "criterion", cell p.[0]; "mask_one", cell p.[1]; "mask_zero", cell p.[2]; "state", cell p.[3]
                          "level", cell level; "weights_remaining_percent", cell remaining; "test_accuracy", cell accuracy ] ]
                { Name = sprintf "deconstructing-%s-%s" state (short id)
                  Title = sprintf "Test accuracy per criterion and action, %s" title
                  Caption = sprintf "Run %s: each line a keep criterion (scores of w_i and w_f, lowest pruned per layer) and mask-1 action (what the kept weights start from); %s." id
                      (if state = "init" then "the network is evaluated at its start, untrained: the accuracy a mask alone gives" else "each branch trained with the dense network's recipe")
                  Chart = chart; Width = 1100; Height = 760 }, table ]

    /// Every trained supermask: mean sampled accuracy and the samples' spread.
    let supermaskFigure (runs: (string * MetricRow array) array) : ReportFigure * (string * obj) list list =
        let results =
            runs |> Array.map (fun (id, rows) ->
                let get name = rows |> Array.tryFind (fun m -> m.Split = "supermask" && m.Name = name) |> Option.map _.Value |> Option.defaultValue nan
                let samples = rows |> Array.filter (fun m -> m.Split = "supermask" && m.Name.StartsWith "test_accuracy_sample_") |> Array.map _.Value
                id, get "test_accuracy_mean", get "expected_kept_fraction", samples)
        let chart =
            Chart.Column(results |> Array.map (fun (_, a, _, _) -> a), Keys = (results |> Array.map (fun (id, _, _, _) -> short id)), Name = "mean of sampled masks")
            |> Chart.withYAxisStyle("test accuracy")
            |> Chart.withTitle "Trained supermasks"
            |> Chart.withSize(700, 420)
        let table =
            [ for (id, accuracy, kept, samples) in results ->
                [ "run", cell id; "test_accuracy_mean", cell accuracy; "sample_min", cell (Array.min samples); "sample_max", cell (Array.max samples)
                  "expected_kept_fraction", cell kept ] ]
        { Name = "deconstructing-supermask"
          Title = "Trained supermasks: test accuracy, mean over sampled masks"
          Caption = "Each bar a supermask trained on a network's frozen initial weights (one logit per weight, straight-through Bernoulli); the accuracy is the mean over masks sampled from σ(logits), each held for a whole test pass. Settings are in each run's configuration."
          Chart = chart; Width = 700; Height = 420 }, table

    /// The family.
    let family: Family =
        { Name = "deconstructing"
          Title = "Deconstructing lottery tickets: criteria, mask actions, supermasks"
          Build =
            fun input ->
                let branches = runsOf input.Data DeconstructingResults.Kind |> Array.toList |> List.collect (fun (id, rows) -> branchFigures id rows)
                let supermasks = runsOf input.Data SupermaskTraining.Kind
                let supermaskPart = if supermasks.Length = 0 then [] else [ supermaskFigure supermasks ]
                let table name title (parts: (ReportFigure * (string * obj) list list) list) =
                    match parts |> List.collect snd with
                    | [] -> []
                    | rows -> [ { Name = name; Title = title; Frame = frame rows } ]
                { Figures = (branches @ supermaskPart) |> List.map fst
                  Tables =
                    table "deconstructing-branches" "Branches: criterion, actions, weights remaining, test accuracy" branches
                    @ table "deconstructing-supermask" "Trained supermasks" supermaskPart
                  Notes = [] } }
