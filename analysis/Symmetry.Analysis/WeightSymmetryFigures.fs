namespace Symmetry.Analysis

open System
open System.Globalization
open System.Numerics
open System.Text.Json
open Deedle
open Plotly.NET
open Symmetry.Core.Masks

/// Weight symmetry (ALGORITHMS §1): best test accuracy against sparsity per mask type, beside log10 of the neuron
/// permutations the propagated mask still allows; one figure per experiment, and the table behind it.
module WeightSymmetryFigures =

    /// log10 Π N_i! over the hidden widths in `config/widths` (the dense network's count), when the run has widths.
    let denseLog10 (runs: Frame<string, string>) (run: string) : float option =
        FamilySupport.tryGet<string> runs "config/widths" run
        |> Option.bind (fun text ->
            try
                let widths = JsonSerializer.Deserialize<int64[]> text |> nonNull
                let count = widths |> Array.fold (fun p w -> p * MaskStatistics.Factorial w) BigInteger.One
                if widths.Length = 0 then None else Some(MaskStatistics.Log10PlusOne count)
            with :? JsonException -> None)

    /// The figure of one experiment from its rows of `Queries.weightSymmetryTable`.
    let figure (runs: Frame<string, string>) (experiment: string) (ids: string array) (table: Frame<int, string>) : ReportFigure =
        let rows = table.RowKeys |> Seq.filter (fun i -> table.GetColumn<string>("experiment").[i] = experiment) |> Array.ofSeq
        let get (name: string) (i: int) = match table.GetColumn<float>(name).TryGet i with | v when v.HasValue -> v.Value | _ -> nan
        let typeOf (i: int) = table.GetColumn<string>("mask_type").[i]
        let types = FamilySupport.ordered (rows |> Seq.map typeOf)
        let seeds = rows |> Array.map (fun i -> table.GetColumn<int>("runs").[i])
        let panel (mean: string) (std: string) (showLegend: bool) =
            [ for t in types ->
                  let points = rows |> Array.filter (fun i -> typeOf i = t) |> Array.sortBy (get "sparsity")
                  Chart.Line(points |> Array.map (get "sparsity"), points |> Array.map (get mean), ShowMarkers = true, Name = t,
                             ShowLegend = showLegend, LineColor = FamilySupport.colour types t, MarkerColor = FamilySupport.colour types t)
                  |> Chart.withYErrorStyle(Array = (points |> Array.map (get std)))
                  |> Chart.withTraceInfo(LegendGroup = t) ]
        let dense = denseLog10 runs ids.[0]
        let sparsities = rows |> Array.map (get "sparsity")
        let reference =
            match dense with
            | Some d when sparsities.Length > 0 ->
                [ Chart.Line([ Array.min sparsities; Array.max sparsities ], [ d; d ], Name = "dense network", ShowLegend = true,
                             LineColor = Color.fromString "#888", LineDash = StyleParam.DrawingStyle.Dash) ]
            | _ -> []
        let accuracy =
            panel "accuracy_mean" "accuracy_std" true |> Chart.combine
            |> Chart.withXAxisStyle("sparsity (fraction of weights masked)")
            |> Chart.withYAxisStyle("best test accuracy")
        let permutations =
            panel "permutation_log10_mean" "permutation_log10_std" false @ reference |> Chart.combine
            |> Chart.withXAxisStyle("sparsity (fraction of weights masked)")
            |> Chart.withYAxisStyle("log10(permutations + 1), propagated mask")
        let perPoint =
            match Array.distinct seeds with
            | [| n |] -> sprintf "%d run%s per point" n (if n = 1 then "" else "s")
            | counts -> sprintf "%d–%d runs per point" (Array.min counts) (Array.max counts)
        let subtitle = FamilySupport.describe runs ids + " · " + perPoint
        { Name = "weight-symmetry-" + experiment
          Title = "Weight symmetry: accuracy and surviving permutations against sparsity"
          Caption =
            sprintf "Experiment %s (%s). Left: best test accuracy of each run, mean ± standard deviation over seeds, per mask type. Right: log10 of the number of neuron permutations the propagated mask still allows (exact counts in the store)%s."
                experiment subtitle
                (match dense with
                 | Some d -> sprintf "; dashed: the dense network's log10 Π N_i! = %s" (d.ToString("0.0", CultureInfo.InvariantCulture))
                 | None -> "")
          Chart =
            [ accuracy; permutations ]
            |> Chart.Grid(1, 2, XGap = 0.22)
            |> Chart.withTitle(sprintf "Weight symmetry — %s" subtitle)
            |> Chart.withSize(1100, 480)
          Width = 1100
          Height = 480 }

    /// The family: one figure per experiment with mask-driver runs, and the table.
    let family: Family =
        { Name = "weight-symmetry"
          Title = "Weight symmetry"
          Build =
            fun input ->
                let table = Queries.weightSymmetryTable input.Runs
                if table.RowCount = 0 then FamilyOutput.Empty
                else
                    let experimentsInTable = table.GetColumn<string>("experiment").Values |> set
                    let ids = input.Runs.RowKeys |> Seq.filter (fun id ->
                        FamilySupport.tryGet<string> input.Runs Column.Experiment id |> Option.exists experimentsInTable.Contains)
                    let shown, left = FamilySupport.experiments input.Runs ids
                    { Figures = shown |> List.map (fun (e, ids) -> figure input.Runs e ids table)
                      Tables = [ { Name = "weight-symmetry"; Title = "Mask type × sparsity, mean ± std over seeds"; Frame = table } ]
                      Notes = FamilySupport.omitted left } }
