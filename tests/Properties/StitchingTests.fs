/// Model stitching (ALGORITHMS §3) against independent oracles: row and column sums for Sinkhorn, brute force over
/// permutations for the rounding, a permutation read off the activations themselves for the stitcher at the true
/// permutation, singular values for the low-rank bound, element-wise thresholds for the lasso, and bitwise copies of
/// A's and B's state for "only the stitcher trains".
module Symmetry.Properties.StitchingTests

open System
open System.IO
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Models
open Symmetry.Core.Permutations
open Symmetry.Core.Stitching
open Symmetry.Core.Training

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

let private argumentError (action: unit -> unit) =
    try
        action ()
        Assert.Fail "expected an ArgumentException"
        failwith "unreachable"
    with :? ArgumentException as e -> e

let private values (t: torch.Tensor) = t.detach().cpu().``to``(torch.float64).contiguous().data<float>().ToArray()

// ---------------------------------------------------------------- Sinkhorn and rounding

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``Sinkhorn of a random positive matrix is doubly stochastic to 1e-6`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (1, 40)) (Gen.choose (0, 10000)))) (fun (n, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        let input = torch.rand([| int64 n; int64 n |], dtype = torch.float64, generator = g)
        let p = Sinkhorn.Project(input, Sinkhorn.InitialIterations)
        let v = values p
        let rows = [ for i in 0 .. n - 1 -> Seq.sum (seq { for j in 0 .. n - 1 -> v.[i * n + j] }) ]
        let columns = [ for j in 0 .. n - 1 -> Seq.sum (seq { for i in 0 .. n - 1 -> v.[i * n + j] }) ]
        let worst = rows @ columns |> List.map (fun s -> abs (s - 1.0)) |> List.max
        (worst <= 1e-6 && Array.forall (fun x -> x >= 0.0) v) |> Prop.label (sprintf "n %d: largest |sum − 1| %g" n worst))

[<Test>]
let ``Sinkhorn divides a zero row or column by 1: it stays zero, the input is unchanged`` () =
    use scope = torch.NewDisposeScope()
    let input = torch.tensor([| 0.0; 0.0; 0.0; 1.0; 2.0; 0.0; 3.0; 1.0; 0.0 |], dtype = torch.float64).reshape(3L, 3L)
    let before = values input
    let p = values (Sinkhorn.Project(input, 16))
    Assert.That((p.[0 .. 2] = [| 0.0; 0.0; 0.0 |]), "zero row")
    Assert.That(([ p.[2]; p.[5]; p.[8] ] = [ 0.0; 0.0; 0.0 ]), "zero column")
    Assert.That((values input = before), "input unchanged")

let private permutationMatrix (perm: int[]) =
    let n = perm.Length
    let m = torch.zeros([| int64 n; int64 n |])
    for i in 0 .. n - 1 do m.[int64 i, int64 perm.[i]] <- torch.tensor 1.0f
    m

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``rounding a permutation matrix returns it`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (1, 30)) (Gen.choose (0, 10000)))) (fun (n, seed) ->
        use scope = torch.NewDisposeScope()
        let perm = [| 0 .. n - 1 |]
        Random(seed).Shuffle perm
        use stitcher = new BirkhoffStitcher(int64 n, 0.1, null)
        stitcher.Initialise(permutationMatrix perm)
        stitcher.RoundedAssignment() = perm && values (stitcher.RoundedMatrix()) = values (permutationMatrix perm))

