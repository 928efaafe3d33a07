namespace Symmetry.Analysis

open System
open Deedle
open Plotly.NET
open Symmetry.Core.Results
open Symmetry.Core.Training

/// Training curves: test accuracy and training loss against epoch, the mean over the runs of each line (mask type for
/// mask drivers, else the driver), one figure per experiment with a panel per sparsity.
module TrainingCurveFigures =

    /// The rows of the grid: metric name and axis title.
    let panels = [ MetricNames.TestAccuracy, "test accuracy"; MetricNames.TrainLoss, "training loss" ]

    /// Panels per row of sparsities; more sparsities wrap onto further rows.
    let maxColumns = 4

    /// Sparsities drawn as panels at most; beyond (e.g. a random-mask driver's drawn sparsities) each line averages
    /// over every sparsity, and the caption says so.
    let maxPanels = 12

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

    /// The figure of one experiment's runs, from the store's metrics (`byRun`: run id → its metric rows): a row of
    /// panels per metric (wrapped every `maxColumns` sparsities), a line per mask type (or driver).
    let figure (runs: Frame<string, string>) (experiment: string) (ids: string array)
               (byRun: Collections.Generic.IDictionary<string, MetricRow array>) : ReportFigure option =
        let grouped = ids |> Array.groupBy (groupOf runs)
        let lines = FamilySupport.ordered (grouped |> Seq.map (fst >> fst))
        let sparsities = grouped |> Array.map (fst >> snd) |> Array.distinct |> Array.sort
        let split = sparsities.Length <= maxPanels && sparsities |> Array.forall Option.isSome
        // The panels of one metric: one per sparsity, or a single one over all of them.
        let panelKeys = if split then sparsities |> Array.map Some else [| None |]
        let columns = min maxColumns panelKeys.Length
        let blocks = (panelKeys.Length + columns - 1) / columns
        let present = panels |> List.filter (fun (metric, _) -> ids |> Array.exists (fun id -> (curve byRun metric [ id ]).Length > 0))
        let panel (metric: string, title: string) (block: int) (column: int) (firstPanel: bool) (bottom: bool) =
            let index = block * columns + column
            if index >= panelKeys.Length then Chart.Invisible()
            else
                let inPanel (_, sparsity) = match panelKeys.[index] with Some s -> sparsity = s | None -> true
                [ for line in lines do
                      let members = grouped |> Array.filter (fun (g, _) -> fst g = line && inPanel g) |> Array.collect snd
                      let points = curve byRun metric members
                      if points.Length > 0 then
                          let colour = FamilySupport.colour lines line
                          yield
                              Chart.Line(points |> Array.map fst, points |> Array.map snd, ShowMarkers = true, Name = line,
                                         ShowLegend = firstPanel, LineColor = colour, MarkerColor = colour)
                              |> Chart.withTraceInfo(LegendGroup = line) ]
                |> fun traces -> if traces.IsEmpty then Chart.Invisible() else Chart.combine traces
                |> Chart.withXAxisStyle(if bottom then "epoch" else "")
                |> Chart.withYAxisStyle(if column = 0 then title else "")
        if present.IsEmpty then None
        else
            let rows = present.Length * blocks
            let charts =
                [ for m, p in List.indexed present do
                      for b in 0 .. blocks - 1 do
                          for c in 0 .. columns - 1 ->
                              panel p b c (m = 0 && b = 0 && c = 0) (m = present.Length - 1 && b = blocks - 1) ]
            let titles =
                [| for _ in present do
                       for i in 0 .. blocks * columns - 1 ->
                           match Array.tryItem i panelKeys with
                           | Some(Some(Some s)) -> sprintf "sparsity %s" (FamilySupport.number s)
                           | _ -> "" |]
            let height = 140 + 280 * rows
            let subtitle = FamilySupport.describe runs ids + sprintf " · %d runs" ids.Length
            let across =
                if split && panelKeys.Length > 1 then ", a panel per sparsity"
                elif sparsities |> Array.exists Option.isSome && sparsities.Length > 1 then
                    sprintf ", each line averaged over its %d sparsities" sparsities.Length
                else ""
            Some
                { Name = "training-curves-" + experiment
                  Title = "Training curves"
                  Caption =
                    sprintf "Experiment %s (%s). Test accuracy and training loss at each evaluation, the mean over the runs (seeds) of each mask type or driver%s."
                        experiment subtitle across
                  Chart =
                    charts
                    |> Chart.Grid(rows, columns, SubPlotTitles = titles, XGap = 0.12, YGap = 0.25)
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
