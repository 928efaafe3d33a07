/// Model zoos and Git Re-Basin (ALGORITHMS §3 and §6): growing a zoo trains only its new members; the zoo recipe's
/// named weight decay and best-test epoch; the barrier's definition against a closed form; the interpolation paths'
/// ends reproduce A and the permuted B exactly; the permuted B computes B's function; the scripts refuse bad flags
/// with exit code 2 and write nothing, and a rerun reads everything back.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.RebasinTests

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
open Symmetry.Core.Experiments.Rebasin
open Symmetry.Core.Experiments.Zoo
open Symmetry.Core.Models
open Symmetry.Core.Permutations
open Symmetry.Core.Results
open Symmetry.Core.Training
open Symmetry.Properties.DataTestSupport
open Symmetry.Properties.TestSupport

/// Structural equality of F# values, with both printed on failure.
let private equal (what: string) (expected: 'T) (actual: 'T) =
    Assert.That((expected = actual), Is.True, sprintf "%s: expected %A, got %A" what expected actual)

let private tinyConfig () = MlpConfig(1, 4, 3, Widths = [| 8 |]) :> ModelConfig

let private quickRecipe =
    TrainRecipe(Training = TrainingSettings(Optimizer = AdamSettings(LearningRate = 0.01), BatchSize = 16, Epochs = 1))

[<Test>]
let ``growing a zoo from 4 to 6 members trains only the 2 new ones and leaves the first 4 as they were`` () =
    use dir = new TempDir()
    use splits = gaussianSplits 64L 16L
    use store = ResultsStore.Open(dir.File "s.db")
    let zoo = SeedZoo("mnist-fc", tinyConfig (), quickRecipe, null, splits.Fingerprint)
    let first = zoo.Extend(Realizer(store, fun _ -> splits), 4)
    equal "first four" [ 1UL, true; 2UL, true; 3UL, true; 4UL, true ] [ for m in first -> m.Seed, m.Trained ]
    let written () = [ for m in first -> File.GetLastWriteTimeUtc((store.GetState m.State.Key |> nonNull).CheckpointPath |> nonNull) ]
    let before = written ()
    let trainRuns () = store.Runs("train").Count
    Assert.That(trainRuns (), Is.EqualTo 4)
    let realizer = Realizer(store, fun _ -> splits)
    let grown = zoo.Extend(realizer, 6)
    equal "grown" [ 1UL, false; 2UL, false; 3UL, false; 4UL, false; 5UL, true; 6UL, true ] [ for m in grown -> m.Seed, m.Trained ]
    Assert.That(trainRuns (), Is.EqualTo 6, "two more training runs")
    // The two new members' roots and trained states, nothing else.
    Assert.That(realizer.Computed, Is.EqualTo 4)
    equal "the first four checkpoints are untouched" before (written ())
    equal "the first four keys" [ for m in first -> m.State.Key ] [ for m in grown |> Seq.take 4 -> m.State.Key ]
    // Members differ only in seed: same model, config and training settings, init and data-order seed = the member's.
    for m in grown do
        Assert.That(m.State.Root.Recipe.Seed, Is.EqualTo m.Seed)
        Assert.That(m.State.Recipe.Seed, Is.EqualTo m.Seed)

[<Test>]
let ``the modelsym zoo recipe is the spec's: Adam 1e-3, L2 1e-4 on weights, ×0.5 every 12 epochs, batch 32, 50 epochs, best kept`` () =
    let r = ZooRecipes.Named("modelsym", "myrtle-cnn")
    Assert.That(r.Training.Optimizer, Is.EqualTo(AdamSettings(LearningRate = 1e-3)))
    Assert.That(r.Training.Schedule, Is.EqualTo(StepDecaySchedule(Every = 12, Gamma = 0.5)))
    Assert.That((r.Training.BatchSize, r.Training.Epochs, r.WeightDecayOnWeights, r.KeepBestTest), Is.EqualTo((32, 50, 1e-4, true)))
    Assert.That(ZooRecipes.Named("model-default", "mnist-cnn").Training, Is.EqualTo TrainingRecipes.MnistCnn)
    let error = throws<ArgumentException> (fun () -> ZooRecipes.Named("nope", "mnist-fc") |> ignore)
    contains "unknown zoo recipe 'nope'; known recipes: modelsym, git-rebasin-mlp, model-default" error.Message

