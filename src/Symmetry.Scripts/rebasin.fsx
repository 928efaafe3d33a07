// Git Re-Basin (ALGORITHMS §6) between two members of a model zoo: weight matching permutes B's hidden units onto A's,
// then test (and train) loss and accuracy along (1 − λ)·A + λ·B, naive and with B permuted, at --points λ; BatchNorm
// statistics are recomputed at every λ for models with BatchNorm. Zoo states and the curves live in the store; a rerun
// reads them back.
//   dotnet fsi src/Symmetry.Scripts/rebasin.fsx [--model mnist-fc --widths 512,512,512] [--recipe git-rebasin-mlp]
//     [--epochs 100 …] [--pair 1,2] [--points 25] [--matching-seed 0] [--no-train-set] [--data DIR] [--threads 1] [--db …]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Core.Experiments
open Symmetry.Core.Experiments.Rebasin
open Symmetry.Core.Results

let flags = Flags.OfScript fsi.CommandLineArgs
let pair = flags.List("pair", uint64, [ 1UL; 2UL ])
let settings = RebasinSettings(Points = flags.Int("points", 25), MatchingSeed = uint64 (flags.Int("matching-seed", 0)), TrainSet = not (flags.Switch "no-train-set"))
let directory = flags.TryString "data"
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
let splits = Flags.Checked(fun () -> Data.load directory)
let zoo = Zoo.fromFlags flags ("mnist-fc", [ 512; 512; 512 ]) "git-rebasin-mlp" directory splits
flags.Finish()
if pair.Length <> 2 || pair.[0] = pair.[1] || List.min pair < 1UL then Flags.Fail(sprintf "--pair: expected two different zoo seeds ≥ 1, e.g. 1,2, got %A" pair)
if settings.Points < 3 || settings.Points % 2 = 0 then Flags.Fail(sprintf "--points: expected an odd number ≥ 3, so that λ = 0.5 is on the path, got %d" settings.Points)

do
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    printfn "%s; pair %d, %d" (zoo.Describe()) pair.[0] pair.[1]
    let r = RebasinAnalysis.Measure(store, realizer, splits, zoo.Member pair.[0], zoo.Member pair.[1], settings)
    printfn "weight matching: Σ⟨W_A, P(W_B)⟩ %.4g → %.4g in %d sweeps%s" r.InitialObjective r.Objective r.Sweeps (if r.Reused then " (read back)" else "")
    printfn "%6s %12s %12s %12s %12s" "λ" "naive loss" "naive acc" "perm. loss" "perm. acc"
    for (l, nl, na), (_, pl, pa) in List.zip (Zoo.curve r.Naive.Test) (Zoo.curve r.Permuted.Test) do
        printfn "%6.3f %12.4f %12.4f %12.4f %12.4f" l nl na pl pa
    for name, path in [ "naive", r.Naive; "permuted", r.Permuted ] do
        for set, curve in [ "test", Some path.Test; "train", Option.ofObj path.Train ] do
            curve |> Option.iter (fun c ->
                printfn "%-8s %-5s loss barrier %.4f (λ = 0.5: %.4f), error barrier %.4f (λ = 0.5: %.4f)" name set c.LossBarrier c.LossBarrierAtMidpoint c.ErrorBarrier c.ErrorBarrierAtMidpoint)
    printfn "BN recomputed at each λ: %b; states: computed %d, loaded %d" r.BatchNormRecomputed realizer.Computed realizer.Loaded
