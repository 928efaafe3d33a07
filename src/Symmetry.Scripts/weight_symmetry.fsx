// Weight symmetry under pruning masks (seed 000): one mask type over a few sparsities, recorded in the results
// store, then the accuracy / surviving-symmetry table. The same drivers back `symmetry run` and `symmetry sweep`.
//   dotnet fsi src/Symmetry.Scripts/weight_symmetry.fsx --mask per-neuron --epochs 2 [--seeds 0,1]
//     [--sparsities 0.5,0.75,0.875] [--recipe seed-000] [--threads 1] [--db results/symmetry.db]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Core.Masks
open Symmetry.Core.Results
open Symmetry.Core.Experiments.WeightSymmetry
open Symmetry.Core.Permutations

let flags = Flags.OfScript fsi.CommandLineArgs
let mask = Flags.Checked(fun () -> MaskTypes.Parse(flags.String("mask", "per-neuron")))
let seeds = flags.List("seeds", uint64, List.ofSeq WeightSymmetrySweep.DefaultSeeds)
let sparsities = flags.List("sparsities", float, List.ofSeq WeightSymmetrySweep.DefaultSparsities)
let recipe = Flags.Checked(fun () -> Recipes.named (flags.String("recipe", "seed-000")) |> Recipes.epochs (flags.Int("epochs", 2)))
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
flags.Finish()

let template = WeightSymmetryConfig(Model = "mnist-fc", Widths = [| 16; 16; 16; 16; 16; 16 |], Training = recipe)
let configs = WeightSymmetrySweep.Configs(template, [ mask ], sparsities, seeds)
// Every config is checked, against the data too, before the store exists: bad input writes nothing.
Flags.Checked(fun () -> for config in configs do config.Validate())
let dense = SymmetryCount.Summarize(template.Widths)
printfn "dense 6×16 MLP: %s neuron permutations (%d digits); %s" (dense.ToString()) dense.Digits (recipe.Describe())

do
    use splits = Flags.Checked(fun () -> Data.load None)
    Flags.Checked(fun () -> for config in configs do WeightSymmetryDriver.Preflight(config, splits))
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let driver = WeightSymmetryDriver(store, fun _ -> splits)
    let results =
        [ for config in configs ->
            let outcome = driver.Run config
            printfn "%s s=%.3f seed %d: best test accuracy %.4f, permutation_log10 %.2f%s"
                (MaskTypes.Name mask) (WeightSymmetry.sparsity config |> Option.defaultValue nan) config.Seed outcome.TestAccuracy
                outcome.PermutationLog10 (if outcome.Reused then " (reused)" else "")
            config, outcome ]
    for cell in WeightSymmetry.table results do
        printfn "%-30s s=%.3f  accuracy %.4f  permutation_log10 %6.2f  (%d runs)" cell.MaskType cell.Sparsity cell.MeanTestAccuracy cell.MeanPermutationLog10 cell.Runs
