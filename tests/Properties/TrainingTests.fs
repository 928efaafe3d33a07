/// The training loop: exact resume from a checkpoint, metrics, best snapshots.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.TrainingTests

open System.IO
open NUnit.Framework
open Symmetry.Torch
open Symmetry.Torch.NN
open Symmetry.Torch.Optim
open Symmetry.Core.Data
open Symmetry.Core.Training

/// A small synthetic 3-class problem: 96 training and 32 test samples of 1×4×4.
let private syntheticSplits () =
    use scope = Torch.NewScope()
    use g = new Generator(11UL)
    let centres = Torch.Randn([| 3L; 1L; 4L; 4L |], g)
    let make (n: int64) name =
        let labels = Torch.RandInt(0L, 3L, [| n |], g)
        let images = centres.IndexSelect(0L, labels) + Torch.Randn([| n; 1L; 4L; 4L |], g) * 0.5
        new TensorDataset(name, images, labels)
    new DataSplits("synthetic", "(memory)", DataFormat.Idx, make 96L "train", make 32L "test", 3)

/// A model with dropout, so that resuming also has to reproduce the random masks.
let private model () =
    use init = new Generator(5UL)
    new Sequential(new Flatten(), new Linear(16L, 12L, generator = init), new ReLU(), new Dropout(0.25),
                   new Linear(12L, 3L, generator = init))

let private trainer (splits: DataSplits) (net: Module) (optimizer: Optimizer) epochs =
    new Trainer(net, optimizer, LoaderData(splits, 16, 99UL, evaluationBatchSize = 32),
                TrainerOptions(Epochs = epochs, Seed = 99UL), Schedule.StepDecay(1L, 0.7))

/// The value, failing the test when it is null.
let private must (value: 'T | null) : 'T =
    match value with
    | null -> failwith "unexpected null"
    | v -> v

let private weights (net: Module) =
    net.Parameters() |> Seq.collect (fun p -> p.Value.ToArray<float32>()) |> Array.ofSeq

[<Test>]
let ``resuming from a checkpoint gives bit-identical weights`` () =
    use splits = syntheticSplits ()
    // Uninterrupted: 3 epochs.
    use netA = model ()
    use adamA = new Adam(netA.Parameters(), 0.01, weightDecay = 1e-4)
    use runA = trainer splits netA adamA 3
    let lastA = must (runA.Run())
    // Interrupted: 1 epoch, checkpoint, then a fresh process-like rebuild that restores and trains 2 more.
    let path = Path.Combine(Path.GetTempPath(), sprintf "symm-resume-%s.safetensors" (System.Guid.NewGuid().ToString("N")))
    try
        do
            use netB = model ()
            use adamB = new Adam(netB.Parameters(), 0.01, weightDecay = 1e-4)
            use runB = trainer splits netB adamB 1
            runB.Run() |> ignore
            TrainingCheckpoint.Save(runB, path)
        use netC = model ()
        // Perturb the fresh model so a restore that forgot something would show.
        do
            use scope = Torch.NewScope()
            for p in netC.Parameters() do p.Assign(p.Value * 3.0)
        use adamC = new Adam(netC.Parameters(), 0.5, weightDecay = 1e-4)
        use runC = trainer splits netC adamC 3
        TrainingCheckpoint.Restore(runC, path) |> ignore
        Assert.That(runC.Epoch, Is.EqualTo 1)
        let lastC = must (runC.Run())
        TestSupport.assertArrayEqual "weights after resume" (weights netA) (weights netC)
        Assert.That(lastC.Test.Accuracy, Is.EqualTo lastA.Test.Accuracy)
        Assert.That(lastC.DistanceFromInit, Is.EqualTo lastA.DistanceFromInit)
        Assert.That(runC.Step, Is.EqualTo runA.Step)
        Assert.That(adamC.LearningRate, Is.EqualTo adamA.LearningRate)
    finally
        File.Delete path

[<Test>]
let ``training learns the synthetic problem and records metrics and best snapshots`` () =
    use splits = syntheticSplits ()
    use net = model ()
    use adam = new Adam(net.Parameters(), 0.01)
    use run = trainer splits net adam 8
    use best = new BestSnapshots()
    run.AddCallback best
    let last = must (run.Run())
    Assert.That(run.History.Count, Is.EqualTo 8)
    Assert.That(last.Test.Accuracy, Is.GreaterThan 0.8, "a separable 3-class problem should be learnt")
    Assert.That(last.Step, Is.EqualTo 48L)
    Assert.That(last.DistanceFromInit, Is.GreaterThan 0.0)
    Assert.That(last.CosineToInit, Is.LessThan 1.0)
    Assert.That(last.CumulativeGradientNorm, Is.GreaterThan 0.0)
    let bestAcc = run.History |> Seq.map (fun m -> m.Test.Accuracy) |> Seq.max
    Assert.That((must best.BestTestAccuracy).Test.Accuracy, Is.EqualTo bestAcc)
    let lowestLoss = run.History |> Seq.map (fun m -> m.Train.Loss) |> Seq.min
    Assert.That((must best.BestTrainLoss).Train.Loss, Is.EqualTo lowestLoss)
    Assert.That((must best.BestTestAccuracyState).Count, Is.EqualTo 4)
