// Iterative magnitude pruning with rewinding (lottery tickets, seed 003/004) as an experiment DAG: every state is
// content-addressed in the results store, so a rerun loads what exists; the tree is written as Graphviz DOT.
//   dotnet fsi src/Symmetry.Scripts/lottery_ticket.fsx [--model lenet-300-100] [--rounds 3] [--epochs 1] [--db results/symmetry.db]
#load "_prelude.fsx"
open System.IO
open Symmetry
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Models
open Symmetry.Core.Pruning
open Symmetry.Core.Results
open Symmetry.Core.Training
open Symmetry.Core.Experiments

let flags = Flags.OfScript fsi.CommandLineArgs
let rounds = flags.Int("rounds", 3)
let train = TrainRecipe(Training = (Recipes.named "generic" |> Recipes.epochs (flags.Int("epochs", 1))), Seed = 7UL)
let modelName = flags.String("model", "lenet-300-100")
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
Flags.Checked(fun () -> train.Training.Validate())
flags.Finish()

do
    use store = ResultsStore.Open database
    use splits = DataSets.Load(null)
    let realizer = Realizer(store, fun _ -> splits)
    let test = LoaderData(splits, 128, 0UL)
    let report (label: string) (state: ExperimentState) =
        use model = realizer.Realize state
        let result = Evaluation.Evaluate(model, test.TestBatches(), torch.CPU)
        printfn "%-28s %s  weights kept %6.2f%%  test accuracy %.4f" label (state.Key.Substring(0, 12)) (100.0 * MagnitudePruning.RemainingFraction model) result.Accuracy
    // The data's fingerprint enters every key: replaced data files never reuse a stored state.
    let root = ExperimentState.Initial(modelName, ModelConfig.Mnist, 1UL, dataFingerprint = splits.Fingerprint)
    let mutable ticket = root.Then train
    report "dense, trained" ticket
    for round in 1 .. rounds do
        // LTH rates: hidden layers lose 20% of what remains, the output layer 10%; then rewind to θ₀ and retrain.
        ticket <- ticket.Then(PruneRecipe(Strategy = LayerWisePruning(Fraction = 0.2, OutputFraction = 0.1))).Then(ReinitRecipe(Mode = "rewind")).Then(train)
        report (sprintf "round %d ticket, trained" round) ticket
    printfn "computed %d states, loaded %d" realizer.Computed realizer.Loaded
    let dot = Path.Combine(Path.GetDirectoryName(store.DatabasePath), "lottery_ticket.dot")
    File.WriteAllText(dot, StateGraph.ToDot(store.States()))
    printfn "state tree: %s (render with: dot -Tsvg %s)" dot dot
