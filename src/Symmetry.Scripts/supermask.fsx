// A trained supermask (seed 003, Zhou et al.): the network's initial weights frozen, one logit per weight trained
// through straight-through Bernoulli masks; the test accuracy is the mean over sampled masks.
//   dotnet fsi src/Symmetry.Scripts/supermask.fsx [--model lenet-300-100] [--init GlorotNormal --init-seed 0]
//     [--seed 1] [--epochs 10 --lr 100 --momentum 0.9 --batch 250] [--signed-constant] [--dynamic-scaling]
//     [--initial-logit 0] [--samples 10] [--data DIR] [--threads 1] [--db results/symmetry.db]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Core.Models
open Symmetry.Core.Results
open Symmetry.Core.Experiments
open Symmetry.Core.Deconstructing

let flags = Flags.OfScript fsi.CommandLineArgs
let dataDir = flags.TryString "data"
let splits = Flags.Checked(fun () -> Data.load dataDir)
let init = Flags.Checked(fun () -> System.Enum.Parse<InitScheme>(flags.String("init", "GlorotNormal"), ignoreCase = true))
let config = let c = Model.forData splits in ModelConfig(c.InputChannels, c.ImageSize, c.Classes, Init = System.Nullable init)
let model = flags.String("model", "lenet-300-100")
let defaults = SupermaskSettings()
let settings =
    Flags.Checked(fun () ->
        let s =
            SupermaskSettings(
                InitialLogit = flags.Float("initial-logit", defaults.InitialLogit), SignedConstant = flags.Switch "signed-constant",
                DynamicScaling = flags.Switch "dynamic-scaling", EvaluationSamples = flags.Int("samples", defaults.EvaluationSamples),
                Training = (defaults.Training |> Recipes.withFlags flags))
        s.Validate()
        ModelZoo.Configure(model, config) |> ignore
        s)
let initSeed, seed = uint64 (flags.Int("init-seed", 0)), uint64 (flags.Int("seed", 1))
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
flags.Finish()

do
    use splits = splits
    let root = ExperimentState.Initial(model, config, initSeed, Option.toObj dataDir, splits.Fingerprint)
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    printfn "supermask of %s on %s (init %A seed %d), %s%s%s; mask seed %d" model splits.Name init initSeed (settings.Training.Describe())
        (if settings.SignedConstant then ", signed constants" else "") (if settings.DynamicScaling then ", dynamic rescaling" else "") seed
    let result =
        SupermaskTraining.Run(store, realizer, splits, root, settings, seed, fun m ->
            printfn "epoch %5.2f  test accuracy %.4f (one mask per batch)  loss %.4f" m.Epoch m.Test.Accuracy m.Test.Loss)
    printfn "%s: test accuracy %.4f, mean of %d sampled masks (%s); expected kept fraction %.4f"
        (if result.Reused then "read back" else "trained") result.TestAccuracy result.SampleAccuracies.Count
        (result.SampleAccuracies |> Seq.map (sprintf "%.4f") |> String.concat " ") result.ExpectedKeptFraction
