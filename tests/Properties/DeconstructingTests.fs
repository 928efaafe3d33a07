/// Deconstructing lottery tickets (ALGORITHMS §4): keep-score criteria against counting and ordering oracles, mask
/// actions against multiset and sign oracles, and frozen weights through real training.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.DeconstructingTests

open System
open System.IO
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Masks
open Symmetry.Core.Models
open Symmetry.Core.Training
open Symmetry.Core.Pruning
open Symmetry.Core.Deconstructing
open Symmetry.Core.Experiments
open Symmetry.Properties.TestSupport
open Symmetry.Properties.ResultsStoreTestSupport
open Symmetry.Properties.DataTestSupport

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// n distinct values in random order (a permutation of 1..n, scaled and signed), so scores never tie.
let private distinct (n: int64) (seed: uint64) =
    use g = new torch.Generator(seed)
    let signs = torch.randint(0L, 2L, [| n |], generator = g) * 2L - 1L
    (torch.randperm(n, generator = g) + 1L).``to``(torch.ScalarType.Float32) * signs.``to``(torch.ScalarType.Float32) / float32 n

let private keepSet (keep: torch.Tensor) = keep.flatten().nonzero().squeeze(1L).data<int64>() |> Set.ofSeq

[<Property(MaxTest = 40)>]
let ``opposite criteria keep complementary sets on distinct scores`` (size: int) (removePercent: int) (seed: int) =
    use scope = torch.NewDisposeScope()
    let n = int64 (2 + abs size % 60)
    let remove = int64 (abs removePercent % 101) * n / 100L
    let wi, wf = distinct n (uint64 seed), distinct n (uint64 seed + 1UL)
    use ties = new torch.Generator(3UL)
    let keep criterion r = CriterionPruning.LayerKeep(KeepScores.Of(criterion, wi, wf), null, r, ties) |> keepSet
    let all = Set.ofSeq [ 0L .. n - 1L ]
    [ KeepCriterion.LargeFinal, KeepCriterion.SmallFinal; KeepCriterion.LargeInit, KeepCriterion.SmallInit ]
    |> List.map (fun (large, small) ->
        let a, b = keep large remove, keep small (n - remove)
        (Set.intersect a b = Set.empty && Set.union a b = all) |@ sprintf "%A kept %A, %A kept %A" large a small b)
    |> List.reduce (.&.)

[<Property(MaxTest = 60)>]
let ``single-score criteria remove exactly the lowest scores among the kept weights`` (size: int) (removePercent: int) (seed: int) (criterionIndex: int) (coarse: bool) =
    use scope = torch.NewDisposeScope()
    let singles = KeepCriteria.All |> Seq.filter (KeepCriteria.IsCombined >> not) |> Seq.toArray
    let criterion = singles.[abs criterionIndex % singles.Length]
    let n = int64 (1 + abs size % 50)
    use g = new torch.Generator(uint64 seed)
    // Coarse values tie often: the seeded tie-break must still remove exactly the count.
    let draw () : torch.Tensor = let v = torch.randn([| n |], generator = g) in if coarse then v.mul((2.0).ToScalar()).round() else v
    let wi, wf = draw (), draw ()
    let alive = torch.rand([| n |], generator = g).gt((0.3).ToScalar())
    let aliveCount = alive.sum().item<int64>()
    let remove = int64 (abs removePercent % 101) * aliveCount / 100L
    use random = new torch.Generator(5UL)
    let scores = KeepScores.Of(criterion, wi, wf, random)
    use ties = new torch.Generator(7UL)
    let keep = CriterionPruning.LayerKeep(scores, alive, remove, ties)
    let score = scores.[0].``to``(torch.ScalarType.Float64)
    let kept = keep.logical_and(alive)
    let removed = alive.logical_and(keep.logical_not())
    let lowestKept = if kept.any().item<bool>() then score.masked_select(kept).min().item<float>() else infinity
    let highestRemoved = if removed.any().item<bool>() then score.masked_select(removed).max().item<float>() else -infinity
    (keep.sum().item<int64>() = aliveCount - remove |@ sprintf "%A: kept %d, expected %d" criterion (keep.sum().item<int64>()) (aliveCount - remove))
    .&. (keep.logical_and(alive.logical_not()).any().item<bool>() |> not |@ "a pruned weight came back")
    .&. (highestRemoved <= lowestKept |@ sprintf "%A: removed up to %g, kept from %g" criterion highestRemoved lowestKept)