[<Test>]
let ``the named weight decay adds λ·w to the gradients of weights and BatchNorm γ, not of biases or β`` () =
    // One SGD step (lr η, no momentum) from the same start and batch with and without the decay: the difference is
    // −η·λ·w₀ exactly where the name contains "weight", 0 elsewhere.
    use dir = new TempDir()
    use splits = gaussianSplits 16L 8L
    use store = ResultsStore.Open(dir.File "s.db")
    let realizer = Realizer(store, fun _ -> splits)
    let config = MlpConfig(1, 4, 3, Widths = [| 6 |], BatchNorm = true) :> ModelConfig
    let root = ExperimentState.Initial("mnist-fc", config, 3UL, dataFingerprint = splits.Fingerprint)
    let (eta, lambda) = (0.1, 0.25)
    let step decay =
        root.Then(TrainRecipe(Training = TrainingSettings(Optimizer = SgdSettings(LearningRate = eta), BatchSize = 16, Epochs = 1),
                              Seed = 1UL, StopStep = Nullable 1L, WeightDecayOnWeights = decay))
    use start = realizer.Realize root
    use plain = realizer.Realize(step 0.0)
    use decayed = realizer.Realize(step lambda)
    use w0 = StateDicts.Copy start
    use a = StateDicts.Copy plain
    use b = StateDicts.Copy decayed
    let names = [ for struct (name, _) in start.named_parameters() -> name ]
    equal "decayed" (names |> List.filter (fun n -> n.Contains "weight")) (List.ofSeq (NamedWeightDecay.Names start))
    Assert.That(names |> List.exists (fun n -> n.EndsWith "bias"), "the model has biases")
    for name in names do
        let expected =
            if name.Contains "weight" then doubles (w0.[name].``to``(torch.float64) * (-eta * lambda))
            else Array.zeroCreate (int (w0.[name].numel()))
        assertAllClose name 1e-5 1e-7 expected (doubles ((b.[name] - a.[name]).``to``(torch.float64)))

[<Test>]
let ``keeping the best test epoch gives the weights of the evaluation with the highest test accuracy`` () =
    use dir = new TempDir()
    use splits = gaussianSplits 96L 32L
    use store = ResultsStore.Open(dir.File "s.db")
    let realizer = Realizer(store, fun _ -> splits)
    let root = ExperimentState.Initial("mnist-fc", tinyConfig (), 5UL, dataFingerprint = splits.Fingerprint)
    // A high rate makes the test accuracy go up and down, so the best epoch is rarely the last.
    let training = TrainingSettings(Optimizer = SgdSettings(LearningRate = 2.0), BatchSize = 8, Epochs = 6)
    let best = root.Then(TrainRecipe(Training = training, Seed = 1UL, KeepBestTest = true))
    let final = root.Then(TrainRecipe(Training = training, Seed = 1UL))
    use model = realizer.Realize best
    let perEpoch = store.Metrics(best.Key) |> Seq.filter (fun r -> r.Name = MetricNames.TestAccuracy) |> Seq.sortBy (fun r -> r.Step) |> List.ofSeq
    Assert.That(perEpoch.Length, Is.EqualTo 6)
    let top = perEpoch |> List.maxBy (fun r -> r.Value)
    let earliestTop = perEpoch |> List.find (fun r -> r.Value = top.Value)
    let accuracy = Evaluation.Evaluate(model, LoaderData(splits, 8, 0UL).TestBatches(), torch.CPU).Accuracy
    Assert.That(accuracy, Is.EqualTo earliestTop.Value, "the kept model scores the best recorded test accuracy")
    // Its weights are those of the epoch checkpoint at that step, and (when that is not the last) not the final ones.
    use kept = StateDicts.Copy model
    use last = realizer.Realize final
    use lastState = StateDicts.Copy last
    if earliestTop.Step <> (perEpoch |> List.last).Step then
        Assert.That(identicalStates kept lastState, Is.False, "the best epoch is not the last, so the weights differ")
    else Assert.That(identicalStates kept lastState, Is.True)

