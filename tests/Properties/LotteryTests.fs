/// Lottery tickets, linear mode connectivity and layer robustness (ALGORITHMS §4–5): pruning counts against integer
/// oracles and the published LeNet-300-100 fractions, seeded tie-breaking, exact interpolation ends, exact rewinding,
/// train segments that resume the schedule and data order, and measurements read back instead of recomputed.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.LotteryTests

open System
open System.IO
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Masks
open Symmetry.Core.Models
open Symmetry.Core.Training
open Symmetry.Core.Pruning
open Symmetry.Core.Permutations
open Symmetry.Core.Results
open Symmetry.Core.Experiments
open Symmetry.Core.Experiments.Lottery
open Symmetry.Properties.TestSupport
open Symmetry.Properties.ResultsStoreTestSupport

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

let private model name (config: ModelConfig) (seed: uint64) =
    use g = Generators.Create seed
    ModelZoo.Create(name, config, g)

/// Same shape and equal values.
let private sameTensor (a: torch.Tensor) (b: torch.Tensor) = a.shape = b.shape && a.eq(b).all().item<bool>()

/// Kept weights per prunable layer, counted from the mask (dense layers: their size).
let private keptCounts (m: ZooModel) =
    [ for layer in PrunableLayers.All m ->
        match m.Mask with
        | null -> layer.Weight.numel()
        | mask when mask.Contains layer.WeightName -> mask.[layer.WeightName].count_nonzero().item<int64>()
        | _ -> layer.Weight.numel() ]

[<Property(MaxTest = 25)>]
let ``layer-wise rounds keep n − ⌊p·n⌋ per layer each round, within k of n·(1 − p)^k`` (w1: int) (w2: int) (pPercent: int) (qPercent: int) (rounds: int) =
    let widths = [| 1 + abs w1 % 20; 1 + abs w2 % 20 |]
    let p, q = float (abs pPercent % 60) / 100.0, float (abs qPercent % 60) / 100.0
    let k = abs rounds % 8
    use m = model "mnist-fc" (MlpConfig(1, 4, 3, Widths = widths)) (uint64 (w1 + w2))
    let strategy = LayerWisePruning(Fraction = p, OutputFraction = q)
    for round in 1 .. k do strategy.ApplyTo(m, uint64 round)
    let sizes = [ 16L * int64 widths.[0]; int64 (widths.[0] * widths.[1]); int64 widths.[1] * 3L ]
    let rates = [ p; p; q ]
    // Oracle: the recurrence on integers, one layer at a time.
    let expected = List.map2 (fun (n: int64) r -> Seq.fold (fun kept _ -> kept - int64 (floor (r * float kept))) n [ 1 .. k ]) sizes rates
    let closed = List.map2 (fun (n: int64) r -> float n * Math.Pow(1.0 - r, float k)) sizes rates
    let kept = keptCounts m
    (kept = expected |@ sprintf "kept %A, recurrence %A" kept expected)
    .&. (List.forall2 (fun (a: int64) c -> abs (float a - c) <= float k) kept closed |@ sprintf "kept %A, closed form %A" kept closed)

[<Test>]
let ``layer-wise LTH rates on LeNet-300-100 keep 51.3%, 21.1%, 6.95%, 3.6% after 3, 7, 12, 15 rounds`` () =
    use m = model "lenet-300-100" ModelConfig.Mnist 0UL
    let strategy = LayerWisePruning(Fraction = 0.2, OutputFraction = 0.1)
    let published = dict [ 3, (51.3, 0.05); 7, (21.1, 0.05); 12, (6.95, 0.005); 15, (3.6, 0.05) ]
    for round in 1 .. 15 do
        strategy.ApplyTo(m, uint64 round)
        match published.TryGetValue round with
        | true, (percent, tolerance) ->
            let remaining = 100.0 * MagnitudePruning.RemainingFraction m
            // The published values are (265200·0.8^k + 1000·0.9^k)/266200 rounded as printed.
            Assert.That(remaining, Is.EqualTo(percent).Within(tolerance), sprintf "round %d" round)
        | _ -> ()

/// A model whose weights take few distinct magnitudes (many ties).
let private tiedModel (widths: int[]) (seed: uint64) =
    let m = model "mnist-fc" (MlpConfig(1, 4, 3, Widths = widths)) seed
    use g = Generators.Create(seed + 7UL)
    use _ = torch.no_grad ()
    for layer in PrunableLayers.All m do
        use levels = torch.randint(1L, 4L, layer.Weight.shape, generator = g).``to``(torch.ScalarType.Float32)
        use signs = torch.randint(0L, 2L, layer.Weight.shape, generator = g).``to``(torch.ScalarType.Float32) * 2.0 - 1.0
        layer.Weight.copy_(levels * signs * 0.1) |> ignore
    m

