/// The training loop: exact resume from a checkpoint, metrics, best snapshots, and masked weights staying exactly zero.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.TrainingTests

open System
open System.IO
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open TorchSharp.Modules
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Masks
open Symmetry.Core.Models
open Symmetry.Core.Training

type private Module = torch.nn.Module<torch.Tensor, torch.Tensor>

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// A small synthetic 3-class problem: 96 training and 32 test samples of 1×4×4.
let private syntheticSplits () = Symmetry.Properties.DataTestSupport.gaussianSplits 96L 32L

/// A linear layer with PyTorch's default initialisation drawn from `init` (weight then bias).
let private seededLinear (inputs: int64) (outputs: int64) (init: torch.Generator) =
    let layer = torch.nn.Linear(inputs, outputs)
    SeededInit.PyTorchDefault(layer.weight, layer.bias, init)
    layer

/// A model with dropout, so that resuming also has to reproduce the random masks (dropout draws from the global
/// generator, which the trainer reseeds from (seed, epoch) at every epoch start).
let private model () : Module =
    TorchRuntime.Ensure()
    use init = new torch.Generator(5UL)
    let first = seededLinear 16L 12L init
    let last = seededLinear 12L 3L init
    let net =
      torch.nn.Sequential(
        [| ("0", torch.nn.Flatten() :> torch.nn.Module<torch.Tensor, torch.Tensor>)
           ("1", first :> torch.nn.Module<torch.Tensor, torch.Tensor>)
           ("2", torch.nn.ReLU() :> torch.nn.Module<torch.Tensor, torch.Tensor>)
           ("3", torch.nn.Dropout(0.25) :> torch.nn.Module<torch.Tensor, torch.Tensor>)
           ("4", last :> torch.nn.Module<torch.Tensor, torch.Tensor>) |])
    net :> Module

let private trainer (splits: DataSplits) (net: Module) (optimizer: torch.optim.Optimizer) epochs =
    new Trainer(net, optimizer, LoaderData(splits, 16, 99UL, evaluationBatchSize = 32),
                TrainerOptions(Epochs = epochs, Seed = 99UL), Schedule.StepDecay(1L, 0.7))