let rec private permutations (items: int list) =
    match items with
    | [] -> [ [] ]
    | _ -> [ for x in items do for rest in permutations (List.filter ((<>) x) items) -> x :: rest ]

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``rounding takes the assignment of largest total, as brute force over all permutations`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (1, 6)) (Gen.choose (0, 10000)))) (fun (n, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        use stitcher = new BirkhoffStitcher(int64 n, 0.1, g)
        let p = values stitcher.Permutation
        let total (perm: int list) = perm |> List.mapi (fun i j -> p.[i * n + j]) |> List.sum
        let best = permutations [ 0 .. n - 1 ] |> List.map total |> List.max
        let chosen = total (List.ofArray (stitcher.RoundedAssignment()))
        abs (chosen - best) <= 1e-12 |> Prop.label (sprintf "rounded %g, best %g" chosen best))

// ---------------------------------------------------------------- low-rank and lasso

[<FsCheck.NUnit.Property(MaxTest = 40)>]
let ``the low-rank stitcher's matrix has rank at most r`` () =
    Prop.forAll (Arb.fromGen (Gen.zip3 (Gen.choose (1, 24)) (Gen.choose (1, 8)) (Gen.choose (0, 10000)))) (fun (n, r, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        use stitcher = new LowRankStitcher(int64 n, r, g)
        let w = stitcher.Matrix().detach().``to``(torch.float64)
        // Numerical rank from the singular values, an oracle independent of the factorisation; W is float32, so
        // singular values below 1e-5 of the largest are its rounding.
        let s = values (torch.linalg.svdvals w)
        let rank = s |> Array.filter (fun x -> x > 1e-5 * s.[0]) |> Array.length
        rank <= min r n |> Prop.label (sprintf "n %d r %d: numerical rank %d" n r rank))

[<FsCheck.NUnit.Property(MaxTest = 40)>]
let ``the lasso stitcher zeroes exactly the weights below its threshold at evaluation, none in training`` () =
    Prop.forAll (Arb.fromGen (Gen.zip3 (Gen.choose (1, 12)) (Gen.choose (1, 100)) (Gen.choose (0, 10000)))) (fun (n, t, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        let threshold = float t / 100.0 / sqrt (float n)
        use stitcher = new LassoStitcher(int64 n, 0.01, threshold, g)
        let w = values stitcher.Weight
        stitcher.train true
        let trained = values (stitcher.Matrix())
        stitcher.eval ()
        let evaluated = values (stitcher.Matrix())
        let expected = w |> Array.map (fun x -> if abs x < threshold then 0.0 else x)
        let zeroed = w |> Array.filter (fun x -> abs x < threshold) |> Array.length
        (trained = w && evaluated = expected && abs (stitcher.Sparsity() - float zeroed / float w.Length) < 1e-12)
        |> Prop.label (sprintf "threshold %g" threshold))

// ---------------------------------------------------------------- cut points

let private modelCases =
    [ "mnist-fc", (MlpConfig(1, 4, 3, Widths = [| 5; 4 |]) :> ModelConfig)
      "mnist-cnn", (ConvNetConfig(1, 4, 3, Filters = [| 3; 4 |], Kernel = Nullable 3, DenseWidth = Nullable 5) :> ModelConfig)
      "myrtle-cnn", (MyrtleConfig(3, 8, 3, Width = Nullable 2) :> ModelConfig)
      "resnet-20", ModelConfig(3, 8, 3) ]

[<Test>]
let ``cut points are the ReLU paths: top-level ReLUs, and residual blocks ending in ReLU inside stages`` () =
    use mnist = ModelZoo.Create("mnist-cnn", snd modelCases.[1], null)
    Assert.That(List.ofSeq (StitchPoints.Of mnist) = [ "layers.2"; "layers.6"; "layers.10" ], sprintf "%A" (StitchPoints.Of mnist))
    use resnet = ModelZoo.Create("resnet-20", ModelConfig(3, 8, 3), null)
    let expected = [ "layers.2" ] @ [ for stage in 3 .. 5 do for block in 0 .. 2 -> sprintf "layers.%d.%d" stage block ]
    Assert.That((List.ofSeq (StitchPoints.Of resnet) = expected), sprintf "%A" (StitchPoints.Of resnet))

[<Test>]
let ``a path that is not a ReLU output is refused with the valid ones listed`` () =
    use a = ModelZoo.Create("mnist-cnn", snd modelCases.[1], null)
    use b = ModelZoo.Create("mnist-cnn", snd modelCases.[1], null)
    let error = argumentError (fun () -> StitchedModel.Build(a, b, "layers.1", fun f -> new LinearStitcher(f, null)) |> ignore)
    TestSupport.contains "model 'mnist-cnn' has no ReLU output at 'layers.1': stitch after one of layers.2, layers.6, layers.10" error.Message

[<Test>]
let ``two architectures cannot be stitched`` () =
    use a = ModelZoo.Create("mnist-cnn", snd modelCases.[1], null)
    use b = ModelZoo.Create("mnist-cnn", ConvNetConfig(1, 4, 3, Filters = [| 3; 5 |], Kernel = Nullable 3, DenseWidth = Nullable 5), null)
    let error = argumentError (fun () -> StitchedModel.Build(a, b, "layers.2", fun f -> new LinearStitcher(f, null)) |> ignore)
    TestSupport.contains "stitching needs two models of one architecture" error.Message

[<Test>]
let ``head then tail is the model's own forward at every cut point`` () =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 3UL
    for name, config in modelCases do
        use model = ModelZoo.Create(name, config, g)
        model.eval ()
        let x = torch.randn([| 5L; int64 config.InputChannels; int64 config.ImageSize; int64 config.ImageSize |], generator = g)
        let expected = values (model.call x)
        for point in StitchPoints.Of model do
            let split = StitchPoints.Split(model, point)
            let head, tail = split.Head, split.Tail
            let mutable y = x
            for m in head do y <- m.call y
            for m in tail do y <- m.call y
            Assert.That((values y = expected), sprintf "%s at %s" name point)

[<Test>]
let ``every zoo model with a ReLU has cut points, and head then tail is its forward at the first and the last`` () =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 4UL
    for name in ModelZoo.Names do
        let size = ModelZoo.MinimumImageSize(name, ModelConfig(3, 32)) |> Option.ofNullable |> Option.defaultValue 32 |> max 8
        use model = ModelZoo.Create(name, ModelConfig(3, size), g)
        model.eval ()
        let points = StitchPoints.Of model
        let hasRelu = model.modules() |> Seq.exists (fun m -> m :? TorchSharp.Modules.ReLU || m :? BasicBlock || m :? Residual)
        Assert.That((points.Count > 0) = hasRelu, sprintf "%s: %d cut points, has a ReLU: %b" name points.Count hasRelu)
        if not hasRelu then
            let error = argumentError (fun () -> StitchPoints.Require(model, "layers.0"))
            TestSupport.contains (sprintf "model '%s' has no ReLU to stitch after" name) error.Message
        else
        let x = torch.randn([| 2L; 3L; int64 size; int64 size |], generator = g)
        let expected = values (model.call x)
        for point in [ points.[0]; points.[points.Count - 1] ] do
            let split = StitchPoints.Split(model, point)
            let mutable y = x
            for m in Seq.append split.Head split.Tail do y <- m.call y
            Assert.That((values y = expected), sprintf "%s at %s" name point)

// ---------------------------------------------------------------- the true permutation

/// Runs a few training-mode batches through `model` so its BatchNorm statistics are not the trivial 0 and 1.
let private warmBatchNorm (model: ZooModel) (x: torch.Tensor) =
    use _ = torch.no_grad()
    model.train ()
    for i in 0 .. 2 do model.call (x * float (i + 1)) |> ignore
    model.eval ()

let private headOutput (model: ZooModel) (point: string) (x: torch.Tensor) =
    let mutable y = x
    for m in StitchPoints.Split(model, point).Head do y <- m.call y
    y

[<FsCheck.NUnit.Property(MaxTest = 2)>]
let ``a Birkhoff stitcher at the true permutation between A and a permuted copy of A gives A's outputs and accuracy`` () =
    Prop.forAll (Arb.fromGen (Gen.choose (0, 10000))) (fun seed ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        [ for name, config in modelCases ->
            use a = ModelZoo.Create(name, config, g)
            a.``to``(torch.float64) |> ignore
            let x = torch.randn([| 24L; int64 config.InputChannels; int64 config.ImageSize; int64 config.ImageSize |], dtype = torch.float64, generator = g)
            let labels = torch.randint(0L, 3L, [| 24L |], dtype = torch.int64, generator = g)
            warmBatchNorm a x
            let spec = PermutationSpec.For a
            use original = StateDicts.Copy a
            use permuted = spec.Apply(spec.Random g, original)
            let outputA = values (a.call x)
            let accuracyA = Evaluation.Evaluate(a, [ Batch(x, labels) ], torch.CPU).Accuracy
            [ for point in StitchPoints.Of a ->
                let copyA = ModelZoo.Create(name, config, null)
                copyA.``to``(torch.float64) |> ignore
                StateDicts.Load(copyA, original)
                copyA.eval ()
                let b = ModelZoo.Create(name, config, null)
                b.``to``(torch.float64) |> ignore
                StateDicts.Load(b, permuted)
                b.eval ()
                // The oracle reads the permutation off the activations: B's channel i is A's channel π(i).
                let ha, hb = (use _ = torch.no_grad() in headOutput copyA point x, headOutput b point x)
                let c = int ha.shape.[1]
                let channel (h: torch.Tensor) i = h.select(1L, int64 i)
                let used = Collections.Generic.HashSet<int>()
                let perm =
                    [| for i in 0 .. c - 1 ->
                        let j = [ 0 .. c - 1 ] |> List.filter (used.Contains >> not) |> List.minBy (fun j -> (channel hb i - channel ha j).abs().max().item<float>())
                        used.Add j |> ignore
                        j |]
                use stitched = StitchedModel.Build(copyA, b, point, fun f -> new BirkhoffStitcher(f, 0.1, null))
                let birkhoff = stitched.Stitcher :?> BirkhoffStitcher
                birkhoff.Initialise(permutationMatrix perm)
                birkhoff.UseScales <- true
                stitched.eval ()
                let output = values (stitched.call x)
                let accuracy = Evaluation.Evaluate(stitched, [ Batch(x, labels) ], torch.CPU).Accuracy
                let worst = Array.map2 (fun p q -> abs (p - q)) output outputA |> Array.max
                (accuracy = accuracyA && worst < 1e-9) |> Prop.label (sprintf "%s at %s: accuracy %g vs A's %g, largest output difference %g" name point accuracy accuracyA worst) ] ]
        |> List.concat |> List.reduce (.&.))

// ---------------------------------------------------------------- only the stitcher trains

let private smallCnn = ConvNetConfig(1, 4, 3, Filters = [| 3; 4 |], Kernel = Nullable 3, DenseWidth = Nullable 5)

let private bitwiseEqual (a: torch.Tensor) (b: torch.Tensor) =
    a.shape = b.shape && a.dtype = b.dtype
    && a.cpu().contiguous().bytes.ToArray() = b.cpu().contiguous().bytes.ToArray()

let private sameBits (a: NamedTensors) (b: NamedTensors) (names: string seq) =
    let lookup (t: NamedTensors) = t |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq
    let la, lb = lookup a, lookup b
    names |> Seq.filter (fun n -> not (bitwiseEqual la.[n] lb.[n])) |> List.ofSeq

[<TestCase("linear", "TrainModeBn")>]
[<TestCase("birkhoff", "TrainModeBn")>]
[<TestCase("birkhoff", "FrozenBn")>]
[<TestCase("low-rank", "FrozenBn")>]
[<TestCase("lasso", "TrainModeBn")>]
let ``training the stitcher leaves A's and B's parameters bitwise unchanged, and their buffers too unless BatchNorm runs in train mode`` (kind: string) (bn: string) =
    use splits = DataTestSupport.gaussianSplits 96L 32L
    use g = Generators.Create 21UL
    let a = ModelZoo.Create("mnist-cnn", smallCnn, g)
    let b = ModelZoo.Create("mnist-cnn", smallCnn, g)
    let batchNorm = Enum.Parse<StitchingBatchNorm> bn
    let settings: StitcherSettings =
        match kind with
        | "linear" -> LinearStitcherSettings()
        | "birkhoff" -> BirkhoffStitcherSettings(Alpha = 0.1)
        | "low-rank" -> LowRankStitcherSettings(Rank = 2)
        | _ -> LassoStitcherSettings(Penalty = 0.01)
    use stitched = StitchedModel.Build(a, b, "layers.6", (fun f -> settings.Create(f, g)), batchNorm)
    let parts = [ "a", a :> torch.nn.Module; "b", b :> torch.nn.Module ]
    let before = parts |> List.map (fun (_, m) -> StateDicts.Copy m)
    let parameterNames (m: torch.nn.Module) = m.named_parameters() |> Seq.map (fun struct (n, _) -> n) |> List.ofSeq
    let bufferNames (m: torch.nn.Module) = m.named_buffers() |> Seq.map (fun struct (n, _) -> n) |> Seq.filter (fun n -> not (n.EndsWith "num_batches_tracked")) |> List.ofSeq
    use stitcherBefore = StateDicts.Copy stitched.Stitcher
    let protocol = StitchingProtocol(Phases = 2, EpochsPerPhase = 1, LearningRate = 0.05, BatchSize = 16, RefreshBatchNorm = true, BatchNorm = batchNorm)
    use training = StitchingRun.TrainingSplits(splits, protocol, 5UL)
    let evaluations = StitchingRun.TrainStitcher(stitched, protocol, training, LoaderData(splits, 16, 0UL), torch.CPU, 5UL)
    Assert.That(evaluations.Count, Is.EqualTo 2)
    for (label, m), saved in List.zip parts before do
        use now = StateDicts.Copy m
        Assert.That(sameBits saved now (parameterNames m), Is.Empty, sprintf "%s's parameters changed" label)
        let buffersChanged = sameBits saved now (bufferNames m)
        if batchNorm = StitchingBatchNorm.FrozenBn then Assert.That(buffersChanged, Is.Empty, sprintf "%s's buffers changed under FrozenBn" label)
    // Where the protocol says so, BatchNorm statistics drift: A's first BatchNorm sees every training batch.
    if batchNorm = StitchingBatchNorm.TrainModeBn then
        use nowA = StateDicts.Copy a
        Assert.That(sameBits before.[0] nowA [ "layers.1.running_mean" ], Is.Not.Empty, "A's running mean drifts in train mode")
    use stitcherAfter = StateDicts.Copy stitched.Stitcher
    Assert.That(sameBits stitcherBefore stitcherAfter (stitcherBefore |> Seq.map (fun kv -> kv.Key)), Is.Not.Empty, "the stitcher trained")
    Assert.That(stitched.TrainableParameters |> Seq.length, Is.EqualTo(stitched.Stitcher.parameters() |> Seq.length))
    Assert.That(a.parameters() |> Seq.forall (fun p -> not p.requires_grad), "A frozen")

[<Test>]
let ``the BatchNorm refresh serves one evaluation: the whole state is restored after it`` () =
    use splits = DataTestSupport.gaussianSplits 64L 32L
    use g = Generators.Create 8UL
    let a = ModelZoo.Create("mnist-cnn", smallCnn, g)
    let b = ModelZoo.Create("mnist-cnn", smallCnn, g)
    use stitched = StitchedModel.Build(a, b, "layers.2", fun f -> new BirkhoffStitcher(f, 0.1, g))
    let protocol = StitchingProtocol(RefreshBatchNorm = true)
    use before = StateDicts.Copy stitched
    let data = LoaderData(splits, 16, 0UL)
    let refreshed = StitchingRun.EvaluateEpoch(stitched, protocol, data, data, torch.CPU, 1, 1)
    use after = StateDicts.Copy stitched
    Assert.That(sameBits before after (before |> Seq.map (fun kv -> kv.Key)), Is.Empty, "state restored")
    Assert.That(stitched.training, "left in training mode")
    Assert.That((refreshed.Phase, refreshed.Epoch, Double.IsNaN refreshed.ValidationAccuracy), Is.EqualTo((1, 1, false)))

[<Test>]
let ``selection takes the best validation epoch's test accuracy, or the best test accuracy`` () =
    let evaluations = [ StitchingEvaluation(1, 1, 0.5, 0.9); StitchingEvaluation(1, 2, 0.7, 0.6); StitchingEvaluation(2, 1, 0.7, 0.8) ]
    Assert.That(StitchingRun.Selected(evaluations, PenaltySelection.Validation).TestAccuracy, Is.EqualTo 0.6)
    Assert.That(StitchingRun.Selected(evaluations, PenaltySelection.Test).TestAccuracy, Is.EqualTo 0.9)
    let result = StitchingResult("a", "b", "layers.2", "p", 0.9, 0.8, 0.6, evaluations, false)
    Assert.That(result.Penalty, Is.EqualTo(0.25).Within(1e-15))

[<Test>]
let ``the two Birkhoff presets are the published runs and the code's defaults`` () =
    let published = StitchingPreset.Named "birkhoff-published"
    Assert.That((published.Stitcher :?> BirkhoffStitcherSettings).Alpha, Is.EqualTo 0.1)
    Assert.That((published.Protocol.LearningRate, published.Protocol.Phases, published.Protocol.EpochsPerPhase, published.Protocol.StepSchedule, published.Protocol.RefreshBatchNorm),
                Is.EqualTo((1e-3, 2, 10, false, true)))
    let defaults = StitchingPreset.Named "birkhoff-code-defaults"
    Assert.That((defaults.Stitcher :?> BirkhoffStitcherSettings).Alpha, Is.EqualTo 1e-3)
    Assert.That((defaults.Protocol.LearningRate, defaults.Protocol.StepSchedule, defaults.Protocol.RefreshBatchNorm), Is.EqualTo((0.01, true, false)))
    let error = argumentError (fun () -> StitchingPreset.Named "birkhof" |> ignore)
    TestSupport.contains "known presets: linear-published" error.Message

// ---------------------------------------------------------------- the script

[<TestCase("--selection best", "--selection: expected validation or test, got 'best'")>]
[<TestCase("--stitchers linear-published,nope", "unknown stitching preset 'nope'")>]
[<TestCase("--layers layers.1", "has no ReLU output at 'layers.1': stitch after one of layers.2, layers.6, layers.10")>]
[<TestCase("--zoo 1", "--zoo needs at least 2 models")>]
[<TestCase("--stitch-epochs 0", "epochs per phase must be ≥ 1")>]
[<TestCase("--frobnicate 1", "unknown flag(s) --frobnicate")>]
let ``model_stitching.fsx refuses bad flags in one line with exit code 2 and writes nothing`` (args: string) (message: string) =
    CliTestSupport.assertScriptRefuses "model_stitching.fsx" args message

// ---------------------------------------------------------------- runs in the store, the figure

[<Test>]
let ``a stitching run is recorded in the store, a rerun reads it back, and the report draws its penalty`` () =
    use dir = new DataTestSupport.TempDir()
    use splits = DataTestSupport.gaussianSplits 96L 32L
    use store = Symmetry.Core.Results.ResultsStore.Open(dir.File "s.db")
    let realizer = Symmetry.Core.Experiments.Realizer(store, fun _ -> splits)
    let training = TrainingSettings(Epochs = 1, BatchSize = 16)
    let members =
        [ for seed in 1UL .. 2UL ->
            Symmetry.Core.Experiments.ExperimentState.Initial("mnist-cnn", smallCnn, seed).Then(Symmetry.Core.Experiments.TrainRecipe(Training = training, Seed = seed)) ]
    let presets =
        [ StitchingPreset("linear-test", LinearStitcherSettings(), StitchingProtocol(EpochsPerPhase = 1, BatchSize = 16), "test")
          StitchingPreset("birkhoff-test", BirkhoffStitcherSettings(Alpha = 0.1), StitchingProtocol(Phases = 2, EpochsPerPhase = 1, BatchSize = 16, RefreshBatchNorm = true), "test") ]
    let measure () =
        [ for preset in presets do
            for point in [ "layers.2"; "layers.10" ] -> StitchingRun.Measure(store, realizer, splits, members.[0], members.[1], point, preset, 3UL) ]
    let first = measure ()
    let again = measure ()
    Assert.That(first |> List.forall (fun r -> not r.Reused) && again |> List.forall _.Reused, "measured once, then read back")
    for r, s in List.zip first again do
        Assert.That((r.StitchedAccuracy, r.AccuracyA, r.AccuracyB, r.Penalty), Is.EqualTo((s.StitchedAccuracy, s.AccuracyA, s.AccuracyB, s.Penalty)))
        Assert.That((List.ofSeq r.Evaluations = List.ofSeq s.Evaluations), "evaluations read back")
        Assert.That(r.Evaluations.Count, Is.EqualTo(if r.Preset = "birkhoff-test" then 2 else 1))
    let data = Symmetry.Analysis.StoreData.read (dir.File "s.db")
    let output = Symmetry.Analysis.StitchingFigures.family.Build { Data = data; Runs = Symmetry.Analysis.Frames.runs data }
    Assert.That((output.Figures |> List.map _.Name = [ "stitching-penalty" ]), "one figure")
    let table = output.Tables.Head.Frame
    Assert.That(table.RowCount, Is.EqualTo 4, "one row per (point, preset)")
    let expected = first |> List.find (fun r -> r.Point = "layers.10" && r.Preset = "linear-test")
    let row = table.Rows.Values |> Seq.find (fun row -> row.GetAs<string> "point" = "layers.10" && (row.GetAs<string> "stitcher").StartsWith "linear-test")
    Assert.That(row.GetAs<float> "mean_penalty_points", Is.EqualTo(100.0 * expected.Penalty).Within(1e-9))

[<Test>]
let ``the F# face lists cut points, names presets and builds with an F# function`` () =
    use probe = ModelZoo.Create("mnist-cnn", smallCnn, null)
    Assert.That((Symmetry.Stitching.points probe = [ "layers.2"; "layers.6"; "layers.10" ]), "points")
    Assert.That((Symmetry.Stitching.preset "birkhoff-published").Name, Is.EqualTo "birkhoff-published")
    let a, b = ModelZoo.Create("mnist-cnn", smallCnn, null), ModelZoo.Create("mnist-cnn", smallCnn, null)
    use stitched = Symmetry.Stitching.build a b "layers.6" StitchingBatchNorm.FrozenBn (fun f -> new LinearStitcher(f, null) :> Stitcher)
    Assert.That(stitched.Stitcher.Features, Is.EqualTo 4L, "mnist-cnn's second conv has 4 filters here")
    stitched.train ()
    Assert.That((stitched.Stitcher.training, a.training, b.training), Is.EqualTo((true, false, false)), "FrozenBn: A and B in eval mode")
