// Weight symmetry under pruning masks (seed 000): one mask type over a few sparsities, recorded in the results
// store, then the accuracy / surviving-symmetry table. The same drivers back `symmetry run` and `symmetry sweep`.
//   dotnet fsi src/Symmetry.Scripts/weight_symmetry.fsx --mask per-neuron --epochs 2 [--seeds 0,1] [--db results/symmetry.db]
#load "_prelude.fsx"
open _prelude
open Symmetry.Core.Data
open Symmetry.Core.Results
open Symmetry.Core.Experiments.WeightSymmetry
open Symmetry.Core.Permutations
open Symmetry.Core.Models

let mask = argOr "mask" "per-neuron"
let seeds = (argOr "seeds" "0,1").Split ',' |> Array.map uint64
let sparsities = (argOr "sparsities" "0.5,0.75,0.875").Split ',' |> Array.map float
let template =
    WeightSymmetryConfig(Model = "mnist-fc", Widths = [| 16; 16; 16; 16; 16; 16 |],
                         Training = TrainingRecipes.Seed000.Override(epochs = int (argOr "epochs" "2")))
setThreads (int (argOr "threads" "1"))

let dense = SymmetryCount.Summarize(template.Widths)
printfn "dense 6×16 MLP: %s neuron permutations (%d digits)" (dense.ToString()) dense.Digits

do
    use store = ResultsStore.Open(argOr "db" "results/symmetry.db")
    use splits = DataSets.Load(null)
    let driver = WeightSymmetryDriver(store, fun _ -> splits)
    let results =
        [ for config in WeightSymmetrySweep.Configs(template, [ mask ], sparsities, seeds) ->
            let outcome = driver.Run config
            printfn "%s s=%.3f seed %d: best test accuracy %.4f, permutation_log10 %.2f%s"
                mask config.Sparsity.Value config.Seed outcome.TestAccuracy outcome.PermutationLog10 (if outcome.Reused then " (reused)" else "")
            struct (config, outcome) ]
    for cell in WeightSymmetrySweep.Table results do
        printfn "%-30s s=%.3f  accuracy %.4f  permutation_log10 %6.2f  (%d runs)" cell.MaskType cell.Sparsity cell.MeanTestAccuracy cell.MeanPermutationLog10 cell.Runs
