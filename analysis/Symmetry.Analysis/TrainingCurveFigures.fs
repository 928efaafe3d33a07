namespace Symmetry.Analysis

open System
open Deedle
open Plotly.NET
open Symmetry.Core.Results
open Symmetry.Core.Training

/// Training curves: test accuracy and training loss against epoch, the mean over the runs of each group (mask type
/// for mask drivers, else the driver), one figure per experiment with a column per sparsity.
module TrainingCurveFigures =

    /// The rows of the grid: metric name and axis title.
    let panels = [ MetricNames.TestAccuracy, "test accuracy"; MetricNames.TrainLoss, "training loss" ]

    /// Sparsities side by side at most; beyond, one column with a line style per sparsity.
    let maxColumns = 4

    /// Line styles by sparsity rank when the sparsities share a column.
    let private dashes =
        [| StyleParam.DrawingStyle.Solid; StyleParam.DrawingStyle.Dash; StyleParam.DrawingStyle.Dot; StyleParam.DrawingStyle.DashDot
           StyleParam.DrawingStyle.LongDash; StyleParam.DrawingStyle.LongDashDot |]

    /// A run's line (mask type, else driver) and its sparsity, if any.
    let private groupOf (runs: Frame<string, string>) (run: string) =
        match FamilySupport.tryGet<string> runs Column.MaskType run with
        | Some maskType -> maskType, FamilySupport.tryGet<float> runs Column.Sparsity run
        | None -> (FamilySupport.tryGet<string> runs "kind" run |> Option.defaultValue "run"), None

    /// The mean of `metric` over `members` at each epoch.
    let private curve (byRun: Collections.Generic.IDictionary<string, MetricRow array>) (metric: string) (members: string seq) =
        members
        |> Seq.collect (fun id -> match byRun.TryGetValue id with | true, rows -> rows :> seq<_> | _ -> Seq.empty)
        |> Seq.filter (fun m -> m.Name = metric && not (Double.IsNaN m.Value))
        |> Seq.groupBy _.Epoch
        |> Seq.map (fun (epoch, ms) -> epoch, ms |> Seq.averageBy _.Value)
        |> Seq.sortBy fst
        |> Array.ofSeq

    /// The figure of one experiment's runs, from the store's metrics (`byRun`: run id → its metric rows).
    let figure (runs: Frame<string, string>) (experiment: string) (ids: string array)
               (byRun: Collections.Generic.IDictionary<string, MetricRow array>) : ReportFigure option =
        let grouped = ids |> Array.groupBy (groupOf runs)
        let lines = FamilySupport.ordered (grouped |> Seq.map (fst >> fst))
        let sparsities = grouped |> Array.map (fst >> snd) |> Array.distinct |> Array.sort
        let columns = if sparsities.Length <= maxColumns then sparsities |> Array.map Some else [| None |]
        let panel (metric: string, title: string) (row: int) (column: int) =
            let inColumn (_, sparsity) = match columns.[column] with Some s -> sparsity = s | None -> true
            [ for line in lines do
                  for (key, sparsity), members in grouped |> Array.filter (fun (g, _) -> fst g = line && inColumn g) do
                      let points = curve byRun metric members
                      if points.Length > 0 then
                          let shared = columns.[column].IsNone && sparsity.IsSome
                          let name = if shared then sprintf "%s s=%s" key (FamilySupport.number sparsity.Value) else key
                          let dash = if shared then dashes.[Array.findIndex ((=) sparsity) sparsities % dashes.Length] else StyleParam.DrawingStyle.Solid
                          let colour = FamilySupport.colour lines key
                          yield
                              Chart.Line(points |> Array.map fst, points |> Array.map snd, ShowMarkers = true, Name = name,
                                         ShowLegend = (row = 0 && column = 0), LineColor = colour, MarkerColor = colour, LineDash = dash)
                              |> Chart.withTraceInfo(LegendGroup = name) ]
            |> fun traces ->
                let chart = if traces.IsEmpty then Chart.Invisible() else Chart.combine traces
                chart
                |> Chart.withXAxisStyle(if row = panels.Length - 1 then "epoch" else "")
                |> Chart.withYAxisStyle(if column = 0 then title else "")
        let present = panels |> List.filter (fun (metric, _) -> ids |> Array.exists (fun id -> (curve byRun metric [ id ]).Length > 0))
        if present.IsEmpty then None
        else
            let charts = [ for r, p in List.indexed present do for c in 0 .. columns.Length - 1 -> panel p r c ]
            let titles =
                [| for _ in present do
                       for c in columns -> match c with Some(Some s) -> sprintf "sparsity %s" (FamilySupport.number s) | _ -> "" |]
            let height = 140 + 300 * present.Length
            let subtitle = FamilySupport.describe runs ids + sprintf " · %d runs" ids.Length
            Some
                { Name = "training-curves-" + experiment
                  Title = "Training curves"
                  Caption =
                    sprintf "Experiment %s (%s). Test accuracy and training loss at each evaluation, the mean over the runs (seeds) of each mask type%s."
                        experiment subtitle (if columns.Length > 1 then ", one column per sparsity" else "")
                  Chart =
                    charts
                    |> Chart.Grid(present.Length, columns.Length, SubPlotTitles = titles, XGap = 0.12, YGap = 0.2)
                    |> Chart.withTitle(sprintf "Training curves — %s" subtitle)
                    |> Chart.withSize(1100, height)
                  Width = 1100
                  Height = height }

    /// The family: one figure per experiment whose runs recorded metrics.
    let family: Family =
        { Name = "training-curves"
          Title = "Training curves"
          Build =
            fun input ->
                let byRun = input.Data.Metrics |> Seq.groupBy _.RunId |> Seq.map (fun (k, v) -> k, Array.ofSeq v) |> dict
                let ids = input.Runs.RowKeys |> Seq.filter byRun.ContainsKey
                if Seq.isEmpty ids then FamilyOutput.Empty
                else
                    let shown, left = FamilySupport.experiments input.Runs ids
                    { Figures = shown |> List.choose (fun (e, ids) -> figure input.Runs e ids byRun)
                      Tables = []
                      Notes = FamilySupport.omitted left } }
