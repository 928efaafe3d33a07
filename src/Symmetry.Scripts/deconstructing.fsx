// Deconstructing lottery tickets (seed 003, Zhou et al.): keep criteria × mask-1/mask-0 actions × pruning levels, as
// recipes over content-addressed states; supermasks (untrained networks under a mask) and trained branches.
//   dotnet fsi src/Symmetry.Scripts/deconstructing.fsx [--experiment one-shot|iterative] [--train]
//     [--criteria large_final_same_sign,large_final,random] [--mask-one rewind,signed_constant] [--mask-zero zero]
//     [--rounds 1,2,4,8,12] [--fraction 0.2 --output-fraction 0.1] [--recipe deconstructing-fc --epochs 55 --lr …]
//     [--init GlorotNormal --init-seed 0 --data-seed 1] [--data DIR] [--threads 1] [--db results/symmetry.db]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Core.Models
open Symmetry.Core.Pruning
open Symmetry.Core.Results
open Symmetry.Core.Experiments
open Symmetry.Core.Deconstructing

let flags = Flags.OfScript fsi.CommandLineArgs
let iterative =
    match flags.String("experiment", "one-shot") with
    | "one-shot" -> false
    | "iterative" -> true
    | other -> Flags.Fail<bool>(sprintf "--experiment: expected one-shot or iterative, got '%s'" other)
let train = flags.Switch "train"
let criteria = Flags.Checked(fun () -> flags.List("criteria", KeepCriteria.Parse, [ KeepCriterion.LargeFinalSameSign ]))
let maskOne = Flags.Checked(fun () -> flags.List("mask-one", (fun n -> let struct (a, r) = MaskActions.ParseOne n in struct (a, r)), [ struct (MaskOneAction.Rewind, false) ]))
let maskZero = Flags.Checked(fun () -> MaskActions.ParseZero(flags.String("mask-zero", "zero")))
let dataDir = flags.TryString "data"
let splits = Flags.Checked(fun () -> Data.load dataDir)
let init = Flags.Checked(fun () -> System.Enum.Parse<InitScheme>(flags.String("init", "GlorotNormal"), ignoreCase = true))
let config = let c = Model.forData splits in ModelConfig(c.InputChannels, c.ImageSize, c.Classes, Init = System.Nullable init)
let settings =
    Flags.Checked(fun () ->
        let s =
            DeconstructingSettings(
                Model = flags.String("model", "lenet-300-100"), Config = config,
                InitSeed = uint64 (flags.Int("init-seed", 0)), DataSeed = uint64 (flags.Int("data-seed", 1)),
                Training = (Recipes.named (flags.String("recipe", "deconstructing-fc")) |> Recipes.withFlags flags),
                Fraction = flags.Float("fraction", 0.2), OutputFraction = flags.Float("output-fraction", 0.1),
                Criteria = ResizeArray criteria, MaskOne = ResizeArray [ for struct (a, r) in maskOne -> System.ValueTuple.Create(a, r) ],
                Data = Option.toObj dataDir, MaskZero = maskZero, Rounds = ResizeArray(flags.List("rounds", int, [ 1; 2; 4; 8; 12 ])))
        s.Validate()
        s)
let database = flags.String("db", ResultsStore.DefaultPath)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
flags.Finish()

do
    use splits = splits
    let branches =
        if iterative then DeconstructingPlan.Iterative(settings, splits.Fingerprint)
        else DeconstructingPlan.OneShot(settings, splits.Fingerprint, train)
    use store = Flags.Checked(fun () -> ResultsStore.Open database)
    let realizer = Realizer(store, fun _ -> splits)
    printfn "%s on %s, %s, %s; init seed %d, data seed %d" settings.Model splits.Name
        (if iterative then "iterative" else "one-shot") (settings.Training.Describe()) settings.InitSeed settings.DataSeed
    printfn "%-26s %-28s %-12s %3s %9s %8s %9s" "criterion" "mask-1" "mask-0" "k" "weights %" "state" "accuracy"
    DeconstructingResults.Measure(store, realizer, splits, branches, fun row ->
        let b = row.Branch
        printfn "%-26s %-28s %-12s %3d %9.2f %8s %9.4f" (KeepCriteria.Name b.Criterion) b.MaskOne (MaskActions.Name b.MaskZero) b.Rounds
            (100.0 * row.WeightsRemaining) (if b.Trained then "trained" else "init") row.TestAccuracy)
    |> ignore
    printfn "states: computed %d, loaded %d%s" realizer.Computed realizer.Loaded
        (if realizer.Computed = 0 then " (no state recomputed)" else "")
