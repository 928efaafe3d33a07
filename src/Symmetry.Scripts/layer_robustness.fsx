// Are all layers created equal? (seed 003): train a network, then for each Linear/Conv2d layer independently
// re-initialise it to θ₀ and re-randomise it (a fresh draw from the initialiser), and measure the test error.
// Robust layers barely move it; critical ones send it to chance. States and rows live in the store; a rerun reads
// them back.
//   dotnet fsi src/Symmetry.Scripts/layer_robustness.fsx [--model mnist-fc] [--widths 256,256,256] [--recipe generic]
//     [--epochs 10] [--lr …] [--init-seed 0] [--data-seed 1] [--draw-seed 7] [--threads 1] [--db results/symmetry.db]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Core.Models
open Symmetry.Core.Results
open Symmetry.Core.Experiments
open Symmetry.Core.Experiments.Lottery

let flags = Flags.OfScript fsi.CommandLineArgs
let modelName = flags.String("model", "mnist-fc")
let widths = flags.List("widths", int, [ 256; 256; 256 ])
let initSeed = uint64 (flags.Int("init-seed", 0))
let dataSeed = uint64 (flags.Int("data-seed", 1))
let drawSeed = uint64 (flags.Int("draw-seed", 7))
let training = Flags.Checked(fun () -> Recipes.named (flags.String("recipe", "generic")) |> Recipes.withFlags flags)
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
flags.Finish()

do
    use splits = Flags.Checked(fun () -> Data.load None)
    let config = if modelName = "mnist-fc" then Model.mlp widths splits else Model.forData splits
    let root = Flags.Checked(fun () -> ExperimentState.Initial(modelName, config, initSeed, dataFingerprint = splits.Fingerprint))
    let trained = root.Then(TrainRecipe(Training = training, Seed = dataSeed))
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    printfn "%s %A on %s, %s; init seed %d, data seed %d, re-randomise seed %d" modelName widths splits.Name (training.Describe()) initSeed dataSeed drawSeed
    let r = LayerRobustness.Measure(store, realizer, splits, trained, drawSeed)
    printfn "trained test error %.4f (chance %.4f)%s" r.TrainedError (1.0 - 1.0 / float splits.ClassCount) (if r.Reused then "  (read back)" else "")
    printfn "%-16s %14s %14s" "layer" "re-init (θ₀)" "re-randomise"
    for row in r.Layers do printfn "%-16s %14.4f %14.4f" row.Layer row.ReinitialisedError row.RerandomisedError
    printfn "states: computed %d, loaded %d%s" realizer.Computed realizer.Loaded
        (if realizer.Computed = 0 then " (no state recomputed)" else "")
