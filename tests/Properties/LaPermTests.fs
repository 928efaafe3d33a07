/// LaPerm end to end (ALGORITHMS §2): after every sync of a real training run each synchronised row holds exactly θ₀'s
/// values (bit for bit) in the rank order of the weights just before it (an independent stable-argsort oracle), for any
/// k, shapes and pruned rows; k = 1 with a zero learning rate changes nothing; the weight surgery (Agnosticize,
/// RandomPrune), the Keras L2 gradient, the k schedule and the sibling train states.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.LaPermTests

open System
open System.IO
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Experiments
open Symmetry.Core.LaPerm
open Symmetry.Core.Models
open Symmetry.Core.Training
open Symmetry.Properties.TestSupport

type private Module = torch.nn.Module<torch.Tensor, torch.Tensor>

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

// ---------------------------------------------------------------- oracle (plain F# arrays)

/// Positions of a row in ascending order of value, ties by position (a stable argsort).
let private stableOrder (row: float32[]) : int[] =
    Array.init row.Length id |> Array.sortWith (fun a b -> compare (row.[a], a) (row.[b], b))

/// θ₀'s row values sorted, placed so that the k-th smallest goes where θ_t's k-th smallest (stable) is.
/// θ₀'s sorted row is itself a stable sort (equal values, −0 and +0 among them, keep their order).
let private oracleSync (theta0Row: float32[]) (currentRow: float32[]) : float32[] =
    let sorted = stableOrder theta0Row |> Array.map (fun i -> theta0Row.[i])
    let result = Array.zeroCreate currentRow.Length
    stableOrder currentRow |> Array.iteri (fun k position -> result.[position] <- sorted.[k])
    result

let private bits (xs: float32[]) = xs |> Array.map BitConverter.SingleToInt32Bits

/// A parameter's values as rows: (rows, fan-in) with a 1-D tensor one row, as LaPerm sees it.
let private rowsOf (p: torch.Tensor) : float32[][] =
    let values = p.detach().cpu().contiguous().data<float32>().ToArray()
    let rows = if p.dim() <= 1L then 1 else int p.shape.[0]
    Array.chunkBySize (values.Length / rows) values

// ---------------------------------------------------------------- a small problem

/// 96 training and 32 test samples of 1×4×4 in 3 classes (6 steps per epoch at batch 16).
let private syntheticSplits () = Symmetry.Properties.DataTestSupport.gaussianSplits 96L 32L

type private Case =
    { Conv: bool; Width: int; BatchNorm: bool; K: int; Epochs: int; Keep: float; ZeroRow: bool; Biases: bool; SyncAtEnd: bool; Seed: int }

let private genCase =
    gen {
        let! conv = Gen.elements [ false; true ]
        let! width = Gen.choose (1, 7)
        let! batchNorm = Gen.elements [ false; true ]
        let! k = Gen.choose (1, 8)
        let! epochs = Gen.choose (1, 3)
        let! keep = Gen.elements [ 1.0; 0.7; 0.3 ]
        let! zeroRow = Gen.elements [ false; true ]
        let! biases = Gen.elements [ false; true ]
        let! syncAtEnd = Gen.elements [ false; true ]
        let! seed = Gen.choose (0, 10000)
        return { Conv = conv; Width = width; BatchNorm = batchNorm; K = k; Epochs = epochs; Keep = keep; ZeroRow = zeroRow
                 Biases = biases; SyncAtEnd = syncAtEnd; Seed = seed }
    }

