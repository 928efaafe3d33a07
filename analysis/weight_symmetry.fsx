// Weight symmetry from the store: the mask type × sparsity table (mean ± std over seeds) and one figure per experiment
// (accuracy vs sparsity beside log10 surviving permutations), as self-contained HTML plus SVG/PNG.
//   dotnet fsi analysis/weight_symmetry.fsx [--db results/symmetry.db] [--out results/report] [--no-images]
#load "_prelude.fsx"
open Deedle
open Symmetry
open Symmetry.Analysis
open Symmetry.Core.Results

let flags = Flags.OfScript fsi.CommandLineArgs
let db = flags.String("db", ResultsStore.DefaultPath)
let settings = { Directory = flags.String("out", ReportSettings.Default.Directory)
                 Images = if flags.Switch "no-images" then [] else ReportSettings.Default.Images }
flags.Finish()

let data = Flags.Checked(fun () -> StoreData.read db)
let runs = Frames.runs data
(Queries.weightSymmetryTable runs).Print()
let output = WeightSymmetryFigures.family.Build { Data = data; Runs = runs }
let html, images, skipped = Report.writeFigures settings output.Figures
for path in html @ images do printfn "wrote %s" path
skipped |> Option.iter (printfn "static images skipped: %s")
