/// Typed training settings: each optimizer's update against its formula (so the settings reach TorchSharp's
/// optimizer as meant: coupled vs decoupled weight decay, momentum, Nesterov), the piecewise schedule against a direct
/// definition, Override's rules, the refusals, and the named recipes against the papers' numbers (ALGORITHMS §1).
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.TrainingSettingsTests

open System
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open FsCheck.NUnit
open TorchSharp
open TorchSharp.Modules
open Symmetry.Torch
open Symmetry.Core.Models
open Symmetry.Core.Masks
open Symmetry.Core.Training
open Symmetry.Core.Experiments.WeightSymmetry
open Symmetry.Properties.TestSupport

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// One optimizer step on p (float64) with gradient g; the updated values.
let private stepOnce (settings: OptimizerSettings) (p0: float[]) (grads: float[] list) =
    use scope = torch.NewDisposeScope()
    use p = new Parameter(torch.tensor(p0, dtype = ScalarType.Float64))
    use optimizer = settings.Create [ p ]
    for g in grads do
        p.grad <- torch.tensor(g, dtype = ScalarType.Float64)
        optimizer.step () |> ignore
    doubles (p.detach ())

let private genCase =
    gen {
        let! n = Gen.choose (1, 6)
        let! p = genValues -2.0 2.0 n
        let! g = genAwayFromZero 0.1 2.0 n
        let! lr = Gen.elements [ 0.001; 0.01; 0.1 ]
        let! wd = Gen.elements [ 0.0; 1e-5; 0.01; 0.1 ]
        return p, g, lr, wd
    }

