// Linear mode connectivity (seed 003, instability analysis): for each rewind step k, the dense run's state at k, two
// children trained from k on different data-order seeds, the test error at evenly spaced α on the line between them,
// instability = max − mean of the ends ("stable" under 2 points). BatchNorm statistics are recomputed at each α for
// models that have BatchNorm. States and paths live in the store; a rerun reads them back.
//   dotnet fsi src/Symmetry.Scripts/mode_connectivity.fsx [--model lenet-300-100] [--k 0,500] [--recipe open-lth-lenet]
//     [--epochs 40] [--lr …] [--seeds 1,2] [--dense-seed 1] [--points 30] [--init-seed 0] [--threads 1] [--db results/symmetry.db]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Core.Models
open Symmetry.Core.Results
open Symmetry.Core.Experiments
open Symmetry.Core.Experiments.Lottery

let flags = Flags.OfScript fsi.CommandLineArgs
let modelName = flags.String("model", "lenet-300-100")
let steps = flags.List("k", int64, [ 0L ])
let seeds = flags.List("seeds", uint64, [ 1UL; 2UL ])
let denseSeed = uint64 (flags.Int("dense-seed", 1))
let initSeed = uint64 (flags.Int("init-seed", 0))
let points = flags.Int("points", InstabilityAnalysis.DefaultPoints)
let training = Flags.Checked(fun () -> Recipes.named (flags.String("recipe", "open-lth-lenet")) |> Recipes.withFlags flags)
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
flags.Finish()
if seeds.Length <> 2 || seeds.[0] = seeds.[1] then Flags.Fail(sprintf "--seeds: expected two different data-order seeds, got %A" seeds)
if points < 2 then Flags.Fail(sprintf "--points: a path needs at least 2 points, got %d" points)
if steps |> List.exists (fun k -> k < 0L) then Flags.Fail(sprintf "--k: steps must be 0 or more, got %A" steps)

do
    use splits = Flags.Checked(fun () -> Data.load None)
    let root = Flags.Checked(fun () -> ExperimentState.Initial(modelName, Model.forData splits, initSeed, dataFingerprint = splits.Fingerprint))
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    printfn "%s on %s, %s; children from step k with data seeds %d and %d (dense seed %d), %d points" modelName splits.Name (training.Describe()) seeds.[0] seeds.[1] denseSeed points
    printfn "%8s %10s %10s %10s %12s %7s %s" "k" "error α=0" "error α=1" "max error" "instability" "stable" "BN recomputed"
    for k in steps do
        // The state at step k: θ₀ for k = 0, else the dense run stopped at k.
        let atK = if k = 0L then root else root.Then(TrainRecipe(Training = training, Seed = denseSeed, StopStep = System.Nullable k))
        let struct (a, b) = InstabilityAnalysis.Children(atK, training, k, struct (seeds.[0], seeds.[1]))
        let r = InstabilityAnalysis.Measure(store, realizer, splits, a, b, points)
        printfn "%8d %10.4f %10.4f %10.4f %12.4f %7b %b%s" k r.TestErrors.[0] r.TestErrors.[r.TestErrors.Count - 1] (Seq.max r.TestErrors)
            r.Instability r.Stable r.BatchNormRecomputed (if r.Reused then "  (read back)" else "")
    printfn "states: computed %d, loaded %d%s" realizer.Computed realizer.Loaded
        (if realizer.Computed = 0 then " (no state recomputed)" else "")
