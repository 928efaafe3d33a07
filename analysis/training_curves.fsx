// Training curves from the store: test accuracy and training loss per epoch, the mean over seeds of each mask type (a
// column per sparsity), one figure per experiment, as self-contained HTML plus SVG/PNG.
//   dotnet fsi analysis/training_curves.fsx [--db results/symmetry.db] [--out results/report] [--no-images]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Analysis
open Symmetry.Core.Results

let flags = Flags.OfScript fsi.CommandLineArgs
let db = flags.String("db", ResultsStore.DefaultPath)
let settings = { Directory = flags.String("out", ReportSettings.Default.Directory)
                 Images = if flags.Switch "no-images" then [] else ReportSettings.Default.Images }
flags.Finish()

let data = Flags.Checked(fun () -> StoreData.read db)
let output = TrainingCurveFigures.family.Build { Data = data; Runs = Frames.runs data }
let html, images, skipped = Report.writeFigures settings output.Figures
for path in html @ images do printfn "wrote %s" path
skipped |> Option.iter (printfn "static images skipped: %s")
