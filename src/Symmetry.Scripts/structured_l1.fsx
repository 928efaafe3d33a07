// Structured-L1 lottery tickets (seed 004) through the one experiment DAG: LeNet-5 (conv 6, conv 16, fc 120, 84, 10)
// trained, then each round prunes 20% of every layer's remaining input channels / features by L1 norm, rewinds to the
// root and trains again. Test loader sequential, training loader shuffled by the data seed. Writes the tree as
// Graphviz DOT; a rerun loads every state.
//   dotnet fsi src/Symmetry.Scripts/structured_l1.fsx [--rounds 20] [--epochs 30] [--recipe generic] [--lr …]
//     [--fraction 0.2] [--init-seed 0] [--data-seed 1] [--threads 1] [--db results/symmetry.db] [--dot FILE]
#load "_prelude.fsx"
open System.IO
open Symmetry
open Symmetry.Core.Pruning
open Symmetry.Core.Results
open Symmetry.Core.Experiments
open Symmetry.Core.Experiments.Lottery

let flags = Flags.OfScript fsi.CommandLineArgs
let splits = Flags.Checked(fun () -> Data.load None)
let settings =
    Flags.Checked(fun () ->
        let s =
            ImpSettings(
                Model = "lenet-5", Config = Model.forData splits,
                InitSeed = uint64 (flags.Int("init-seed", 0)), DataSeed = uint64 (flags.Int("data-seed", 1)),
                Training = (Recipes.named (flags.String("recipe", "generic")) |> Recipes.epochs 30 |> Recipes.withFlags flags),
                Strategy = StructuredL1Pruning(Fraction = flags.Float("fraction", 0.2)), Rounds = flags.Int("rounds", 20),
                ReinitControl = false, RandomMaskControl = false)
        s.Validate()
        s)
let database = flags.String("db", ResultsStore.DefaultPath)
let dotFile = flags.TryString "dot"
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
flags.Finish()

do
    use splits = splits
    let plan = IterativeMagnitudePruning.Plan(settings, splits.Fingerprint)
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    printfn "lenet-5 on %s, %s, rewind to the root, %s; init seed %d, data seed %d"
        splits.Name (settings.Strategy.Describe()) (settings.Training.Describe()) settings.InitSeed settings.DataSeed
    printfn "%5s %10s %10s" "round" "weights %" "accuracy"
    ImpResults.Measure(store, realizer, splits, plan, fun row ->
        printfn "%5d %10.2f %10.4f" row.Round (100.0 * row.WeightsRemaining) row.TicketAccuracy)
    |> ignore
    printfn "states: computed %d, loaded %d%s" realizer.Computed realizer.Loaded
        (if realizer.Computed = 0 then " (no state recomputed)" else "")
    // This experiment's tree only: every state on the way to the last ticket.
    let keys = plan.Rounds |> Seq.collect (fun r -> r.Ticket.Lineage()) |> Seq.append (plan.Dense.Lineage()) |> Seq.map (fun s -> s.Key) |> Set.ofSeq
    let dot = dotFile |> Option.defaultValue (Path.Combine(Path.GetDirectoryName(store.DatabasePath), "structured_l1.dot"))
    File.WriteAllText(dot, StateGraph.ToDot(store.States() |> Seq.filter (fun s -> keys.Contains s.Key)))
    printfn "state tree: %s (render with: dot -Tsvg %s)" dot dot
