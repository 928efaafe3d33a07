// Train by reconnecting (LaPerm, seed 001): LaPerm against its own inner Adam, from the same initial state and with the
// same data order, as sibling train states of one root in the results store (a rerun loads them). Prints both
// test-accuracy curves (evaluated right after a sync) and checks that LaPerm's weights are θ₀'s, row by row, rearranged.
//   dotnet fsi src/Symmetry.Scripts/train_by_reconnect.fsx [--model f1|f2|conv7|conv7-short|lenet-300-100|conv2|conv4|conv13|resnet-50]
//     [--k 250] [--epochs N] [--prune 0.3 (fraction pruned)] [--agnosticize] [--no-augmentation] [--seed 1] [--data DIR] [--threads 2]
//     [--evaluate-every N (steps; default: right after the first sync past each epoch)] [--no-adam] [--db results/symmetry.db]
#load "_prelude.fsx"
open TorchSharp
open Symmetry
open Symmetry.Core.Data
open Symmetry.Core.Experiments
open Symmetry.Core.LaPerm
open Symmetry.Core.Permutations
open Symmetry.Core.Results
open Symmetry.Core.Training

let flags = Flags.OfScript fsi.CommandLineArgs
let reference = Flags.Checked(fun () -> LaPermRecipes.Named(flags.String("model", "f1")))
let recipe = reference.Override(Option.toNullable (flags.TryInt "k"), Option.toNullable (flags.TryInt "epochs"), not (flags.Switch "no-augmentation"))
let prune = flags.TryFloat "prune"
let seed = uint64 (flags.Int("seed", 1))
// --agnosticize: the recipe's weight-agnostic start (F1, F2), else ALGORITHMS' default (0.01, keep 1/4).
let agnosticize =
    if flags.Switch "agnosticize" then
        let given = recipe.Agnosticize |> Option.ofObj |> Option.defaultValue (AgnosticizeRecipe())
        Some(AgnosticizeRecipe(Value = given.Value, Keep = given.Keep, Seed = seed))
    else None
let dataDirectory = flags.TryString "data"
let withAdam = not (flags.Switch "no-adam")
// The original's cadence evaluates every N steps whether or not a sync just happened (e.g. 250 with k = 1000).
let evaluateEveryFlag = flags.TryInt "evaluate-every"
match evaluateEveryFlag with
| Some n when n < 1 -> Flags.Fail(sprintf "--evaluate-every must be ≥ 1 step, got %d" n)
| _ -> ()
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
Flags.Checked(fun () -> recipe.Training.Validate(); recipe.LaPerm.Validate())
match prune with
| Some p when not (p >= 0.0 && p <= 1.0) -> Flags.Fail(sprintf "--prune is the fraction of weights pruned, in [0, 1]; got %g" p)
| _ -> ()
flags.Finish()

do
    use splits = Flags.Checked(fun () -> Data.load dataDirectory)
    let shape = splits.InputShape
    let config = Flags.Checked(fun () -> recipe.ConfigFor(int shape.[0], int shape.[1], splits.ClassCount))
    let root = Flags.Checked(fun () -> ExperimentState.Initial(recipe.Model, config, seed, Option.toObj dataDirectory, splits.Fingerprint))
    let start =
        root
        |> fun s -> match agnosticize with Some a -> s.Then a | None -> s
        |> fun s -> match prune with Some p -> s.Then(RandomPruneRecipe(Keep = 1.0 - p, Seed = seed)) | None -> s
    let stepsPerEpoch = LoaderData(splits, recipe.Training.BatchSize, seed).BatchesPerEpoch
    let evaluateEvery = evaluateEveryFlag |> Option.map int64 |> Option.defaultValue (recipe.LaPerm.AlignedEvaluationPeriod stepsPerEpoch)
    printfn "%s on %s (%s): %s; %s; L2 %g; evaluated every %d steps (%d per epoch)%s" recipe.Name splits.Name recipe.Model
        (recipe.Training.Describe()) (recipe.LaPerm.Describe()) recipe.L2 evaluateEvery stepsPerEpoch
        (if recipe.Note = "" then "" else "; " + recipe.Note)
    match recipe.Augmentation with
    | null -> printfn "no augmentation"
    | a -> printfn "augmentation: rotation ±%g°, shift ±%g, zoom 1 ± %g, flip p = %g" a.RotationDegrees a.Shift a.Zoom a.FlipProbability
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    realizer.CallbacksFor <-
        System.Func<_, _>(fun (state: ExperimentState) ->
            let label = if isNull (state.Recipe :?> TrainRecipe).LaPerm then "adam  " else "laperm"
            [ Callbacks.OnEvaluation(fun _ m -> printfn "  %s step %6d epoch %5.2f test accuracy %.4f" label m.Step m.Epoch m.Test.Accuracy) ] :> seq<_>)
    let train laPermOn = start.Then(recipe.Train(seed, laPermOn, evaluateEvery))
    let curve (state: ExperimentState) =
        store.Metrics state.Key |> Seq.filter (fun m -> m.Name = MetricNames.TestAccuracy) |> Seq.map (fun m -> m.Step, m.Value) |> Map.ofSeq
    use initial = realizer.Realize start
    let runs = [ yield "laperm", train true; if withAdam then yield "adam", train false ]
    for label, state in runs do
        use model = realizer.Realize state
        // LaPerm's weights are θ₀'s rearranged: every synchronised row has exactly θ₀'s multiset (bit for bit).
        use scope = torch.NewDisposeScope()
        let before = initial.named_parameters() |> Seq.map (fun struct (n, p) -> n, p) |> Map.ofSeq
        let names = LaPermSynchronizer.SynchronisedNames(model, recipe.LaPerm)
        let rowsKept =
            names |> Seq.forall (fun name ->
                let now = model.named_parameters() |> Seq.pick (fun struct (n, p) -> if n = name then Some p else None)
                LaPermRearrangement.SortedRows(now).eq(LaPermRearrangement.SortedRows(before.[name])).all().item<bool>())
        printfn "%s (%s): every synchronised row is a rearrangement of θ₀'s: %b" label (state.Key.Substring(0, 12)) rowsKept
    let curves = runs |> List.map (fun (label, state) -> label, curve state)
    printfn "\n%8s  %s" "step" (curves |> List.map (fun (l, _) -> sprintf "%8s" l) |> String.concat " ")
    for step in (snd curves.Head).Keys do
        printfn "%8d  %s" step (curves |> List.map (fun (_, c) -> c |> Map.tryFind step |> Option.map (sprintf "%8.4f") |> Option.defaultValue "       -") |> String.concat " ")
    let final (c: Map<int64, float>) = (c |> Seq.maxBy (fun kv -> kv.Key)).Value
    let finals = curves |> List.map (fun (l, c) -> l, final c)
    for label, accuracy in finals do printfn "final %s test accuracy %.4f (seed %d)" label accuracy seed
    match finals with
    | [ _, l; _, a ] -> printfn "LaPerm − Adam: %+.2f points" (100.0 * (l - a))
    | _ -> ()
    printfn "computed %d states, loaded %d; LaPerm state %s" realizer.Computed realizer.Loaded ((snd runs.Head).Key)
