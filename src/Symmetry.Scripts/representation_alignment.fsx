// Representation alignment (seed 002, ALGORITHMS §3) in a model zoo of small CNNs that differ only in their seed: for
// each pair and each ReLU layer, G_ReLU-Procrustes, orthogonal Procrustes, G_ReLU-CKA and the original's linear CKA on
// the same test images. The zoo (zoo.fsx) is grown to --zoo members, training only those not in the store yet; the
// table is printed and written as CSV beside the store.
//   dotnet fsi src/Symmetry.Scripts/representation_alignment.fsx [--model mnist-cnn] [--zoo 4] [--recipe model-default]
//     [--epochs 2 …] [--samples 2000] [--data DIR] [--db results/symmetry.db]
#load "_prelude.fsx"
open System.IO
open Symmetry
open TorchSharp
open Symmetry.Core.Alignment
open Symmetry.Core.Experiments
open Symmetry.Core.Results
open Symmetry.Core.Training

let flags = Flags.OfScript fsi.CommandLineArgs
let size = flags.Int("zoo", 4)
let samples = flags.Int("samples", 2000)
let directory = flags.TryString "data"
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
let splits = Flags.Checked(fun () -> Data.load directory)
let zoo =
    let zoo = Zoo.fromFlags flags ("mnist-cnn", []) "model-default" directory splits
    // Two epochs unless told otherwise: the zoo of the README's table.
    if (flags.TryInt "epochs").IsSome then zoo
    else Zoo.create zoo.Model zoo.Config (zoo.Recipe.WithTraining(zoo.Recipe.Training |> Recipes.epochs 2)) directory splits
if size < 2 then Flags.Fail "--zoo needs at least 2 models to compare"
if samples < 4 then Flags.Fail "--samples needs at least 4 test images (the unbiased HSIC's minimum)"
flags.Finish()

let metrics = [ "G_ReLU-Procrustes", GReluProcrustes.Similarity; "orthogonal Procrustes", OrthogonalProcrustes.Similarity
                "G_ReLU-CKA", Cka.GRelu; "linear CKA (original: unbiased)", Cka.LinearUnbiased ]

do
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    let members = Zoo.extend realizer size zoo |> List.map (fun m -> m.State)
    let test = LoaderData(splits, 500, 0UL)
    let activations =
        [ for state in members ->
            use model = realizer.Realize state
            let accuracy = Evaluation.Evaluate(model, test.TestBatches(), torch.CPU).Accuracy
            let relus = [ for i, m in Seq.indexed (model.Layers.children()) do if m :? TorchSharp.Modules.ReLU then sprintf "layers.%d" i ]
            let batches = test.TestBatches() |> Seq.map (fun b -> b.Inputs) |> Seq.truncate ((samples + 499) / 500)
            let recorded = ActivationRecorder.Record(model, relus, batches) |> Seq.map (fun a -> a.narrow(0L, 0L, min (int64 samples) a.shape.[0])) |> List.ofSeq
            printfn "zoo model %s seed %d: test accuracy %.4f, ReLU layers %s" (state.Key.Substring(0, 12)) state.Recipe.Seed accuracy (String.concat ", " relus)
            relus, recorded ]
    printfn "zoo: %s; states computed %d, loaded %d" (zoo.Describe()) realizer.Computed realizer.Loaded
    let relus = fst activations.Head
    let rows =
        [ for i in 0 .. size - 1 do
            for j in i + 1 .. size - 1 do
                for layer, (a, b) in List.zip relus (List.zip (snd activations.[i]) (snd activations.[j])) do
                    for name, metric in metrics -> layer, name, i + 1, j + 1, metric (a, b) ]
    printfn "\nmean similarity over %d pairs, %d test images\n%-10s %s" (size * (size - 1) / 2) samples "layer" (metrics |> List.map (fun (n, _) -> sprintf "%32s" n) |> String.concat "")
    for layer in relus do
        let mean name = rows |> List.filter (fun (l, n, _, _, _) -> l = layer && n = name) |> List.averageBy (fun (_, _, _, _, v) -> v)
        printfn "%-10s %s" layer (metrics |> List.map (fun (n, _) -> sprintf "%32.4f" (mean n)) |> String.concat "")
    let csv = Path.Combine(Path.GetDirectoryName store.DatabasePath, "alignment.csv")
    File.WriteAllLines(csv, "model,layer,metric,a,b,similarity" :: [ for l, n, a, b, v in rows -> sprintf "%s,%s,%s,%d,%d,%.17g" zoo.Model l n a b v ])
    printfn "\nper pair: %s" csv
