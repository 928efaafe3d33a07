/// The F# face (src/Symmetry.FSharp): typed flags, recipes as pipelines, functions as callbacks, options for defaults.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.FSharpFaceTests

open NUnit.Framework
open Symmetry
open Symmetry.Core.Models
open Symmetry.Core.Training
open Symmetry.Properties.DataTestSupport

[<Test>]
let ``flags read typed values with their defaults`` () =
    let flags = Flags.OfScript [| "script.fsx"; "--epochs"; "3"; "--lr"; "0.5"; "--nesterov"; "--seeds"; "1,2,3"; "--name"; "x" |]
    Assert.That(flags.Int("epochs", 1), Is.EqualTo 3)
    Assert.That(flags.Float("lr", 0.1), Is.EqualTo 0.5)
    Assert.That(flags.Switch "nesterov", Is.True)
    Assert.That(flags.Switch "verbose", Is.False)
    Assert.That((flags.List("seeds", uint64, [ 0UL ]) = [ 1UL; 2UL; 3UL ]), "seeds")
    Assert.That((flags.List("masks", id, [ "random" ]) = [ "random" ]), "masks default")
    Assert.That(flags.TryString "name", Is.EqualTo(Some "x"))
    Assert.That(flags.TryInt "batch", Is.EqualTo(None: int option))
    flags.Finish() // every given flag was read

[<Test>]
let ``recipe pipelines equal the same overrides`` () =
    let piped = Recipes.named "seed-000" |> Recipes.epochs 2 |> Recipes.optimizer "sgd" |> Recipes.momentum 0.9 |> Recipes.nesterov
    let direct = TrainingRecipes.Seed000.Override(epochs = 2, optimizer = "sgd", momentum = 0.9, nesterov = true)
    Assert.That(piped, Is.EqualTo direct)
    let flags = Flags.OfScript [| "s.fsx"; "--lr"; "0.2"; "--batch"; "32"; "--schedule"; "cosine" |]
    let fromFlags = Recipes.named "generic" |> Recipes.withFlags flags
    Assert.That((fromFlags.Optimizer.LearningRate, fromFlags.BatchSize, fromFlags.Schedule), Is.EqualTo((0.2, 32, CosineSchedule() :> ScheduleSettings)))

[<Test>]
let ``Train.run takes F# functions as callbacks and returns every evaluation`` () =
    use dir = new TempDir()
    writeBandedMnist 300 dir.Path
    use data = Data.load (Some dir.Path)
    use model = Model.mlp [ 8 ] data |> Model.create "mnist-fc" 1UL
    let epochsSeen = ResizeArray<int>()
    let accuracies = ResizeArray<float>()
    let history =
        Train.run (Recipes.named "generic" |> Recipes.epochs 2) 3UL (Runtime.device "cpu")
            [ Train.onEpochEnd (fun _ epoch -> epochsSeen.Add epoch); Train.onEvaluation (fun _ m -> accuracies.Add m.Test.Accuracy) ]
            data model
    Assert.That((List.ofSeq epochsSeen = [ 1; 2 ]), sprintf "epochs seen %A" epochsSeen)
    Assert.That((history |> List.map (fun m -> m.Test.Accuracy) = List.ofSeq accuracies), "history = the evaluations the callback saw")
    Assert.That(history.Length, Is.EqualTo 2)

[<Test>]
let ``LaPerm from F#: F1 trained with the synchroniser ends with every row's values rearranged`` () =
    use dir = new TempDir()
    writeBandedMnist 300 dir.Path
    use data = Data.load (Some dir.Path)
    let weight (model: ZooModel) = model.parameters() |> Seq.head |> fun p -> p.detach().clone()
    let sortedBits (t: TorchSharp.torch.Tensor) = (let struct (values, _) = t.sort(1L) in values.data<float32>().ToArray()) |> Array.map System.BitConverter.SingleToInt32Bits
    use agnostic = Model.forData data |> Model.create "f1" 1UL |> LaPerm.agnosticize 0.08 [ 4, 7 ] 1UL
    use agnosticWeight = weight agnostic
    Assert.That(agnosticWeight.data<float32>().ToArray() |> Array.forall (fun x -> x = 0.0f || x = 0.08f), "agnosticized: every weight in {0, 0.08}")
    use model = Model.forData data |> Model.create "f1" 1UL
    use before = weight model
    // 300 samples at batch 32: 10 steps, so k = 5 syncs after the last one.
    use laPerm = LaPerm.synchronizer (LaPerm.every 5) model
    let recipe = Recipes.named "generic" |> Recipes.epochs 1 |> Recipes.batch 32
    Train.run recipe 1UL (Runtime.device "cpu") [ laPerm ] data model |> ignore
    Assert.That(laPerm.Syncs, Is.EqualTo 2L)
    use after = weight model
    Assert.That((sortedBits after = sortedBits before), "every row holds θ₀'s values bit for bit")
    Assert.That((after.data<float32>().ToArray() <> before.data<float32>().ToArray()), "and they moved")
    Assert.That(LaPerm.recipe("f1").LaPerm.SyncPeriod, Is.EqualTo 250)