/// The curve y(λ) = a + (b − a)·λ + h·4λ(1 − λ): a straight line plus a bump of height h at λ = 0.5.
let private bumpCurve (a: float) (b: float) (h: float) (points: int) =
    let lambdas = StateInterpolation.Alphas points
    let values = [| for l in lambdas -> a + (b - a) * l + h * 4.0 * l * (1.0 - l) |]
    InterpolationCurve(lambdas, values, [| for v in values -> 1.0 - v / 10.0 |])

[<Property(MaxTest = 200)>]
let ``the barrier of a line plus a bump of height h is h (0 for a dip), at λ = 0.5 and over the path`` () =
    let gen =
        Gen.zip3 (Gen.zip (Gen.choose (0, 1000)) (Gen.choose (0, 1000))) (Gen.choose (-500, 500)) (Gen.elements [ 3; 5; 11; 25; 51 ])
    Prop.forAll (Arb.fromGen gen) (fun ((a, b), h, points) ->
        let a, b, h = float a / 100.0, float b / 100.0, float h / 100.0
        let c = bumpCurve a b h points
        // The grid holds λ = 0.5 (odd points), where the bump peaks: the barrier is max(h, 0) (the ends give 0).
        (abs (c.LossBarrier - max h 0.0) < 1e-9 |@ sprintf "loss barrier %g for h %g" c.LossBarrier h)
        .&. (abs (c.LossBarrierAtMidpoint - h) < 1e-9 |@ "midpoint: L(0.5) − (L(0) + L(1))/2 = h")
        // Error = 1 − accuracy = v/10 here: the error barrier scales by 1/10.
        .&. (abs (c.ErrorBarrier - max h 0.0 / 10.0) < 1e-9 |@ "error barrier"))

[<Test>]
let ``the midpoint barrier needs λ = 0.5 on the path`` () =
    let c = bumpCurve 0.0 0.0 1.0 4
    throws<InvalidOperationException> (fun () -> c.LossBarrierAtMidpoint |> ignore) |> ignore

/// Small random models of the kinds re-basin meets: an MLP, an MLP with BatchNorm, a CNN with BatchNorm.
let private kinds =
    [ "mnist-fc", (MlpConfig(1, 4, 3, Widths = [| 10; 9 |]) :> ModelConfig)
      "mnist-fc", (MlpConfig(1, 4, 3, Widths = [| 10; 9 |], BatchNorm = true) :> ModelConfig)
      "mnist-cnn", (ConvNetConfig(1, 4, 3, Filters = [| 6; 7 |], Kernel = Nullable 3, DenseWidth = Nullable 8) :> ModelConfig) ]

/// A model of `kind` drawn from `seed`, with its BatchNorm statistics set by one pass over the training data (so B's
/// statistics carry information that the permutation must move too).
let private trainedLike (splits: DataSplits) (name: string, config: ModelConfig) (seed: uint64) =
    use init = Generators.Create seed
    let model = ModelZoo.Create(name, config, init)
    if Symmetry.Core.Experiments.Lottery.BatchNormStatistics.Has model then
        Symmetry.Core.Experiments.Lottery.BatchNormStatistics.Recompute(model, LoaderData(splits, 16, 0UL).TrainEvaluationBatches(), torch.CPU)
    model.eval() |> ignore
    model

