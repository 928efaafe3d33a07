// A model zoo (ALGORITHMS §3): models of one architecture that differ only in their seed (init and data order), trained
// with a named zoo recipe, each a state in the store. Growing a zoo trains only the new members: `--size 6` after
// `--size 4` trains seeds 5 and 6 and loads 1–4.
//   dotnet fsi src/Symmetry.Scripts/zoo.fsx [--model mnist-cnn] [--size 4] [--recipe modelsym] [--widths 512,512,512]
//     [--epochs N --lr … --batch …] [--data DIR] [--threads 1] [--db results/symmetry.db]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Core.Experiments
open Symmetry.Core.Results

let flags = Flags.OfScript fsi.CommandLineArgs
let size = flags.Int("size", 4)
let directory = flags.TryString "data"
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
let splits = Flags.Checked(fun () -> Data.load directory)
let zoo = Zoo.fromFlags flags ("mnist-cnn", []) "modelsym" directory splits
flags.Finish()
if size < 1 then Flags.Fail(sprintf "--size: a zoo has at least 1 model, got %d" size)

do
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    printfn "%s; %d members" (zoo.Describe()) size
    let members = Zoo.extend realizer size zoo
    printfn "%6s %14s %10s %18s" "seed" "state" "" "best test accuracy"
    for m in members do
        let best = store.Best(m.State.Key) |> Seq.tryFind (fun b -> b.Criterion = BestCriterion.TestAccuracy && b.Name = "test_accuracy")
        printfn "%6d %14s %10s %18s" m.Seed (m.State.Key.Substring(0, 12)) (if m.Trained then "trained" else "loaded")
            (best |> Option.map (fun b -> sprintf "%.4f (epoch %g)" b.Value b.Epoch) |> Option.defaultValue "–")
    printfn "trained %d, loaded %d" (members |> List.filter (fun m -> m.Trained) |> List.length) (members |> List.filter (fun m -> not m.Trained) |> List.length)
