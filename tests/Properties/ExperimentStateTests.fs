/// Experiment states: content keys, and realisation that loads instead of recomputing.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ExperimentStateTests

open System.IO
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Models
open Symmetry.Core.Experiments
open Symmetry.Core.Pruning

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

let private config = MlpConfig(1, 4, 3, Widths = [| 8; 8 |])
let private root = ExperimentState.Initial("mnist-fc", config, 1UL)

[<Test>]
let ``canonical JSON is independent of field order and whitespace`` () =
    let a = CanonicalJson.Canonicalize """{"b": 1, "a": {"y": [1, 2], "x": null}}"""
    let b = CanonicalJson.Canonicalize """{ "a" : { "x" : null , "y" : [ 1 , 2 ] } , "b" : 1 }"""
    Assert.That(a, Is.EqualTo b)
    Assert.That(a, Is.EqualTo """{"a":{"x":null,"y":[1,2]},"b":1}""")

[<Test>]
let ``state keys are stable and independent of how the state was built`` () =
    let viaThen = root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = 2), Seed = 3UL))
    let direct = ExperimentState(Model = "mnist-fc", Config = MlpConfig(1, 4, 3, Widths = [| 8; 8 |]),
                                 Recipe = TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = 2), Seed = 3UL), Parent = ExperimentState.Initial("mnist-fc", config, 1UL))
    Assert.That(viaThen.Key, Is.EqualTo direct.Key)
    Assert.That(viaThen.Key.Length, Is.EqualTo 64)
    // The key hashes the canonical JSON, which names every recipe field, defaults included.
    let json = viaThen.ToCanonicalJson()
    for field in [ "\"kind\":\"adam\""; "\"learningRate\":0.001"; "\"batchSize\":128"; "\"weightDecay\":0"; "\"beta2\":0.999"
                   "\"schedule\":{\"kind\":\"constant\"}"; "\"parentKey\":\"" + root.Key + "\"" ] do
        Assert.That(json, Does.Contain field, "canonical JSON should carry " + field)

[<Property(MaxTest = 50)>]
let ``changing any field, a default included, changes the key`` (seed: uint64) (epochs: FsCheck.PositiveInt) =
    let baseline = root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get), Seed = seed))
    let variants =
        [ root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get + 1), Seed = seed))
          root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get), Seed = seed + 1UL))
          root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get, learningRate = 0.02), Seed = seed))
          root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get, batchSize = 64), Seed = seed))
          root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get, optimizer = "sgd"), Seed = seed))
          ExperimentState.Initial("mnist-fc", config, 2UL).Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get), Seed = seed))
          ExperimentState.Initial("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 8; 9 |]), 1UL).Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get), Seed = seed))
          ExperimentState.Initial("mnist-fc", config, 1UL, "/elsewhere").Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get), Seed = seed))
          root.Then(PruneRecipe(Strategy = LayerWisePruning(Fraction = 0.2), Seed = seed)) ]
    let same = root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = epochs.Get), Seed = seed))
    same.Key = baseline.Key && variants |> List.forall (fun v -> v.Key <> baseline.Key)

let private syntheticSplits (_: string | null) = Symmetry.Properties.DataTestSupport.gaussianSplits 64L 16L

let private weights (model: ZooModel) =
    model.parameters() |> Seq.collect (fun p -> p.data<float32>().ToArray()) |> Array.ofSeq

[<Test>]
let ``realising a recorded state loads it instead of recomputing`` () =
    let directory = Path.Combine(Path.GetTempPath(), "symm-states-" + System.Guid.NewGuid().ToString("N"))
    try
        use splits = syntheticSplits null
        let store = MemoryStateStore()
        let ticket = root.Then(TrainRecipe(Training = TrainingRecipes.Generic.Override(epochs = 2), Seed = 5UL)).Then(PruneRecipe(Strategy = LayerWisePruning(Fraction = 0.5))).Then(ReinitRecipe(Mode = "rewind"))
        let first = Realizer(store, directory, (fun _ -> splits))
        use a = first.Realize ticket
        Assert.That(first.Computed, Is.EqualTo 4, "init, train, prune and reinit are computed once")
        let trainedEpochs = ref 0
        let second = Realizer(store, directory, (fun _ -> failwith "a load must not touch the data"))
        second.CallbacksFor <- (fun _ -> Seq.singleton (Symmetry.Core.Training.Callbacks.OnEpochEnd(fun _ _ -> trainedEpochs.Value <- trainedEpochs.Value + 1)))
        use b = second.Realize ticket
        Assert.That((second.Computed, second.Loaded, trainedEpochs.Value), Is.EqualTo((0, 1, 0)))
        TestSupport.assertArrayEqual "weights" (weights a) (weights b)
        // The lottery ticket: pruned weights are zero, kept ones equal the root's initial values.
        use init = Realizer(store, directory, (fun _ -> splits)).Realize root
        let initial = dict [ for struct (name, p) in init.named_parameters() -> name, p.data<float32>().ToArray() ]
        let mask = match b.Mask with | null -> failwith "the pruned state has no mask" | m -> m
        let mutable pruned = 0
        for struct (name, p) in b.named_parameters() do
            let values = p.data<float32>().ToArray()
            if not (mask.Contains name) then TestSupport.assertArrayEqual ("unmasked " + name) initial.[name] values
            else
                let keep = mask.[name].data<float32>().ToArray()
                for i in 0 .. values.Length - 1 do
                    if keep.[i] = 0.0f then
                        pruned <- pruned + 1
                        Assert.That(values.[i], Is.EqualTo 0.0f)
                    else Assert.That(values.[i], Is.EqualTo initial.[name].[i], sprintf "%s[%d] rewound" name i)
        Assert.That(pruned, Is.GreaterThan 0)
    finally
        if Directory.Exists directory then Directory.Delete(directory, true)

[<Test>]
let ``a plain config and the empty family record name the same state, and the family is in the key's JSON`` () =
    let plain = ExperimentState.Initial("mnist-fc", ModelConfig(1, 4, 3), 1UL)
    let family = ExperimentState.Initial("mnist-fc", MlpConfig(1, 4, 3), 1UL)
    Assert.That(plain.Key, Is.EqualTo family.Key)
    Assert.That(plain.Config, Is.InstanceOf<MlpConfig>())
    TestSupport.contains "\"family\":\"mlp\"" (plain.ToCanonicalJson())
    let widened = ExperimentState.Initial("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 16; 16; 16; 16; 16; 16 |]), 1UL)
    Assert.That(widened.Key, Is.Not.EqualTo plain.Key, "explicit defaults are a different config, as before")
    TestSupport.contains "\"family\":\"fixed\"" (ExperimentState.Initial("lenet-5", ModelConfig.Mnist, 1UL).ToCanonicalJson())
    Assert.Throws<System.ArgumentException>(System.Action(fun () -> ExperimentState.Initial("mnist-cnn", MlpConfig(), 1UL) |> ignore)) |> ignore