[<Property(MaxTest = 12)>]
let ``the permuted B computes B's function, and the paths' ends reproduce A and the permuted B exactly`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.elements [ 0; 1; 2 ]) (Gen.choose (0, 100000)))) (fun (kind, seed) ->
        // Made here: the property runs after this function has returned.
        use splits = gaussianSplits 64L 32L
        use scope = torch.NewDisposeScope()
        let seed = uint64 seed
        use modelA = trainedLike splits kinds.[kind] seed
        use modelB = trainedLike splits kinds.[kind] (seed + 1UL)
        use a = StateDicts.Copy modelA
        use b = StateDicts.Copy modelB
        let spec = PermutationSpec.For modelA
        let struct (aligned, matching) = RebasinAnalysis.Align(spec, a, b, seed)
        use aligned = aligned
        use probe = ModelZoo.Create(fst kinds.[kind], snd kinds.[kind], null)
        StateDicts.Load(probe, aligned)
        probe.eval() |> ignore
        use x = splits.Test.Images.narrow(0L, 0L, 32L)
        use noGrad = torch.no_grad()
        let outB = doubles ((modelB.call x).``to``(torch.float64))
        let outPermuted = doubles ((probe.call x).``to``(torch.float64))
        let sameFunction = Array.forall2 (close 1e-4 1e-5) outB outPermuted
        let moved = not (PermutationSets.SetEquals(matching.Permutations, spec.Identity()))
        // The path's ends against independent evaluations: A as it is, and a fresh model holding the permuted B (with
        // BatchNorm statistics recomputed for both, as the path does at every λ).
        let evaluateAs (state: NamedTensors) =
            use m = ModelZoo.Create(fst kinds.[kind], snd kinds.[kind], null)
            StateDicts.Load(m, state)
            let data = LoaderData(splits, 128, 0UL)
            if Symmetry.Core.Experiments.Lottery.BatchNormStatistics.Has m then
                Symmetry.Core.Experiments.Lottery.BatchNormStatistics.Recompute(m, data.TrainEvaluationBatches(), torch.CPU)
            m.eval() |> ignore
            Evaluation.Evaluate(m, data.TestBatches(), torch.CPU)
        use walker = ModelZoo.Create(fst kinds.[kind], snd kinds.[kind], null)
        let path = RebasinAnalysis.Path(walker, a, aligned, StateInterpolation.Alphas 5, splits, torch.CPU, false)
        let atA, atB = evaluateAs a, evaluateAs aligned
        (sameFunction |@ "permuted B's outputs equal B's")
        .&. (moved |@ "weight matching moved some unit (two independent draws)")
        .&. ((path.Test.Losses.[0], path.Test.Accuracies.[0]) = (atA.Loss, atA.Accuracy) |@ "λ = 0 is A, bit for bit")
        .&. ((path.Test.Losses.[4], path.Test.Accuracies.[4]) = (atB.Loss, atB.Accuracy) |@ "λ = 1 is the permuted B, bit for bit"))

[<Test>]
let ``a re-basin measurement is a run of the store and a rerun reads it back unchanged`` () =
    use dir = new TempDir()
    use splits = gaussianSplits 96L 32L
    use store = ResultsStore.Open(dir.File "s.db")
    let zoo = SeedZoo("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 12; 12 |]), quickRecipe, null, splits.Fingerprint)
    let settings = RebasinSettings(Points = 5)
    let first = RebasinAnalysis.Measure(store, Realizer(store, fun _ -> splits), splits, zoo.Member 1UL, zoo.Member 2UL, settings)
    Assert.That(first.Reused, Is.False)
    Assert.That(first.Naive.Train, Is.Not.Null)
    // Both paths start at A.
    Assert.That(first.Naive.Test.Losses.[0], Is.EqualTo first.Permuted.Test.Losses.[0])
    Assert.That(first.Objective, Is.GreaterThanOrEqualTo first.InitialObjective)
    let realizer = Realizer(store, fun _ -> splits)
    let again = RebasinAnalysis.Measure(store, realizer, splits, zoo.Member 1UL, zoo.Member 2UL, settings)
    Assert.That(again.Reused, Is.True)
    Assert.That(realizer.Computed + realizer.Loaded, Is.EqualTo 0, "nothing realised")
    for f in [ (fun (r: RebasinResult) -> r.Naive.Test.Losses); (fun r -> r.Permuted.Test.Accuracies); (fun r -> (r.Permuted.Train |> nonNull).Losses) ] do
        equal "read back" (List.ofSeq (f first)) (List.ofSeq (f again))
    Assert.That(again.Objective, Is.EqualTo first.Objective)
    Assert.That(store.Runs(RebasinAnalysis.Kind).Count, Is.EqualTo 1)
    // The report's re-basin family draws the run and tabulates the same barriers.
    let data = Symmetry.Analysis.StoreData.read (dir.File "s.db")
    let output = Symmetry.Analysis.RebasinFigures.family.Build { Data = data; Runs = Symmetry.Analysis.Frames.runs data }
    Assert.That(output.Figures.Length, Is.EqualTo 1)
    let table = output.Tables.Head.Frame
    Assert.That(table.RowCount, Is.EqualTo 4, "naive and permuted, test and train")
    let barriers = table.GetColumn<float>("loss_barrier").Values |> List.ofSeq
    equal "barriers" [ first.Naive.Test.LossBarrier; (nonNull first.Naive.Train).LossBarrier; first.Permuted.Test.LossBarrier; (nonNull first.Permuted.Train).LossBarrier ] barriers

[<TestCase("rebasin.fsx", "--pair 2,2", "--pair: expected two different zoo seeds ≥ 1")>]
[<TestCase("rebasin.fsx", "--points 4", "--points: expected an odd number ≥ 3")>]
[<TestCase("rebasin.fsx", "--recipe nope", "unknown zoo recipe 'nope'")>]
[<TestCase("rebasin.fsx", "--model mnist-cnn --widths 8", "")>]
[<TestCase("rebasin.fsx", "--lambda 3", "unknown flag(s) --lambda")>]
[<TestCase("zoo.fsx", "--size 0", "--size: a zoo has at least 1 model, got 0")>]
[<TestCase("zoo.fsx", "--epochs 0", "epochs must be ≥ 1")>]
[<TestCase("representation_alignment.fsx", "--zoo 1", "--zoo needs at least 2 models")>]
let ``the zoo and re-basin scripts refuse bad flags in one line with exit code 2 and write nothing`` (script: string) (args: string) (message: string) =
    CliTestSupport.assertScriptRefuses script args ("error: " + message)

[<Test>]
let ``rebasin.fsx trains a zoo pair, prints both paths and barriers, and a rerun reads everything back`` () =
    use dir = new TempDir()
    writeBandedMnist 600 dir.Path
    let db = dir.File "store/s.db"
    let args = [ "--widths"; "16,16"; "--epochs"; "1"; "--points"; "5"; "--data"; dir.Path; "--db"; db ]
    let code, output = CliTestSupport.runScript "rebasin.fsx" args
    Assert.That(code, Is.EqualTo 0, output)
    contains "mnist-fc zoo: adam lr 0.001, weight decay 0, batch 500, schedule constant, 1 epochs; pair 1, 2" output
    contains "naive    test  loss barrier" output
    contains "permuted train loss barrier" output
    contains "states: computed 4, loaded 0" output
    let code, again = CliTestSupport.runScript "rebasin.fsx" args
    Assert.That(code, Is.EqualTo 0, again)
    contains "(read back)" again
    contains "states: computed 0, loaded 0" again
    // The same table both times.
    let table (text: string) = text.Split('\n') |> Array.filter (fun l -> l.TrimStart().StartsWith "0.") |> String.concat "\n"
    Assert.That(table again, Is.EqualTo(table output))