[<Property(MaxTest = 60)>]
let ``combined criteria hit the target count exactly and keep only weights above the threshold in both scores`` (size: int) (removePercent: int) (seed: int) (small: bool) (coarse: bool) =
    use scope = torch.NewDisposeScope()
    let criterion = if small then KeepCriterion.SmallInitSmallFinal else KeepCriterion.LargeInitLargeFinal
    let n = int64 (1 + abs size % 80)
    use g = new torch.Generator(uint64 seed)
    let draw () : torch.Tensor = let v = torch.randn([| n |], generator = g) in if coarse then v.mul((2.0).ToScalar()).round() else v
    let wi, wf = draw (), draw ()
    let alive = torch.rand([| n |], generator = g).gt((0.25).ToScalar())
    let aliveCount = alive.sum().item<int64>()
    let remove = int64 (abs removePercent % 101) * aliveCount / 100L
    use ties = new torch.Generator(9UL)
    let scores = KeepScores.Of(criterion, wi, wf)
    let keep = CriterionPruning.LayerKeep(scores, alive, remove, ties)
    // Oracle: count. And no removed weight beats every kept weight in both scores (the shared threshold): a removed
    // weight strictly above the minimum kept in both scores would contradict it.
    let s1, s2 = scores.[0].``to``(torch.ScalarType.Float64), scores.[1].``to``(torch.ScalarType.Float64)
    let kept = keep.logical_and(alive)
    let removed = alive.logical_and(keep.logical_not())
    let beats =
        if kept.any().item<bool>() then
            let m1, m2 = s1.masked_select(kept).min(), s2.masked_select(kept).min()
            removed.logical_and(s1.gt(m1)).logical_and(s2.gt(m2)).sum().item<int64>()
        else 0L
    (keep.sum().item<int64>() = aliveCount - remove |@ sprintf "kept %d of %d alive, expected %d" (keep.sum().item<int64>()) aliveCount (aliveCount - remove))
    .&. (keep.logical_and(alive.logical_not()).any().item<bool>() |> not |@ "a pruned weight came back")
    .&. (beats <= 1L |@ sprintf "%d removed weights beat the kept minimum in both scores" beats)

[<Property(MaxTest = 20)>]
let ``criterion pruning of a model removes ⌊(1 − (1 − p)^rounds)·remaining⌋ per layer`` (w: int) (pPercent: int) (rounds: int) (criterionIndex: int) =
    let widths = [| 1 + abs w % 12; 3 |]
    let p = float (abs pPercent % 90) / 100.0
    let k = 1 + abs rounds % 3
    let criterion = KeepCriteria.All.[abs criterionIndex % KeepCriteria.All.Count]
    use g1 = Generators.Create 1UL
    use g2 = Generators.Create 2UL
    use initial = ModelZoo.Create("mnist-fc", MlpConfig(1, 4, 3, Widths = widths), g1)
    use final = ModelZoo.Create("mnist-fc", MlpConfig(1, 4, 3, Widths = widths), g2)
    let sizes = [ for l in PrunableLayers.All final -> l.Size ]
    let rates = [ p; p; 0.1 ]
    use once = CriterionPruning.Prune(initial, final, null, criterion, p, Nullable 0.1, rounds = k, seed = 4UL)
    let expected = List.map2 (fun (n: int64) r -> n - int64 (floor ((1.0 - Math.Pow(1.0 - r, float k)) * float n))) sizes rates
    let kept = [ for l in PrunableLayers.All final -> once.[l.WeightName].sum().item<float32>() |> int64 ]
    kept = expected |@ sprintf "%A: kept %A, expected %A" criterion kept expected