/// An MLP (16 → width → 3) or a small conv net (C width 3×3 same → flatten → 3), BatchNorm optional, with pruned
/// weights (RandomPrune) and, optionally, the first layer's first row entirely zero.
let private build (case: Case) : Module =
    torch.manual_seed (int64 case.Seed) |> ignore
    let layers: (string * Module) list =
        if case.Conv then
            [ "conv", torch.nn.Conv2d(1L, int64 case.Width, 3L, padding = 1L)
              if case.BatchNorm then "bn", torch.nn.BatchNorm2d(int64 case.Width)
              "relu", torch.nn.ReLU()
              "flatten", torch.nn.Flatten()
              "out", torch.nn.Linear(int64 (case.Width * 16), 3L) ]
        else
            [ "flatten", torch.nn.Flatten()
              "hidden", torch.nn.Linear(16L, int64 case.Width)
              if case.BatchNorm then "bn", torch.nn.BatchNorm1d(int64 case.Width)
              "relu", torch.nn.ReLU()
              "out", torch.nn.Linear(int64 case.Width, 3L) ]
    let net = torch.nn.Sequential(layers |> List.map (fun (n, m) -> struct (n, m)) |> Array.ofList)
    RandomPrune.Apply(net, case.Keep, uint64 case.Seed, inputKeep = 0.0)
    if case.ZeroRow then
        use noGrad = torch.no_grad()
        (Seq.head (net.parameters())).[0].zero_() |> ignore
    net :> Module

/// Runs a callback body on each step.
type private OnStep(action: Trainer -> unit) =
    interface ITrainingCallback with
        member _.OnStep(trainer, _) = action trainer