[<Property(MaxTest = 25)>]
let ``global pruning removes exactly ⌈p·remaining⌉, the smallest magnitudes, ties drawn by the seed`` (w: int) (pPercent: int) (seed: uint64) =
    let widths = [| 2 + abs w % 12; 2 + abs (w / 13) % 12 |]
    let p = float (1 + abs pPercent % 90) / 100.0
    use m = tiedModel widths seed
    let layers = PrunableLayers.All m
    let magnitudes = [| for l in layers do yield! TestSupport.singles (l.Weight.detach().abs().flatten()) |]
    let total = int64 magnitudes.Length
    use first = MagnitudePruning.Global(m, null, p, seed = seed)
    use again = MagnitudePruning.Global(m, null, p, seed = seed)
    let keeps (mask: ModelMask) = [| for l in layers do yield! TestSupport.singles (mask.[l.WeightName].flatten()) |]
    let kept = keeps first
    let removed = kept |> Array.filter (fun v -> v = 0.0f) |> Array.length |> int64
    let expected = int64 (ceil (p * float total))
    // Every removed magnitude ≤ every kept one (a threshold), whatever the ties.
    let removedMax = Array.zip kept magnitudes |> Array.filter (fun (k, _) -> k = 0.0f) |> Array.map snd |> Array.fold max 0.0f
    let keptMin = Array.zip kept magnitudes |> Array.filter (fun (k, _) -> k <> 0.0f) |> Array.map snd |> Array.fold min Single.MaxValue
    // Other seeds choose other tied weights when the threshold splits a group of equal magnitudes (some removed, some
    // kept); when the cut falls exactly between two levels there is no tie to break. 32 seeds: even a tie of two with
    // one removed gives every seed the same choice with probability 2^-32.
    let splitTie = removed < total && keptMin = removedMax
    let otherSeeds = if splitTie then [ 1UL .. 32UL ] |> List.map (fun d -> use o = MagnitudePruning.Global(m, null, p, seed = seed + d) in keeps o) else []
    (removed = expected |@ sprintf "removed %d of %d, expected ⌈%g·%d⌉ = %d" removed total p total expected)
    .&. (removedMax <= keptMin |@ sprintf "removed up to %g, kept from %g" removedMax keptMin)
    .&. (keeps again = kept |@ "same seed, same mask")
    .&. ((not splitTie || otherSeeds |> List.exists (fun o -> o <> kept)) |@ "the seed breaks ties")