[<Property(MaxTest = 50)>]
let ``Adam adds weight decay to the gradient; AdamW decays the weights apart (first step, closed form)`` () =
    Prop.forAll (arb genCase) (fun (p, g, lr, wd) ->
        let eps = 1e-8
        // First step: m̂ = g', v̂ = g'², so the update is lr · g' / (|g'| + ε).
        let adam = stepOnce (AdamSettings(LearningRate = lr, WeightDecay = wd)) p [ g ]
        let expectedAdam = Array.map2 (fun pi gi -> let g' = gi + wd * pi in pi - lr * g' / (abs g' + eps)) p g
        assertAllClose "adam" 1e-12 1e-14 expectedAdam adam
        let adamw = stepOnce (AdamWSettings(LearningRate = lr, WeightDecay = wd)) p [ g ]
        let expectedAdamW = Array.map2 (fun pi gi -> pi * (1.0 - lr * wd) - lr * gi / (abs gi + eps)) p g
        assertAllClose "adamw" 1e-12 1e-14 expectedAdamW adamw)

[<Property(MaxTest = 50)>]
let ``SGD with momentum and Nesterov follows PyTorch's update over two steps`` () =
    Prop.forAll (arb (Gen.zip genCase (Gen.elements [ 0.0; 0.5; 0.9 ]))) (fun ((p, g, lr, wd), momentum) ->
        let g2 = g |> Array.map (fun v -> -0.5 * v)
        for nesterov in (if momentum > 0.0 then [ false; true ] else [ false ]) do
            let actual = stepOnce (SgdSettings(LearningRate = lr, WeightDecay = wd, Momentum = momentum, Nesterov = nesterov)) p [ g; g2 ]
            // d = g + wd·p; buf₁ = d₁, buf₂ = μ·buf₁ + d₂; step with buf (or d + μ·buf with Nesterov).
            let expected =
                Array.init p.Length (fun i ->
                    let d1 = g.[i] + wd * p.[i]
                    let buf1 = d1
                    let p1 = p.[i] - lr * (if momentum = 0.0 then d1 elif nesterov then d1 + momentum * buf1 else buf1)
                    let d2 = g2.[i] + wd * p1
                    let buf2 = momentum * buf1 + d2
                    p1 - lr * (if momentum = 0.0 then d2 elif nesterov then d2 + momentum * buf2 else buf2))
            assertAllClose (sprintf "sgd momentum %g nesterov %b" momentum nesterov) 1e-12 1e-14 expected actual)

[<Property>]
let ``a piecewise schedule's factor is the last step's at or before t, else 1`` () =
    let genSteps = Gen.listOf (Gen.zip (Gen.choose (0, 30)) (Gen.elements [ 0.5; 0.1; 0.01; 2.0 ]))
    Prop.forAll (arb genSteps) (fun steps ->
        let unique = steps |> List.distinctBy fst
        let settings = PiecewiseSchedule(Steps = (unique |> List.map (fun (e, f) -> ScheduleStep(e, f)) |> List.rev |> Array.ofList))
        let schedule = settings.Build 40
        for t in 0 .. 40 do
            let expected =
                match unique |> List.filter (fun (e, _) -> e <= t) |> List.sortBy fst |> List.tryLast with
                | Some(_, f) -> f
                | None -> 1.0
            Assert.That(schedule.Factor(int64 t), Is.EqualTo expected, sprintf "t = %d, steps %A" t unique))

[<Test>]
let ``Override keeps the recipe's rate and decay across an optimizer change and refuses momentum for Adam`` () =
    let recipe = TrainingRecipes.Seed000
    let sgd = recipe.Override(optimizer = "sgd", momentum = 0.9, nesterov = true, epochs = 3)
    match sgd.Optimizer with
    | :? SgdSettings as s ->
        Assert.That((s.LearningRate, s.WeightDecay, s.Momentum, s.Nesterov), Is.EqualTo((0.01, 1e-5, 0.9, true)))
    | other -> Assert.Fail(sprintf "expected SGD, got %O" other)
    Assert.That((sgd.Epochs, sgd.BatchSize, sgd.Schedule), Is.EqualTo((3, 128, recipe.Schedule)))
    Assert.That(recipe.Override().Equals recipe, "no override changes nothing")
    let e = throws<ArgumentException> (fun () -> recipe.Override(momentum = 0.9) |> ignore)
    contains "apply to sgd only, not adamw" e.Message
    contains "known optimizers: adam, adamw, sgd" (throws<ArgumentException> (fun () -> recipe.Override(optimizer = "rmsprop") |> ignore)).Message
    contains "known schedules: constant, cosine" (throws<ArgumentException> (fun () -> recipe.Override(schedule = "warm") |> ignore)).Message
    contains "known recipes: seed-000" (throws<ArgumentException> (fun () -> TrainingRecipes.Named "lth" |> ignore)).Message

[<Test>]
let ``settings out of range are refused with the field named`` () =
    let refused (settings: TrainingSettings) (fragment: string) =
        let e = throws<ArgumentException> (fun () -> settings.Validate())
        contains fragment e.Message
    let generic = TrainingRecipes.Generic
    for lr in [ 0.0; -1.0; nan; infinity ] do
        refused (generic.Override(learningRate = lr)) "learning rate must be a finite number > 0"
    refused (generic.Override(weightDecay = -5.0)) "weight decay must be a finite number ≥ 0"
    refused (generic.Override(optimizer = "sgd", momentum = 1.0)) "momentum must be in [0, 1)"
    refused (generic.Override(optimizer = "sgd", nesterov = true)) "Nesterov momentum needs a momentum > 0"
    refused (generic.Override(batchSize = 0)) "batch size must be ≥ 1"
    refused (generic.Override(epochs = -1)) "epochs must be ≥ 1"
    refused (generic.Override(epochs = 0)) "epochs must be ≥ 1"
    // A weight-symmetry config checks its training settings before anything runs.
    let config = WeightSymmetryConfig(Training = generic.Override(learningRate = infinity))
    contains "learning rate must be a finite number > 0" (throws<ArgumentException> (fun () -> config.Validate())).Message

[<Test>]
let ``the named recipes carry the papers' numbers`` () =
    // ALGORITHMS §1, train.py 47–82: AdamW-style decay, lr 0.01, decay 1e-5, batch 128, 100 epochs, ×0.01 at 50,
    // ×0.001 at 70, ×1e-4 at 90.
    let seed000 = TrainingRecipes.Named "seed-000"
    match seed000.Optimizer with
    | :? AdamWSettings as a -> Assert.That((a.LearningRate, a.WeightDecay), Is.EqualTo((0.01, 1e-5)))
    | other -> Assert.Fail(sprintf "seed-000 optimizer: %O" other)
    Assert.That((seed000.BatchSize, seed000.Epochs), Is.EqualTo((128, 100)))
    let schedule = seed000.Schedule.Build 100
    assertArrayEqual "seed-000 factors at 0, 49, 50, 69, 70, 89, 90, 99"
        [| 1.0; 1.0; 0.01; 0.01; 0.001; 0.001; 1e-4; 1e-4 |] [| for t in [ 0L; 49L; 50L; 69L; 70L; 89L; 90L; 99L ] -> schedule.Factor t |]
    // open_lth's LeNet: SGD lr 0.1, batch 128, 40 epochs.
    let lth = TrainingRecipes.Named "open-lth-lenet"
    Assert.That((lth.Optimizer.Name, lth.Optimizer.LearningRate, lth.BatchSize, lth.Epochs), Is.EqualTo(("sgd", 0.1, 128, 40)))
    // The weight-symmetry driver trains with seed-000 unless told otherwise; mnist-cnn has its measured recipe.
    Assert.That(WeightSymmetryConfig().Training, Is.EqualTo seed000)
    Assert.That(TrainingRecipes.For "mnist-cnn", Is.EqualTo(TrainingRecipes.Named "mnist-cnn"))

[<Test>]
let ``the output layer is masked only when asked`` () =
    use model = ModelZoo.Create("mnist-fc", MlpConfig(1, 4, 3, Widths = [| 8; 8 |]), null)
    let config = WeightSymmetryConfig()
    Assert.That(config.MaskOutputLayer, Is.False, "default")
    use unmasked = ModelMasks.Create(model, MaskType.Random, 0.5, 1UL, excludeOutputLayer = not config.MaskOutputLayer)
    use masked = ModelMasks.Create(model, MaskType.Random, 0.5, 1UL, excludeOutputLayer = false)
    let weights = [ for (name, p) in model.named_parameters() do if name.EndsWith "weight" then name ]
    assertArrayEqual "unmasked output layer" (weights |> List.take (weights.Length - 1) |> Array.ofList) (Array.ofSeq unmasked.Names)
    assertArrayEqual "masked output layer" (Array.ofList weights) (Array.ofSeq masked.Names)
    contains "\"maskOutputLayer\":false" (config.ToCanonicalJson())