/// The value, failing the test when it is null.
let private must (value: 'T | null) : 'T =
    match value with
    | null -> failwith "unexpected null"
    | v -> v

let private weights (net: Module) =
    net.parameters() |> Seq.collect (fun p -> p.data<float32>().ToArray()) |> Array.ofSeq

/// The first param group's learning rate.
let private learningRate (optimizer: torch.optim.Optimizer) = (Seq.head optimizer.ParamGroups).LearningRate

[<Test>]
let ``resuming from a checkpoint gives bit-identical weights`` () =
    use splits = syntheticSplits ()
    // Uninterrupted: 3 epochs.
    use netA = model ()
    use adamA = torch.optim.Adam(netA.parameters(), 0.01, weight_decay = 1e-4)
    use runA = trainer splits netA adamA 3
    let lastA = must (runA.Run())
    // Interrupted: 1 epoch, checkpoint, then a fresh process-like rebuild that restores and trains 2 more.
    let path = Path.Combine(Path.GetTempPath(), sprintf "symm-resume-%s.safetensors" (Guid.NewGuid().ToString("N")))
    try
        do
            use netB = model ()
            use adamB = torch.optim.Adam(netB.parameters(), 0.01, weight_decay = 1e-4)
            use runB = trainer splits netB adamB 1
            runB.Run() |> ignore
            TrainingCheckpoint.Save(runB, path)
        use netC = model ()
        // Perturb the fresh model so a restore that forgot something would show.
        do
            use scope = torch.NewDisposeScope()
            use _ = torch.no_grad()
            for p in netC.parameters() do p.mul_((3.0).ToScalar()) |> ignore
        use adamC = torch.optim.Adam(netC.parameters(), 0.5, weight_decay = 1e-4)
        use runC = trainer splits netC adamC 3
        TrainingCheckpoint.Restore(runC, path) |> ignore
        Assert.That(runC.Epoch, Is.EqualTo 1)
        let lastC = must (runC.Run())
        TestSupport.assertArrayEqual "weights after resume" (weights netA) (weights netC)
        Assert.That(lastC.Test.Accuracy, Is.EqualTo lastA.Test.Accuracy)
        Assert.That(lastC.DistanceFromInit, Is.EqualTo lastA.DistanceFromInit)
        Assert.That(runC.Step, Is.EqualTo runA.Step)
        Assert.That(learningRate adamC, Is.EqualTo(learningRate adamA))
    finally
        File.Delete path

[<Test>]
let ``training learns the synthetic problem and records metrics and best snapshots`` () =
    use splits = syntheticSplits ()
    use net = model ()
    use adam = torch.optim.Adam(net.parameters(), 0.01)
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

// ---------------------------------------------------------------- masks through training

/// The optimizers a mask must survive: Adam (L2 in the gradient), AdamW (decoupled decay) and SGD with momentum and
/// weight decay (a momentum buffer and a decay term that would move a zero weight without the mask).
let private maskOptimizers = [ "adam"; "adamw"; "sgd-momentum-wd" ]

let private makeOptimizer (name: string) (ps: Parameter seq) : torch.optim.Optimizer =
    match name with
    | "adam" -> torch.optim.Adam(ps, 0.02, weight_decay = 1e-3)
    | "adamw" -> torch.optim.AdamW(ps, 0.02, weight_decay = 0.1)
    | _ -> torch.optim.SGD(ps, 0.1, momentum = 0.9, weight_decay = 1e-2)

/// The masked entries (value 0 in the mask) of every masked parameter that are not exactly 0.0f, as "name[i]=v".
let private leaks (net: ZooModel) (mask: ModelMask) =
    let parameters = dict [ for struct (n, p) in net.named_parameters() -> n, p ]
    [ for name in mask.Names do
        let keep = mask.[name].data<float32>().ToArray()
        let values = parameters.[name].data<float32>().ToArray()
        for i in 0 .. keep.Length - 1 do
            if keep.[i] = 0.0f && values.[i] <> 0.0f then
                yield sprintf "%s[%d]=%g" name i values.[i] ]

/// Checks after every optimizer step that no masked weight has moved off exactly zero (±0.0f).
type private MaskWatch(net: ZooModel, mask: ModelMask) =
    member val Steps = 0 with get, set
    member val Leaks: string list = [] with get, set
    interface ITrainingCallback with
        member this.OnStep(_, _) =
            this.Steps <- this.Steps + 1
            if this.Leaks.IsEmpty then
                match leaks net mask with
                | [] -> ()
                | found -> this.Leaks <- (sprintf "after step %d: " this.Steps) :: found

[<Property(MaxTest = 12)>]
let ``masked weights stay exactly zero through training with Adam, AdamW and SGD with momentum and weight decay`` () =
    let cases =
        gen {
            let! optimizer = Gen.elements maskOptimizers
            let! maskType = Gen.elements (Enum.GetValues<MaskType>() |> Array.filter (fun t -> t <> MaskType.PerNeuronNoInputAblation))
            let! sparsity = Gen.elements [ 0.25; 0.5; 0.75; 0.9 ]
            let! maskSeed = Gen.choose (0, Int32.MaxValue) |> Gen.map uint64
            let! initSeed = Gen.choose (0, Int32.MaxValue) |> Gen.map uint64
            return optimizer, maskType, sparsity, maskSeed, initSeed
        }
    Prop.forAll (Arb.fromGen cases) (fun (optimizerName, maskType, sparsity, maskSeed, initSeed) ->
        use splits = syntheticSplits ()
        use init = Generators.ForPurpose(initSeed, "init")
        use net = ModelZoo.Create("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 8; 8 |]), init)
        use generated = ModelMasks.Create(net, maskType, sparsity, maskSeed)
        net.SetMask generated
        let mask = must net.Mask
        Assert.That(mask.Names, Is.EquivalentTo generated.Names)
        Assert.That(leaks net mask, Is.Empty, "SetMask zeroes the masked weights")
        Assert.That(mask.ZeroCount(), Is.GreaterThan 0L, "the generated mask cuts something")
        use optimizer = makeOptimizer optimizerName (net.parameters())
        let watch = MaskWatch(net, mask)
        use run = new Trainer(net, optimizer, LoaderData(splits, 16, maskSeed, evaluationBatchSize = 32),
                              TrainerOptions(Epochs = 2, Seed = maskSeed, EvaluateEachEpoch = false))
        run.AddCallback watch
        use before = StateDicts.Copy net
        run.Run() |> ignore
        Assert.That(watch.Steps, Is.EqualTo 12, "2 epochs of 6 batches")
        Assert.That(watch.Leaks, Is.Empty, sprintf "%s, %A mask at %g: masked weights moved" optimizerName maskType sparsity)
        Assert.That(leaks net mask, Is.Empty)
        // Training did happen: some kept weight moved.
        let moved =
            [ for name in mask.Names do
                let keep = mask.[name].data<float32>().ToArray()
                let now = (dict [ for struct (n, p) in net.named_parameters() -> n, p ]).[name].data<float32>().ToArray()
                let was = before.[name].data<float32>().ToArray()
                yield Array.exists2 (fun (k: float32) (a, b) -> k = 1.0f && a <> b) keep (Array.zip now was) ]
        Assert.That(List.contains true moved, "no kept weight moved"))
