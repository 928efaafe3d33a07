// Lottery tickets (seed 003): iterative magnitude pruning with rewinding to θ₀ or to step k, and its two controls
// (random reinitialisation with the ticket's mask; a random mask with the ticket's layer-wise counts), as recipes over
// content-addressed states: a rerun loads every state and the table instead of training again.
//   dotnet fsi src/Symmetry.Scripts/lottery_ticket.fsx [--model lenet-300-100] [--strategy layerwise|global]
//     [--rounds 10] [--rewind-step 0] [--no-controls] [--recipe open-lth-lenet] [--epochs 40] [--lr …]
//     [--init KaimingNormal] [--init-seed 0] [--data-seed 1] [--threads 1] [--db results/symmetry.db]
#load "_prelude.fsx"
open System.IO
open Symmetry
open Symmetry.Core.Data
open Symmetry.Core.Models
open Symmetry.Core.Pruning
open Symmetry.Core.Results
open Symmetry.Core.Experiments
open Symmetry.Core.Experiments.Lottery

let flags = Flags.OfScript fsi.CommandLineArgs
let strategy : PruningStrategy =
    match flags.String("strategy", "layerwise") with
    // LTH's FC rates (deconstructing-LT rule): hidden 20%, output 10% of what remains, ⌊p·n⌋ per layer.
    | "layerwise" -> LayerWisePruning(Fraction = flags.Float("fraction", 0.2), OutputFraction = flags.Float("output-fraction", 0.1)) :> PruningStrategy
    // open_lth's sparse_global: ⌈p·n⌉ over all hidden weights, the output layer of LeNet never pruned.
    | "global" -> GlobalPruning(Fraction = flags.Float("fraction", 0.2), OutputFraction = flags.Float("output-fraction", 0.0)) :> PruningStrategy
    | other -> Flags.Fail<PruningStrategy>(sprintf "--strategy: expected layerwise or global, got '%s'" other)
let controls = not (flags.Switch "no-controls")
let splits = Flags.Checked(fun () -> Data.load None)
// open_lth initialises LeNet's weights kaiming-normal (biases 0).
let init = Flags.Checked(fun () -> System.Enum.Parse<InitScheme>(flags.String("init", "KaimingNormal"), ignoreCase = true))
let config = let c = Model.forData splits in ModelConfig(c.InputChannels, c.ImageSize, c.Classes, Init = System.Nullable init)
let settings =
    Flags.Checked(fun () ->
        let s =
            ImpSettings(
                Model = flags.String("model", "lenet-300-100"), Config = config,
                InitSeed = uint64 (flags.Int("init-seed", 0)), DataSeed = uint64 (flags.Int("data-seed", 1)),
                Training = (Recipes.named (flags.String("recipe", "open-lth-lenet")) |> Recipes.withFlags flags),
                Strategy = strategy, Rounds = flags.Int("rounds", 10), RewindStep = int64 (flags.Int("rewind-step", 0)),
                ReinitControl = controls, RandomMaskControl = controls)
        s.Validate()
        s)
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
flags.Finish()

do
    use splits = splits
    let plan = IterativeMagnitudePruning.Plan(settings, splits.Fingerprint)
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    printfn "%s on %s, %s, rewind to step %d, %s; init seed %d, data seed %d"
        settings.Model splits.Name (settings.Strategy.Describe()) settings.RewindStep (settings.Training.Describe()) settings.InitSeed settings.DataSeed
    printfn "%5s %10s %10s %10s %12s" "round" "weights %" "ticket" "reinit" "random mask"
    let cell v = if System.Double.IsNaN v then "-" else sprintf "%.4f" v
    ImpResults.Measure(store, realizer, splits, plan, fun row ->
        printfn "%5d %10.2f %10s %10s %12s" row.Round (100.0 * row.WeightsRemaining) (cell row.TicketAccuracy) (cell row.ReinitAccuracy) (cell row.RandomMaskAccuracy))
    |> ignore
    printfn "states: computed %d, loaded %d%s" realizer.Computed realizer.Loaded
        (if realizer.Computed = 0 then " (no state recomputed)" else "")
    let dot = Path.Combine(Path.GetDirectoryName(store.DatabasePath), "lottery_ticket.dot")
    File.WriteAllText(dot, StateGraph.ToDot(store.States()))
    printfn "state tree: %s (render with: dot -Tsvg %s)" dot dot