/// A 1×4×4 → 8 → 6 → 3 MLP, a trained child, pruned by a criterion.
let private syntheticSplits () = Symmetry.Properties.DataTestSupport.gaussianSplits 80L 20L

let private adam epochs = TrainingSettings(Optimizer = AdamSettings(LearningRate = 0.01), BatchSize = 16, Epochs = epochs)

let private pruned (criterion: KeepCriterion) =
    let root = ExperimentState.Initial("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 8; 6 |]), 3UL)
    let trained = root.Then(TrainRecipe(Training = adam 2, Seed = 1UL))
    root, trained, trained.Then(CriterionPruneRecipe(Criterion = criterion, Fraction = 0.5, OutputFraction = Nullable 0.3, Seed = 2UL))

let private realizerOver splits =
    Realizer(MemoryStateStore(), Path.Combine(Path.GetTempPath(), "symm-deconstruct-" + Guid.NewGuid().ToString("N")), fun _ -> splits)

let private sortedValues (t: torch.Tensor) = (let struct (values, _) = t.flatten().sort(0L) in values.data<float32>().ToArray())

[<Test>]
let ``reshuffle keeps each layer's multiset of kept initial values; signed actions keep every kept weight's sign`` () =
    use splits = syntheticSplits ()
    let realizer = realizerOver splits
    let root, _, prunedState = pruned KeepCriterion.LargeFinalSameSign
    use theta0 = realizer.Realize root
    for one in Enum.GetValues<MaskOneAction>() do
        for rescale in [ false; true ] do
            use m = realizer.Realize(prunedState.Then(MaskActionRecipe(MaskOne = one, Rescaling = rescale, Seed = 8UL)))
            let mask = m.Mask |> must
            for layer in PrunableLayers.All m do
                use scope = torch.NewDisposeScope()
                let keep = mask.[layer.WeightName].ne((0.0).ToScalar())
                let wi = (PrunableLayers.All theta0 |> Seq.find (fun l -> l.WeightName = layer.WeightName)).Weight.detach()
                let start = layer.Weight.detach()
                let scale = if rescale then float (keep.numel()) / float (keep.sum().item<int64>()) else 1.0
                Assert.That(start.masked_select(keep.logical_not()).count_nonzero().item<int64>(), Is.EqualTo 0L, "pruned weights are zero")
                match one with
                | MaskOneAction.Rewind | MaskOneAction.Reshuffle ->
                    Assert.That(sortedValues (start.masked_select keep / scale), Is.EqualTo<float32>(sortedValues (wi.masked_select keep)).Within(1e-6),
                                sprintf "%s %s: multiset of kept initial values" (MaskActions.Name(one, rescale)) layer.WeightName)
                | MaskOneAction.SignedReinit | MaskOneAction.SignedReshuffle | MaskOneAction.SignedConstant ->
                    Assert.That(start.sign().masked_select(keep).eq(wi.sign().masked_select(keep)).all().item<bool>(),
                                sprintf "%s %s: every kept weight keeps sign(w_i)" (MaskActions.Name(one, rescale)) layer.WeightName)
                | _ -> ()
                if one = MaskOneAction.SignedConstant then
                    let std = wi.std(unbiased = false).item<float32>() |> float
                    Assert.That(start.masked_select(keep).abs().sub((std * scale).ToScalar()).abs().max().item<float32>(), Is.LessThan 1e-6f,
                                "signed constant: the whole initial layer's std")

[<Test>]
let ``reinit shuffles the whole initial tensor: with nothing pruned, every layer is a permutation of w_i`` () =
    use scope = torch.NewDisposeScope()
    let wi, wf = distinct 50L 1UL, distinct 50L 2UL
    let all = torch.ones([| 50L |])
    use g = new torch.Generator(4UL)
    for one in [ MaskOneAction.Reinit; MaskOneAction.RandSignedConstant; MaskOneAction.SignedReinit ] do
        let start = MaskActions.Start(one, false, MaskZeroAction.Zero, wi, wf, all, g)
        let expected = if one = MaskOneAction.RandSignedConstant then wi.std(unbiased = false) * wi.sign() else wi
        let compare (t: torch.Tensor) = if one = MaskOneAction.SignedReinit then t.abs() else t
        Assert.That(sortedValues (compare start), Is.EqualTo<float32>(sortedValues (compare expected)).Within(1e-6), sprintf "%A" one)
        Assert.That(start.eq(expected).all().item<bool>(), Is.False, sprintf "%A moved something" one)

[<Test>]
let ``freeze holds every pruned weight exactly at w_i through real training, and reloads so`` () =
    use splits = syntheticSplits ()
    let store = MemoryStateStore()
    let directory = Path.Combine(Path.GetTempPath(), "symm-deconstruct-" + Guid.NewGuid().ToString("N"))
    let root, _, prunedState = pruned KeepCriterion.LargeFinal
    for zero in Enum.GetValues<MaskZeroAction>() |> Seq.filter ((<>) MaskZeroAction.Zero) do
        let acted = prunedState.Then(MaskActionRecipe(MaskZero = zero, Seed = 3UL))
        let trained = acted.Then(TrainRecipe(Training = adam 2, Seed = 5UL))
        let realizer = Realizer(store, directory, fun _ -> splits)
        use theta0 = realizer.Realize root
        use start = realizer.Realize acted
        use m = realizer.Realize trained
        use again = Realizer(store, directory, fun _ -> splits).Realize trained
        let mask = m.Mask |> must
        Assert.That(m.Frozen, Is.Not.Null, "frozen values held")
        Assert.That(again.Frozen, Is.Not.Null, "frozen values reloaded from the checkpoint")
        for layer in PrunableLayers.All m do
            use scope = torch.NewDisposeScope()
            let pruned = mask.[layer.WeightName].eq((0.0).ToScalar())
            let before = (PrunableLayers.All start |> Seq.find (fun l -> l.WeightName = layer.WeightName)).Weight.detach()
            let wi = (PrunableLayers.All theta0 |> Seq.find (fun l -> l.WeightName = layer.WeightName)).Weight.detach()
            let after = layer.Weight.detach()
            let reloaded = (PrunableLayers.All again |> Seq.find (fun l -> l.WeightName = layer.WeightName)).Weight.detach()
            Assert.That(after.masked_select(pruned).eq(before.masked_select(pruned)).all().item<bool>(), sprintf "%A %s: pruned weights unchanged by training" zero layer.WeightName)
            Assert.That(after.eq(reloaded).all().item<bool>(), sprintf "%A %s: reloaded state equal" zero layer.WeightName)
            // Each held value is w_i or 0; plain freeze holds all of them at w_i.
            let held = before.masked_select pruned
            let initial = wi.masked_select pruned
            Assert.That(held.eq(initial).logical_or(held.eq((0.0).ToScalar())).all().item<bool>(), sprintf "%A: held at w_i or 0" zero)
            if zero = MaskZeroAction.Freeze then Assert.That(held.eq(initial).all().item<bool>(), "freeze: exactly w_i")
            Assert.That(after.masked_select(pruned.logical_not()).eq(before.masked_select(pruned.logical_not())).all().item<bool>(), Is.False,
                        sprintf "%A %s: the kept weights did train" zero layer.WeightName)

let private supermaskModel () =
    use g = Generators.Create 6UL
    ModelZoo.Create("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 8; 6 |]), g)

[<Test>]
let ``a trained supermask changes only its logits: the wrapped weights and biases stay bitwise equal`` () =
    use splits = syntheticSplits ()
    use inner = supermaskModel ()
    use before = StateDicts.Copy inner
    let settings = SupermaskSettings(Training = TrainingSettings(Optimizer = SgdSettings(LearningRate = 100.0, Momentum = 0.9), BatchSize = 16, Epochs = 3))
    use supermask = new Supermask(inner, settings, 4UL)
    let names = [ for struct (name, _) in supermask.named_parameters() -> name ]
    Assert.That(names.Length, Is.EqualTo 3, "one logit tensor per Linear weight, nothing else trainable")
    use logits0 = StateDicts.Copy supermask
    use optimizer = settings.Training.Optimizer.Create(supermask.parameters())
    let data = LoaderData(splits, 16, 2UL)
    use trainer = new Trainer(supermask, optimizer, data, TrainerOptions(Epochs = 3, Seed = 2UL, EvaluateTrainSet = false), null, [ supermask.GradientCallback ])
    trainer.Run() |> ignore
    use after = StateDicts.Copy inner
    Assert.That(TestSupport.identicalStates before after, "every parameter and buffer of the wrapped model bitwise unchanged")
    use logits1 = StateDicts.Copy supermask
    for KeyValue(name, value) in logits0 do
        Assert.That(value.eq(logits1.[name]).all().item<bool>(), Is.False, sprintf "%s trained" name)
    let (_, accuracy, samples) = supermask.EvaluateSampled((fun () -> data.TestBatches()), torch.CPU).ToTuple()
    Assert.That(samples.Count, Is.EqualTo 10)
    Assert.That(accuracy, Is.EqualTo(Seq.average samples).Within(1e-12))

[<Test>]
let ``supermask logits get the straight-through gradient of plain autograd through w ⊙ m`` () =
    for dynamic in [ false; true ] do
        use inner = supermaskModel ()
        let settings = SupermaskSettings(InitialLogit = 0.3, DynamicScaling = dynamic)
        use supermask = new Supermask(inner, settings, 9UL)
        use scope = torch.NewDisposeScope()
        use g = new torch.Generator(3UL)
        let batch = Batch(torch.randn([| 16L; 1L; 4L; 4L |], generator = g), torch.randint(0L, 3L, [| 16L |], generator = g))
        supermask.train()
        let loss = torch.nn.functional.cross_entropy(supermask.call batch.Inputs, batch.Labels)
        loss.backward()
        supermask.PushGradients()
        let layers = PrunableLayers.All inner |> List.ofSeq
        Assert.That(layers |> Seq.forall (fun l -> isNull l.Weight.grad), "no gradient left on the frozen weights")
        // Oracle: the same draws (the sampler's stream, in layer order), w ⊙ m built by plain autograd.
        use sampler = Generators.ForPurpose(9UL, "supermask")
        let logits = [ for l in layers -> torch.full_like(l.Weight, (0.3).ToScalar()).requires_grad_(true) ]
        let effective =
            List.map2 (fun (l: PrunableLayer) (s: torch.Tensor) ->
                let p = s.sigmoid()
                let m = torch.bernoulli(p.detach(), generator = sampler) + p - p.detach()
                let w = l.Weight.detach() * m
                if dynamic then w * (float (m.numel()) / m.sum()) else w) layers logits
        let linears = layers |> List.map (fun l -> l.Layer :?> TorchSharp.Modules.Linear)
        let x = batch.Inputs.flatten(1L)
        let h1 = torch.nn.functional.relu(torch.nn.functional.linear(x, effective.[0], (must linears.[0].bias).detach()))
        let h2 = torch.nn.functional.relu(torch.nn.functional.linear(h1, effective.[1], (must linears.[1].bias).detach()))
        let out = torch.nn.functional.linear(h2, effective.[2], (must linears.[2].bias).detach())
        torch.nn.functional.cross_entropy(out, batch.Labels).backward()
        let ours = [ for struct (_, p) in supermask.named_parameters() -> p.grad ]
        for (mine, oracle) in List.zip ours logits do
            Assert.That((must mine - must oracle.grad).abs().max().item<float32>(), Is.LessThan 1e-6f, sprintf "dynamic %b: logit gradients" dynamic)

[<TestCase("deconstructing.fsx", "--criteria large_final,largest", "unknown keep criterion 'largest'")>]
[<TestCase("deconstructing.fsx", "--mask-one signed_reinit,resign", "unknown mask-1 action 'resign'")>]
[<TestCase("deconstructing.fsx", "--mask-zero freeze_all", "unknown mask-0 action 'freeze_all'")>]
[<TestCase("deconstructing.fsx", "--experiment both", "--experiment: expected one-shot or iterative, got 'both'")>]
[<TestCase("deconstructing.fsx", "--rounds 0,2", "rounds must be a non-empty list of counts ≥ 1")>]
[<TestCase("supermask.fsx", "--samples 0", "evaluation samples must be 1 or more, got 0")>]
[<TestCase("supermask.fsx", "--epochs 2 --frobnicate 1", "unknown flag(s) --frobnicate")>]
let ``the deconstructing scripts refuse bad flags in one line with exit code 2 and write nothing`` (script: string) (args: string) (message: string) =
    CliTestSupport.assertScriptRefuses script args message

[<Test>]
let ``deconstructing.fsx and supermask.fsx run end to end and a rerun reads everything back`` () =
    use dir = new TempDir()
    let data = Path.Combine(dir.Path, "data")
    Directory.CreateDirectory data |> ignore
    Symmetry.Properties.DataTestSupport.writeBandedMnist 600 data
    let args = [ "--data"; data; "--db"; dir.File "s.db"; "--epochs"; "1"; "--rounds"; "1,3"; "--train"; "--criteria"; "large_final_same_sign,random"
                 "--mask-one"; "rewind,signed_reinit_rescaling"; "--mask-zero"; "freeze" ]
    let code, output = CliTestSupport.runScript "deconstructing.fsx" args
    Assert.That(code, Is.EqualTo 0, output)
    TestSupport.contains "large_final_same_sign      signed_reinit_rescaling      freeze" output
    let code, again = CliTestSupport.runScript "deconstructing.fsx" args
    Assert.That(code, Is.EqualTo 0, again)
    TestSupport.contains "computed 0" again
    let supermaskArgs = [ "--data"; data; "--db"; dir.File "s.db"; "--epochs"; "1"; "--samples"; "3"; "--signed-constant" ]
    let code, output = CliTestSupport.runScript "supermask.fsx" supermaskArgs
    Assert.That(code, Is.EqualTo 0, output)
    TestSupport.contains "trained: test accuracy" output
    let code, again = CliTestSupport.runScript "supermask.fsx" supermaskArgs
    Assert.That(code, Is.EqualTo 0, again)
    TestSupport.contains "read back: test accuracy" again
    // The report's family: one figure untrained, one trained, one of the trained supermask; every branch in the table.
    let data = Symmetry.Analysis.StoreData.read (dir.File "s.db")
    let output = Symmetry.Analysis.DeconstructingFigures.family.Build { Data = data; Runs = Symmetry.Analysis.Frames.runs data }
    Assert.That(output.Figures |> List.map (fun f -> f.Name.Split('-').[1]), Is.EquivalentTo [ "init"; "trained"; "supermask" ])
    Assert.That((output.Tables |> List.map (fun t -> t.Frame.RowCount) = [ 16; 1 ]), "2 criteria × 2 levels × 2 actions × (init, trained); one supermask")

[<Test>]
let ``the F# face names criteria and actions as the original code does`` () =
    Assert.That(Symmetry.Deconstructing.criterion "large_final_same_sign", Is.EqualTo KeepCriterion.LargeFinalSameSign)
    Assert.That(Symmetry.Deconstructing.maskOne "signed_constant_rescaling", Is.EqualTo((MaskOneAction.SignedConstant, true)))
    Assert.That(Symmetry.Deconstructing.maskZero "freeze_init_zero_all", Is.EqualTo MaskZeroAction.FreezeInitZeroAll)
    for c in KeepCriteria.All do Assert.That(KeepCriteria.Parse(KeepCriteria.Name c), Is.EqualTo c)
    use scope = torch.NewDisposeScope()
    let scores = Symmetry.Deconstructing.scores KeepCriterion.LargeInitLargeFinal (torch.ones(3L)) (torch.zeros(3L))
    Assert.That(scores.Length, Is.EqualTo 2)