[<Test>]
let ``global pruning with output fraction 0 never prunes the output layer (open_lth's LeNet)`` () =
    use m = model "lenet-300-100" ModelConfig.Mnist 3UL
    let strategy = GlobalPruning(Fraction = 0.2, OutputFraction = 0.0)
    for round in 1 .. 3 do strategy.ApplyTo(m, uint64 round)
    let counts = keptCounts m
    Assert.That(counts.[2], Is.EqualTo 1000L)
    // ⌈0.2·n⌉ of the pooled hidden weights each round.
    let expected = Seq.fold (fun n _ -> n - int64 (ceil (0.2 * float n))) 265200L [ 1 .. 3 ]
    Assert.That(counts.[0] + counts.[1], Is.EqualTo expected)

[<Property(MaxTest = 20)>]
let ``the random-mask control keeps each layer's count at drawn positions`` (w: int) (seed: uint64) =
    use m = model "mnist-fc" (MlpConfig(1, 4, 3, Widths = [| 3 + abs w % 10; 3 |])) seed
    LayerWisePruning(Fraction = 0.5).ApplyTo(m, 1UL)
    let before = keptCounts m
    use mask = (m.Mask |> must).Clone()
    RandomSameCountsPruning().ApplyTo(m, seed)
    let after = keptCounts m
    use redrawn = RandomSameCountsPruning().Prune(m, mask, seed)
    use redrawnAgain = RandomSameCountsPruning().Prune(m, mask, seed)
    let same = redrawn.Names |> Seq.forall (fun n -> sameTensor redrawn.[n] redrawnAgain.[n])
    (before = after |@ sprintf "counts %A then %A" before after) .&. (same |@ "same seed, same mask")

[<Property(MaxTest = 50)>]
let ``interpolation at α = 0 and α = 1 gives the end points bit for bit`` (seed: uint64) (n: int) =
    let size = 1L + int64 (abs n % 50)
    use g = Generators.Create seed
    use scope = torch.NewDisposeScope()
    // Signed zeros and extremes included: 0·a + b would lose b's −0.
    let special = torch.tensor([| -0.0f; 0.0f; 1e-38f; -3e38f |])
    let a = new NamedTensors()
    let b = new NamedTensors()
    a.Add("w", torch.cat([| torch.randn([| size |], generator = g); special |], 0L))
    b.Add("w", torch.cat([| torch.randn([| size |], generator = g); special.flip(0L) |], 0L))
    use at0 = StateInterpolation.Lerp(a, b, 0.0)
    use at1 = StateInterpolation.Lerp(a, b, 1.0)
    let bits (t: torch.Tensor) = TestSupport.singles t |> Array.map BitConverter.SingleToInt32Bits
    let result = (bits at0.["w"] = bits a.["w"] |@ "α = 0") .&. (bits at1.["w"] = bits b.["w"] |@ "α = 1")
    a.Dispose()
    b.Dispose()
    result

let private syntheticSplits () = Symmetry.Properties.DataTestSupport.gaussianSplits 80L 20L

/// SGD without momentum and a stepped rate (so the schedule position matters), batch 16: 5 steps per epoch.
let private sgd epochs =
    TrainingSettings(Optimizer = SgdSettings(LearningRate = 0.1), Schedule = PiecewiseSchedule(Steps = [| ScheduleStep(2, 0.1) |]),
                     BatchSize = 16, Epochs = epochs)

let private stateOf (m: ZooModel) = StateDicts.Copy m

[<Test>]
let ``training stopped at step k and resumed from k equals uninterrupted training, bit for bit`` () =
    use splits = syntheticSplits ()
    let root = ExperimentState.Initial("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 8; 8 |], BatchNorm = true), 2UL)
    let realizer = Realizer(MemoryStateStore(), Path.Combine(Path.GetTempPath(), "symm-lottery-" + Guid.NewGuid().ToString("N")), fun _ -> splits)
    for k in [ 3L; 5L; 12L ] do
        let whole = root.Then(TrainRecipe(Training = sgd 4, Seed = 9UL))
        let split = root.Then(TrainRecipe(Training = sgd 4, Seed = 9UL, StopStep = k)).Then(TrainRecipe(Training = sgd 4, Seed = 9UL, StartStep = k))
        use a = realizer.Realize whole
        use b = realizer.Realize split
        use sa = stateOf a
        use sb = stateOf b
        Assert.That(TestSupport.identicalStates sa sb, sprintf "k = %d: every parameter and buffer equal" k)

[<Test>]
let ``rewinding restores every parameter and buffer of step k exactly, under the new mask`` () =
    use splits = syntheticSplits ()
    let root = ExperimentState.Initial("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 8; 8 |], BatchNorm = true), 4UL)
    let realizer = Realizer(MemoryStateStore(), Path.Combine(Path.GetTempPath(), "symm-lottery-" + Guid.NewGuid().ToString("N")), fun _ -> splits)
    for k in [ 0L; 7L ] do
        let point = if k = 0L then root else root.Then(TrainRecipe(Training = sgd 3, Seed = 1UL, StopStep = k))
        let dense = point.Then(TrainRecipe(Training = sgd 3, Seed = 1UL, StartStep = k))
        let rewound = dense.Then(PruneRecipe(Strategy = LayerWisePruning(Fraction = 0.5), Seed = 1UL)).Then(RewindRecipe(Step = k))
        use atK = realizer.Realize point
        use r = realizer.Realize rewound
        let mask = r.Mask |> must
        use expected = stateOf atK
        use actual = stateOf r
        for KeyValue(name, value) in expected do
            let got = actual.[name]
            if mask.Contains name then
                use keep = mask.[name].``to``(torch.ScalarType.Bool)
                Assert.That(sameTensor (got.masked_select keep) (value.masked_select keep), sprintf "k = %d: kept %s" k name)
                Assert.That(got.masked_select(keep.logical_not()).count_nonzero().item<int64>(), Is.EqualTo 0L, sprintf "k = %d: pruned %s" k name)
            else Assert.That(sameTensor got value, sprintf "k = %d: %s (buffers included)" k name)
    let orphan = root.Then(RewindRecipe(Step = 3L))
    TestSupport.throws<ArgumentException> (fun () -> realizer.Realize orphan |> ignore) |> ignore

[<Test>]
let ``IMP, instability and layer robustness rerun load every state and read their tables back`` () =
    use dir = new TempDir()
    use splits = syntheticSplits ()
    let settings = ImpSettings(Model = "mnist-fc", Config = MlpConfig(1, 4, 3, Widths = [| 8; 8 |]), Training = sgd 2, Rounds = 2, RewindStep = 3L)
    let run () =
        use store = ResultsStore.Open(dir.File "s.db")
        let realizer = Realizer(store, fun _ -> splits)
        let plan = IterativeMagnitudePruning.Plan(settings, splits.Fingerprint)
        let table = ImpResults.Measure(store, realizer, splits, plan)
        let struct (a, b) = InstabilityAnalysis.Children(plan.RewindPoint, settings.Training, 3L, (5UL, 6UL))
        let instability = InstabilityAnalysis.Measure(store, realizer, splits, a, b, 5)
        let robustness = LayerRobustness.Measure(store, realizer, splits, plan.Dense, 3UL)
        // The ends of the path are the children's own errors (no BatchNorm here).
        if not instability.Reused then
            for child, error in [ a, instability.TestErrors.[0]; b, instability.TestErrors.[4] ] do
                use m = realizer.Realize child
                let accuracy = Evaluation.Evaluate(m, LoaderData(splits, 128, 0UL).TestBatches(), torch.CPU).Accuracy
                Assert.That(error, Is.EqualTo(1.0 - accuracy))
        (realizer.Computed, table, instability, robustness)
    let computed, table, instability, robustness = run ()
    Assert.That(computed, Is.GreaterThan 0)
    Assert.That(table.Count, Is.EqualTo 3)
    Assert.That(table.[2].WeightsRemaining, Is.LessThan table.[1].WeightsRemaining)
    Assert.That(robustness.Layers.Count, Is.EqualTo 3)
    Assert.That(instability.Instability, Is.EqualTo(Seq.max instability.TestErrors - (instability.TestErrors.[0] + instability.TestErrors.[4]) / 2.0))
    let again, table2, instability2, robustness2 = run ()
    Assert.That(again, Is.EqualTo 0, "a rerun computes nothing")
    Assert.That((instability2.Reused, robustness2.Reused), Is.EqualTo((true, true)))
    Assert.That((List.ofSeq table2 = List.ofSeq table), "the IMP table read back")
    Assert.That((List.ofSeq instability2.TestErrors = List.ofSeq instability.TestErrors), "the path read back")
    Assert.That((List.ofSeq robustness2.Layers = List.ofSeq robustness.Layers), "the robustness rows read back")
    // The report's lottery family draws one figure of each kind from these runs, and their tables.
    let data = Symmetry.Analysis.StoreData.read (dir.File "s.db")
    let output = Symmetry.Analysis.LotteryFigures.family.Build { Data = data; Runs = Symmetry.Analysis.Frames.runs data }
    Assert.That(output.Figures |> List.map (fun f -> f.Name.Split('-').[1]), Is.EquivalentTo [ "imp"; "instability"; "robustness" ])
    Assert.That((output.Tables |> List.map (fun t -> t.Frame.RowCount) = [ 3; 1; 3 ]), "table rows: 3 IMP rows, 1 path, 3 layers")

[<TestCase("lottery_ticket.fsx", "--strategy nope", "--strategy: expected layerwise or global, got 'nope'")>]
[<TestCase("lottery_ticket.fsx", "--rounds -1", "rounds must be 0 or more, got -1")>]
[<TestCase("mode_connectivity.fsx", "--seeds 3,3", "--seeds: expected two different data-order seeds")>]
[<TestCase("layer_robustness.fsx", "--epochs 0", "epochs")>]
[<TestCase("structured_l1.fsx", "--rounds 2 --frobnicate 1", "unknown flag(s) --frobnicate")>]
let ``the lottery scripts refuse bad flags in one line with exit code 2 and write nothing`` (script: string) (args: string) (message: string) =
    CliTestSupport.assertScriptRefuses script args message

[<Test>]
let ``the F# face gives IMP plans and instability children as F# values`` () =
    let settings = ImpSettings(Model = "mnist-fc", Config = MlpConfig(1, 4, 3, Widths = [| 8 |]), Rounds = 3, RewindStep = 5L)
    use splits = syntheticSplits ()
    let plan = Symmetry.Lottery.plan settings splits
    Assert.That(plan.Rounds.Count, Is.EqualTo 3)
    // Every round rewinds to the dense run's state stopped at step 5.
    for round in plan.Rounds do
        Assert.That(Realizer.RewindTarget(round.Ticket.Parent |> must, 5L).Key, Is.EqualTo plan.RewindPoint.Key)
    let a, b = Symmetry.Lottery.children plan.RewindPoint settings.Training 5L (1UL, 2UL)
    Assert.That((a.ParentKey, b.ParentKey), Is.EqualTo((plan.RewindPoint.Key, plan.RewindPoint.Key)))
    Assert.That(a.Key, Is.Not.EqualTo b.Key)
    TestSupport.throws<ArgumentException> (fun () -> Symmetry.Lottery.children plan.RewindPoint settings.Training 5L (3UL, 3UL) |> ignore) |> ignore