/// The value, failing the test when it is null.
let private must (value: 'T | null) : 'T =
    match value with
    | null -> failwith "unexpected null"
    | v -> v

let private parameterMap (net: Module) =
    net.named_parameters() |> Seq.map (fun struct (n, p) -> n, p) |> Map.ofSeq

// ---------------------------------------------------------------- properties

[<Property(MaxTest = 40)>]
let ``after every sync each synchronised row is theta0's multiset, bit for bit, in the rank order of the weights before it`` () =
    Prop.forAll (arb genCase) (fun case ->
        use scope = torch.NewDisposeScope()
        use splits = syntheticSplits ()
        use net = build case
        let settings = LaPermSettings(SyncPeriod = case.K, SynchroniseBiases = case.Biases, SynchroniseBatchNorm = case.BatchNorm, SyncAtEnd = case.SyncAtEnd)
        let data = LoaderData(splits, 16, uint64 case.Seed, evaluationBatchSize = 32)
        let total = data.BatchesPerEpoch * int64 case.Epochs
        use laPerm = new LaPermSynchronizer(net, settings, total)
        // θ₀ as plain arrays, read before training, independently of the trainer's snapshot.
        let theta0 = laPerm.Synchronised |> Seq.map (fun n -> n, rowsOf (parameterMap net).[n]) |> Map.ofSeq
        let mutable before = Map.empty
        let mutable checkedSyncs = 0
        let record = OnStep(fun trainer ->
            if laPerm.IsSyncStep(trainer.Step, trainer.Epoch) then
                before <- laPerm.Synchronised |> Seq.map (fun n -> n, rowsOf (parameterMap trainer.Model).[n]) |> Map.ofSeq)
        let check = OnStep(fun trainer ->
            if laPerm.LastSyncStep = trainer.Step then
                checkedSyncs <- checkedSyncs + 1
                for name in laPerm.Synchronised do
                    let now = rowsOf (parameterMap trainer.Model).[name]
                    for j in 0 .. now.Length - 1 do
                        let what = sprintf "%s row %d at step %d" name j trainer.Step
                        assertArrayEqual (what + ": multiset of bit patterns") (Array.sort (bits theta0.[name].[j])) (Array.sort (bits now.[j]))
                        assertArrayEqual (what + ": oracle") (bits (oracleSync theta0.[name].[j] before.[name].[j])) (bits now.[j])
                        // Ranks of θ_t survive wherever θ₀'s values can express them (distinct values).
                        if (Array.distinct theta0.[name].[j]).Length = now.[j].Length then
                            assertArrayEqual (what + ": ranks") (stableOrder before.[name].[j]) (stableOrder now.[j]))
        use optimizer = AdamSettings(LearningRate = 0.05).Create(net.parameters())
        use trainer = new Trainer(net, optimizer, data, TrainerOptions(Epochs = case.Epochs, Seed = uint64 case.Seed, EvaluateEachEpoch = false),
                                  callbacks = [ record :> ITrainingCallback; laPerm; check ])
        trainer.Run() |> ignore
        // Brute-force count of the sync steps.
        let expected = [ 1L .. total ] |> List.filter (fun t -> t % int64 case.K = 0L || (case.SyncAtEnd && t = total)) |> List.length
        Assert.That(laPerm.Syncs, Is.EqualTo(int64 expected), "syncs")
        Assert.That(checkedSyncs, Is.EqualTo expected, "syncs checked")
        let expectedNames =
            [ for struct (n, p) in net.named_parameters() do
                let isBn = n.StartsWith "bn."
                if (if isBn then case.BatchNorm else p.dim() <= 1L && case.Biases || p.dim() > 1L) then yield n ]
        assertArrayEqual "synchronised names" (Array.ofList expectedNames) (Array.ofSeq laPerm.Synchronised))

[<Property(MaxTest = 25)>]
let ``k = 1 with a zero learning rate leaves every parameter bit for bit unchanged`` () =
    Prop.forAll (arb genCase) (fun case ->
        use scope = torch.NewDisposeScope()
        use splits = syntheticSplits ()
        use net = build case
        let start = net.parameters() |> Seq.map (fun p -> bits (p.detach().contiguous().data<float32>().ToArray())) |> Array.ofSeq
        let settings = LaPermSettings(SyncPeriod = 1, SynchroniseBiases = case.Biases, SynchroniseBatchNorm = case.BatchNorm)
        use laPerm = new LaPermSynchronizer(net, settings)
        // Adam at rate 0 (Create does not validate, so the zero rate is allowed here), with an L2 gradient on top.
        use optimizer = AdamSettings(LearningRate = 0.0).Create(net.parameters())
        use trainer = new Trainer(net, optimizer, LoaderData(splits, 16, 3UL, evaluationBatchSize = 32),
                                  TrainerOptions(Epochs = case.Epochs, EvaluateEachEpoch = false),
                                  callbacks = [ L2Penalty(net, 1e-2) :> ITrainingCallback; laPerm ])
        trainer.Run() |> ignore
        Assert.That(laPerm.Syncs, Is.EqualTo(trainer.Step))
        let after = net.parameters() |> Seq.map (fun p -> bits (p.detach().contiguous().data<float32>().ToArray())) |> Array.ofSeq
        Array.iteri2 (fun i a b -> assertArrayEqual (sprintf "parameter %d" i) a b) start after)

[<Property(MaxTest = 100)>]
let ``the k schedule and the aligned evaluation period agree with brute force`` () =
    let genSettings =
        gen {
            let! k = Gen.choose (1, 12)
            let! steps = Gen.listOfLength 2 (Gen.zip (Gen.choose (0, 6)) (Gen.choose (1, 12)))
            let! stepsPerEpoch = Gen.choose (1, 200)
            let! epoch = Gen.choose (0, 8)
            return k, steps, int64 stepsPerEpoch, epoch
        }
    Prop.forAll (arb genSettings) (fun (k, steps, stepsPerEpoch, epoch) ->
        let settings = LaPermSettings(SyncPeriod = k, SyncSchedule = [| for e, p in steps -> SyncPeriodStep(e, p) |])
        // k(epoch): the period of the latest step at or before the epoch (the later one in list order on a tie
        // after sorting by epoch), else k.
        let expectedK =
            steps |> List.indexed |> List.filter (fun (_, (e, _)) -> e <= epoch)
            |> List.sortBy (fun (i, (e, _)) -> e, i) |> List.tryLast |> Option.map (fun (_, (_, p)) -> p) |> Option.defaultValue k
        Assert.That(settings.PeriodAt epoch, Is.EqualTo expectedK, "k(epoch)")
        let periods = k :: List.map snd steps
        let expectedE = Seq.initInfinite (fun i -> int64 (i + 1)) |> Seq.find (fun e -> e >= stepsPerEpoch && periods |> List.forall (fun p -> e % int64 p = 0L))
        Assert.That(settings.AlignedEvaluationPeriod stepsPerEpoch, Is.EqualTo expectedE, "evaluation period"))

[<Property(MaxTest = 30)>]
let ``agnosticize leaves every parameter in {0, value} and keeps about a over b of it`` () =
    let genAgn = gen {
        let! value = Gen.elements [ 0.01; 0.08; -0.03 ]
        let! a = Gen.choose (0, 7)
        let! b = Gen.choose (max 1 a, 8)
        let! perTensor = Gen.elements [ false; true ]
        let! seed = Gen.choose (0, 1000)
        return value, a, b, perTensor, seed }
    Prop.forAll (arb genAgn) (fun (value, a, b, perTensor, seed) ->
        use scope = torch.NewDisposeScope()
        use net = torch.nn.Sequential(struct ("0", torch.nn.Linear(300L, 200L) :> Module), struct ("1", torch.nn.Linear(200L, 10L) :> Module))
        // Per tensor: the given ratio for the weights, everything kept for the rest.
        let keep = if perTensor then [| KeepRatio(a, b); KeepRatio(1, 1); KeepRatio(a, b); KeepRatio(1, 1) |] else [| KeepRatio(a, b) |]
        Agnosticize.Apply(net, Nullable value, keep, uint64 seed)
        let shared = float32 value
        for i, p in Seq.indexed (net.parameters()) do
            let values = p.detach().data<float32>().ToArray()
            Assert.That(values |> Array.forall (fun x -> x = 0.0f || x = shared), sprintf "parameter %d in {0, %g}" i value)
            let ratio = keep.[if perTensor then i else 0]
            let kept = values |> Array.filter (fun x -> x <> 0.0f) |> Array.length |> float
            let n = float values.Length
            let p = ratio.Fraction
            // Binomial(n, a/b): within 6 standard deviations (a failure here is a one-in-a-billion draw, or a bug).
            Assert.That(abs (kept - n * p), Is.LessThanOrEqualTo(6.0 * sqrt (n * p * (1.0 - p)) + 1e-9), sprintf "parameter %d kept %g of %g at %d/%d" i kept n a b))

[<Test>]
let ``agnosticize refuses a ratio count that is neither one nor one per parameter`` () =
    use net = torch.nn.Linear(4L, 3L)
    throws<ArgumentException> (fun () -> Agnosticize.Apply(net, Nullable 0.01, [| KeepRatio(1, 2); KeepRatio(1, 2); KeepRatio(1, 2) |], 1UL)) |> ignore
    throws<ArgumentOutOfRangeException> (fun () -> Agnosticize.Apply(net, Nullable 0.01, [| KeepRatio(3, 2) |], 1UL)) |> ignore

[<Property(MaxTest = 30)>]
let ``random prune keeps each weight at its value or zeroes it, skips 1-D tensors, and keeps max(keep, inputKeep) of the first`` () =
    let genPrune = gen {
        let! keep = Gen.elements [ 0.1; 0.3; 0.7; 1.0 ]
        let! inputKeep = Gen.elements [ 0.0; 0.5; 0.8 ]
        let! seed = Gen.choose (0, 1000)
        return keep, inputKeep, seed }
    Prop.forAll (arb genPrune) (fun (keep, inputKeep, seed) ->
        use scope = torch.NewDisposeScope()
        use net = torch.nn.Sequential(struct ("0", torch.nn.Linear(300L, 200L) :> Module), struct ("1", torch.nn.Linear(200L, 50L) :> Module))
        let before = net.parameters() |> Seq.map (fun p -> p.detach().clone().data<float32>().ToArray()) |> Array.ofSeq
        RandomPrune.Apply(net, keep, uint64 seed, inputKeep)
        let after = net.parameters() |> Seq.map (fun p -> p.detach().data<float32>().ToArray()) |> Array.ofSeq
        for i in 0 .. after.Length - 1 do
            let isBias = i % 2 = 1
            if isBias then assertArrayEqual (sprintf "bias %d untouched" i) (bits before.[i]) (bits after.[i])
            else
                Array.iter2 (fun b a -> Assert.That((a = b || a = 0.0f), "kept or zeroed")) before.[i] after.[i]
                let rate = if i = 0 then max keep inputKeep else keep
                let n = float after.[i].Length
                let kept = after.[i] |> Array.filter (fun x -> x <> 0.0f) |> Array.length |> float
                Assert.That(abs (kept - n * rate), Is.LessThanOrEqualTo(6.0 * sqrt (n * rate * (1.0 - rate)) + 1e-9), sprintf "tensor %d kept %g of %g at %g" i kept n rate))

[<Property(MaxTest = 20)>]
let ``the Keras L2 gradient is autograd's of lambda times the sum of squared weights, output layer and biases excluded`` () =
    Prop.forAll (arb (Gen.zip (Gen.elements [ 1e-4; 1e-2; 0.5 ]) (Gen.choose (0, 1000)))) (fun (lambda, seed) ->
        use scope = torch.NewDisposeScope()
        torch.manual_seed (int64 seed) |> ignore
        use net = torch.nn.Sequential(struct ("a", torch.nn.Linear(6L, 5L) :> Module), struct ("b", torch.nn.Linear(5L, 4L) :> Module), struct ("c", torch.nn.Linear(4L, 3L) :> Module))
        let penalty = L2Penalty(net, lambda)
        assertArrayEqual "penalised" [| "a.weight"; "b.weight" |] (Array.ofSeq penalty.Penalised)
        let x = torch.randn([| 7L; 6L |])
        let y = torch.randint(0L, 3L, [| 7L |], dtype = torch.ScalarType.Int64)
        // Oracle: autograd of cross-entropy + λ(‖a.weight‖² + ‖b.weight‖²).
        let parameters = parameterMap net
        let penalised = torch.nn.functional.cross_entropy(net.call x, y) + lambda * (parameters.["a.weight"].square().sum() + parameters.["b.weight"].square().sum())
        penalised.backward()
        let expected = net.parameters() |> Seq.map (fun p -> doubles ((must p.grad).``to``(torch.ScalarType.Float64))) |> Array.ofSeq
        net.zero_grad()
        torch.nn.functional.cross_entropy(net.call x, y).backward()
        use splits = syntheticSplits ()
        use optimizer = AdamSettings().Create(net.parameters())
        use trainer = new Trainer(net, optimizer, LoaderData(splits, 16, 1UL), TrainerOptions())
        (penalty :> ITrainingCallback).OnGradients trainer
        let actual = net.parameters() |> Seq.map (fun p -> doubles ((must p.grad).``to``(torch.ScalarType.Float64))) |> Array.ofSeq
        Array.iteri2 (fun i e a -> assertAllClose (sprintf "gradient %d" i) 1e-5 1e-7 e a) expected actual)

[<Test>]
let ``LaPerm refuses a masked model`` () =
    use init = Generators.ForPurpose(1UL, "init")
    use model = ModelZoo.Create("f2", ModelConfig.Mnist, init)
    use mask = Symmetry.Core.Masks.ModelMasks.Create(model, Symmetry.Core.Masks.MaskType.Random, 0.5, 3UL)
    model.SetMask mask
    let error = throws<ArgumentException> (fun () -> new LaPermSynchronizer(model, LaPermSettings()) |> ignore)
    Assert.That(error.Message, Does.Contain "RandomPrune")

[<Test>]
let ``unset LaPerm fields stay out of a train state's key; set ones enter it`` () =
    let root = ExperimentState.Initial("f1", ModelConfig.Mnist, 1UL)
    let plain = root.Then(TrainRecipe(Seed = 1UL))
    let json = plain.ToCanonicalJson()
    for field in [ "laPerm"; "\"l2\""; "evaluateEverySteps"; "augmentation" ] do
        Assert.That(json, Does.Not.Contain field, "a plain train recipe's JSON (and so every key recorded before LaPerm) has no " + field)
    let k250 = root.Then(LaPermRecipes.F1.Train(1UL))
    let k20 = root.Then(LaPermRecipes.F1.Override(syncPeriod = 20).Train(1UL))
    Assert.That(k250.ToCanonicalJson(), Does.Contain "\"syncPeriod\":250")
    Assert.That(k250.Key, Is.Not.EqualTo k20.Key)
    Assert.That(k250.Key, Is.Not.EqualTo(root.Then(LaPermRecipes.F1.Train(1UL, laPerm = false)).Key))

[<Test>]
let ``LaPerm and Adam siblings of one agnosticized root: LaPerm ends a rearrangement of its start, Adam does not`` () =
    use splits = syntheticSplits ()
    let directory = Path.Combine(Path.GetTempPath(), "symmetry-laperm-" + Guid.NewGuid().ToString("N"))
    try
        let realizer = Realizer(MemoryStateStore(), directory, (fun _ -> splits))
        let training = TrainingSettings(Optimizer = AdamSettings(LearningRate = 0.05), BatchSize = 16, Epochs = 2)
        let train (laPerm: LaPermSettings | null) = TrainRecipe(Seed = 5UL, Training = training, LaPerm = laPerm)
        let start = ExperimentState.Initial("f1", ModelConfig(1, 4, 3), 5UL).Then(AgnosticizeRecipe(Value = Nullable 0.08, Keep = [| KeepRatio(4, 7) |], Seed = 5UL))
        use initial = realizer.Realize start
        use laPerm = realizer.Realize(start.Then(train (LaPermSettings(SyncPeriod = 5))))
        use adam = realizer.Realize(start.Then(train null))
        let w (m: ZooModel) = rowsOf (Seq.head (m.parameters()))
        let sortedRows (m: ZooModel) = w m |> Array.map (Array.sort >> bits)
        Assert.That(w initial |> Array.concat |> Array.forall (fun x -> x = 0.0f || x = 0.08f), "agnosticized start in {0, 0.08}")
        Assert.That((sortedRows laPerm = sortedRows initial), "LaPerm keeps every row's multiset")
        Assert.That((w laPerm <> w initial), "LaPerm moved values")
        Assert.That((sortedRows adam <> sortedRows initial), "Adam changes values")
    finally
        if Directory.Exists directory then Directory.Delete(directory, true)

[<Test>]
let ``a LaPerm run killed after an epoch resumes from its checkpoint to the uninterrupted run, bit for bit`` () =
    use dir = new Symmetry.Properties.DataTestSupport.TempDir()
    use splits = syntheticSplits ()
    // 96 samples at batch 16: 6 steps an epoch. With k = 4 the first epoch ends two Adam steps after a sync, so its
    // checkpoint holds weights that are not a rearrangement of θ₀: a resumed run that took θ₀ from them (rather than
    // from the checkpoint's initial parameters) would synchronise to other multisets and end elsewhere.
    let training = TrainingSettings(Optimizer = AdamSettings(LearningRate = 0.05), BatchSize = 16, Epochs = 3)
    let state =
        ExperimentState.Initial("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 8; 8 |]), 3UL)
            .Then(RandomPruneRecipe(Keep = 0.7, InputKeep = 0.7, Seed = 3UL))
            .Then(TrainRecipe(Seed = 3UL, Training = training, LaPerm = LaPermSettings(SyncPeriod = 4, SynchroniseBiases = true)))
    let realize (db: string) (kill: bool) =
        use store = Symmetry.Core.Results.ResultsStore.Open(dir.File db)
        let realizer = Realizer(store, fun _ -> splits)
        if kill then
            realizer.CallbacksFor <-
                Func<_, _>(fun _ -> [ Callbacks.OnEpochEnd(fun _ epoch -> if epoch = 1 then raise (OperationCanceledException "killed")) ] :> seq<_>)
        let model = realizer.Realize state
        model, store.LatestCheckpoint state.Key
    let whole, _ = realize "whole.db" false
    use whole = whole
    throws<OperationCanceledException> (fun () -> realize "killed.db" true |> fst |> _.Dispose()) |> ignore
    do
        use store = Symmetry.Core.Results.ResultsStore.Open(dir.File "killed.db")
        Assert.That(store.LatestCheckpoint state.Key, Is.Not.Null, "the killed run left its epoch-1 checkpoint")
    let resumed, _ = realize "killed.db" false
    use resumed = resumed
    use a = StateDicts.Copy whole
    use b = StateDicts.Copy resumed
    Assert.That(identicalStates a b, "every parameter and buffer of the resumed run equals the uninterrupted run's")
