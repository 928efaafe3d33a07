// Trains a zoo model on the default data (Fashion-MNIST) or --data DIR, with progress; ends with test_accuracy=<value>.
// dotnet fsi src/Symmetry.Scripts/train.fsx --model lenet-300-100 [--recipe generic|seed-000|open-lth-lenet|mnist-cnn]
//   [--epochs N] [--optimizer adam|adamw|sgd] [--lr X] [--weight-decay X] [--momentum X] [--nesterov]
//   [--batch N] [--schedule constant|cosine] [--seed 42] [--threads 2] [--device cpu|cuda]
//   [--crop-padding 0] [--flip 0] [--rotation 0 (degrees)] [--shift 0 (fraction)] [--zoom 0] [--checkpoint results/train.safetensors]
// Flags override the recipe (default: the model's, TrainingRecipes.For; generic: Adam 1e-3, batch 128, 10 epochs).
#load "_prelude.fsx"
open System.IO
open TorchSharp
open Symmetry
open Symmetry.Core.Data
open Symmetry.Core.Training

let flags = Flags.OfScript fsi.CommandLineArgs
let modelName = flags.String("model", "lenet-300-100")
let recipe =
    Flags.Checked(fun () ->
        (match flags.TryString "recipe" with Some name -> Recipes.named name | None -> Recipes.forModel modelName)
        |> Recipes.withFlags flags)
let seed = uint64 (flags.Int("seed", 42))
let augmentation =
    Augmentation(flags.Int("crop-padding", 0), flags.Float("flip", 0.0),
                 RotationDegrees = flags.Float("rotation", 0.0), Shift = flags.Float("shift", 0.0), Zoom = flags.Float("zoom", 0.0))
let device = Flags.Checked(fun () -> flags.TryString "device" |> Option.map Runtime.device |> Option.defaultWith Runtime.defaultDevice)
let checkpoint = flags.TryString "checkpoint"
let data = Data.load (flags.TryString "data")
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 2)))
flags.Finish()

let model = Model.forData data |> Model.create modelName seed
// Moving makes new Parameter objects: the optimizer is built after it.
model.``to``(device) |> ignore
let optimizer = recipe.Optimizer.Create(model.parameters())
let trainer =
    new Trainer(model, optimizer, LoaderData(data, recipe.BatchSize, seed, augmentation),
                TrainerOptions(Epochs = recipe.Epochs, Seed = seed, Device = device), recipe.Schedule.Build recipe.Epochs)
match checkpoint with
| Some path ->
    if File.Exists path then
        TrainingCheckpoint.Restore(trainer, path) |> ignore
        printfn "resumed from %s at epoch %d" path trainer.Epoch
    trainer.AddCallback(Train.onEpochEnd (fun t _ -> TrainingCheckpoint.Save(t, path)))
| None -> ()

printfn "%s on %s: %d parameters, %s" modelName data.Name (model.parameters() |> Seq.sumBy (fun p -> p.numel())) (Runtime.describe device)
printfn "%s, seed %d, crop padding %d, flip %g" (recipe.Describe()) seed augmentation.CropPadding augmentation.FlipProbability
match ConsoleProgress.Run(trainer, modelName) with
| null -> printfn "no epoch left to train (checkpoint already at epoch %d)" trainer.Epoch
| m -> printfn "test_accuracy=%.4f" m.Test.Accuracy
