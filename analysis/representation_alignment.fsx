// The figure of representation_alignment.fsx: similarity per ReLU layer and metric, the mean over model pairs with
// min–max bars, from the alignment.csv that script writes beside its store; self-contained HTML plus SVG/PNG.
//   dotnet fsi analysis/representation_alignment.fsx [--csv results/alignment.csv] [--out results/report] [--no-images]
#load "_prelude.fsx"
open System.Globalization
open System.IO
open Plotly.NET
open Symmetry
open Symmetry.Analysis

let flags = Flags.OfScript fsi.CommandLineArgs
let csv = flags.String("csv", Path.Combine("results", "alignment.csv"))
let settings = { Directory = flags.String("out", ReportSettings.Default.Directory)
                 Images = if flags.Switch "no-images" then [] else ReportSettings.Default.Images }
flags.Finish()

if not (File.Exists csv) then Flags.Fail(sprintf "%s does not exist: run src/Symmetry.Scripts/representation_alignment.fsx first (it writes alignment.csv beside its store)" csv)
// model,layer,metric,a,b,similarity
let rows =
    Flags.Checked(fun () ->
        File.ReadAllLines csv
        |> Array.skip 1
        |> Array.map (fun line ->
            match line.Split ',' with
            | [| model; layer; metric; _; _; text |] ->
                match System.Double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture) with
                | true, value -> model, layer, metric, value
                | _ -> raise (System.ArgumentException(sprintf "%s: similarity '%s' is not a number in row: %s" csv text line))
            | _ -> raise (System.ArgumentException(sprintf "%s: not an alignment.csv row (model,layer,metric,a,b,similarity): %s" csv line)))
        |> List.ofArray)
if rows.IsEmpty then Flags.Fail(sprintf "%s has no rows" csv)
let model = rows |> List.map (fun (m, _, _, _) -> m) |> List.distinct |> String.concat ", "
let layerOrder (layer: string) = layer.Split('.') |> Array.skip 1 |> Array.map int |> List.ofArray
let layers = rows |> List.map (fun (_, l, _, _) -> l) |> List.distinct |> List.sortBy layerOrder
let metrics = rows |> List.map (fun (_, _, m, _) -> m) |> List.distinct
let chart =
    metrics
    |> List.map (fun metric ->
        let at layer = rows |> List.filter (fun (_, l, m, _) -> l = layer && m = metric) |> List.map (fun (_, _, _, v) -> v)
        let stats = layers |> List.map (fun l -> let v = at l in List.average v, List.min v, List.max v)
        Chart.Column(values = (stats |> List.map (fun (m, _, _) -> m)), Keys = layers, Name = metric)
        |> Chart.withYError(TraceObjects.Error.init (Array = (stats |> List.map (fun (m, _, hi) -> hi - m)), Arrayminus = (stats |> List.map (fun (m, lo, _) -> m - lo)), Symmetric = false)))
    |> Chart.combine
    |> Chart.withXAxisStyle "ReLU layer"
    |> Chart.withYAxisStyle "similarity (1: equal up to the metric's symmetries)"
    |> Chart.withTitle (sprintf "Representation similarity per layer and metric (%s zoo)" model)
    |> Chart.withSize(900, 480)
let figure =
    { Name = "representation-alignment"; Title = "Representation similarity per ReLU layer and metric"
      Caption = sprintf "Mean over every pair of zoo models (bars: min and max over pairs), from %s." csv
      Chart = chart; Width = 900; Height = 480 }
let html, images, skipped = Report.writeFigures settings [ figure ]
for path in html @ images do printfn "wrote %s" path
skipped |> Option.iter (printfn "static images skipped: %s")
