// Model stitching (seed 002, ALGORITHMS §3) in a zoo of models that differ only in their seed: for each pair (A, B),
// each ReLU cut point and each stitcher preset, A's layers up to the point, a stitcher, then B's layers after it;
// only the stitcher trains. Penalty = mean clean accuracy of A and B − stitched accuracy, averaged over pairs. Zoo
// states and stitching runs are in the store (a rerun loads them); the table is printed.
//   dotnet fsi src/Symmetry.Scripts/model_stitching.fsx [--model mnist-cnn] [--zoo 2] [--recipe model-default] [--epochs 2 (zoo training)]
//     [--stitchers linear-published,birkhoff-published] [--stitch-epochs N (in all, split over the phases as the original's stitch_epochs)] [--layers layers.2,…]
//     [--selection validation|test] [--bn train-mode|frozen] [--train-samples N] [--seed 1] [--threads 1] [--data DIR] [--db results/symmetry.db]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Core.Experiments
open Symmetry.Core.Models
open Symmetry.Core.Results
open Symmetry.Core.Stitching

let flags = Flags.OfScript fsi.CommandLineArgs
let zoo = flags.Int("zoo", 2)
let presets = flags.List("stitchers", (fun n -> Flags.Checked(fun () -> StitchingPreset.Named n)), [ StitchingPreset.LinearPublished; StitchingPreset.BirkhoffPublished ])
let stitchEpochs = flags.TryInt "stitch-epochs"
let layers = flags.TryString "layers" |> Option.map (fun s -> s.Split(',', System.StringSplitOptions.RemoveEmptyEntries ||| System.StringSplitOptions.TrimEntries) |> List.ofArray)
let selection = match flags.String("selection", "validation") with "validation" -> PenaltySelection.Validation | "test" -> PenaltySelection.Test | s -> Flags.Fail(sprintf "--selection: expected validation or test, got '%s'" s)
let batchNorm = match flags.String("bn", "train-mode") with "train-mode" -> StitchingBatchNorm.TrainModeBn | "frozen" -> StitchingBatchNorm.FrozenBn | s -> Flags.Fail(sprintf "--bn: expected train-mode or frozen, got '%s'" s)
let trainSamples = flags.TryInt "train-samples"
let seed = uint64 (flags.Int("seed", 1))
let dataDirectory = flags.TryString "data"
let splits = Flags.Checked(fun () -> Data.load dataDirectory)
// The zoo (SeedZoo: seeds 1..zoo, one recipe), as representation_alignment.fsx builds it: two epochs unless told.
let seedZoo =
    let z = Zoo.fromFlags flags ("mnist-cnn", []) "model-default" dataDirectory splits
    if (flags.TryInt "epochs").IsSome then z
    else Zoo.create z.Model z.Config (z.Recipe.WithTraining(z.Recipe.Training |> Recipes.epochs 2)) dataDirectory splits
let modelName = seedZoo.Model
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
if zoo < 2 then Flags.Fail "--zoo needs at least 2 models to stitch"
match stitchEpochs with
| Some n when n < 1 -> Flags.Fail(sprintf "--stitch-epochs: epochs per phase must be ≥ 1, got %d in all" n)
| _ -> ()
let withFlags (p: StitchingPreset) =
    let protocol = p.Protocol.Override(stitchEpochs |> Option.map (fun n -> max 1 (n / p.Protocol.Phases)) |> Option.toNullable, selection, batchNorm, trainSamples |> Option.map int64 |> Option.toNullable)
    Flags.Checked(fun () -> protocol.Validate())
    StitchingPreset(p.Name, p.Stitcher, protocol, p.Source)
let runs = presets |> List.map withFlags
flags.Finish()

do
    use splits = splits
    let config = seedZoo.Config
    let points =
        use probe = Flags.Checked(fun () -> ModelZoo.Create(modelName, config, null))
        let all = StitchPoints.Of probe |> List.ofSeq
        match layers with
        | Some chosen -> (for p in chosen do Flags.Checked(fun () -> StitchPoints.Require(probe, p))); chosen
        | None -> all
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    let members = Zoo.extend realizer zoo seedZoo |> List.map (fun m -> m.State)
    printfn "zoo of %d (%s): computed %d states, loaded %d; cut points %s" zoo (seedZoo.Describe()) realizer.Computed realizer.Loaded (String.concat ", " points)
    for p in runs do printfn "%s: %s; %s" p.Name (p.Stitcher.Describe()) (p.Protocol.Describe())
    let results =
        [ for i in 0 .. zoo - 1 do
            for j in i + 1 .. zoo - 1 do
                for point in points do
                    for preset in runs ->
                        let r = StitchingRun.Measure(store, realizer, splits, members.[i], members.[j], point, preset, seed)
                        printfn "  A=%d B=%d %-10s %-22s clean %.4f/%.4f stitched %.4f penalty %+.4f%s" (i + 1) (j + 1) point preset.Name r.AccuracyA r.AccuracyB r.StitchedAccuracy r.Penalty (if r.Reused then " (stored)" else "")
                        r ]
    printfn "\nmean stitching penalty (accuracy points) over %d pairs, selection on %A\n%-12s %s" (zoo * (zoo - 1) / 2) selection "layer" (runs |> List.map (fun p -> sprintf "%24s" p.Name) |> String.concat "")
    let means = StitchingResult.MeanPenalties results |> Seq.map (fun m -> (m.Point, m.Preset), m.MeanPenalty) |> Map.ofSeq
    for point in points do printfn "%-12s %s" point (runs |> List.map (fun p -> sprintf "%24.2f" (100.0 * means.[(point, p.Name)])) |> String.concat "")
