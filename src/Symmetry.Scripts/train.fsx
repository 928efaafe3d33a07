// Trains a zoo model on the default data (Fashion-MNIST) or --data DIR, with progress; ends with test_accuracy=<value>.
// (Top-level values live until the script ends; the process frees them.)
// dotnet fsi src/Symmetry.Scripts/train.fsx --model lenet-300-100 [--recipe generic|seed-000|open-lth-lenet|mnist-cnn]
//   [--epochs N] [--optimizer adam|adamw|sgd] [--lr X] [--weight-decay X] [--momentum X] [--nesterov true]
//   [--batch N] [--schedule constant|cosine] [--seed 42] [--threads 2] [--device cpu|cuda]
//   [--crop-padding 0] [--flip 0] [--checkpoint results/train.safetensors]
// Flags override the recipe (default: the model's, TrainingRecipes.For; generic: Adam 1e-3, batch 128, 10 epochs).
#load "_prelude.fsx"
open System.IO
open _prelude
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Models
open Symmetry.Core.Training

let modelName = argOr "model" "lenet-300-100"
/// The model's recipe (TrainingRecipes.For: mnist-cnn has its own, measured in the README) or --recipe NAME;
/// flags override single fields.
let recipe =
    let named = match argOr "recipe" "" with "" -> TrainingRecipes.For modelName | name -> TrainingRecipes.Named name
    let number name = match argOr name "" with "" -> System.Nullable() | text -> System.Nullable(float text)
    let count name = match argOr name "" with "" -> System.Nullable() | text -> System.Nullable(int text)
    named.Override(
        optimizer = (match argOr "optimizer" "" with "" -> null | name -> name),
        learningRate = number "lr", weightDecay = number "weight-decay", momentum = number "momentum",
        nesterov = (match argOr "nesterov" "" with "" -> System.Nullable() | text -> System.Nullable(bool.Parse text)),
        schedule = (match argOr "schedule" "" with "" -> null | name -> name),
        batchSize = count "batch", epochs = count "epochs")
let seed = uint64 (argOr "seed" "42")
let augmentation = Augmentation(int (argOr "crop-padding" "0"), float (argOr "flip" "0"))
let device = match argOr "device" "" with "" -> defaultDevice () | text -> parseDevice text
let checkpoint = argOr "checkpoint" ""
setThreads (int (argOr "threads" "2"))

let splits = DataSets.Load((match argOr "data" "" with "" -> null | path -> path), normalize = false)
let shape = splits.InputShape
let config = ModelConfig(int shape.[0], int shape.[1], splits.ClassCount)
let init = Generators.ForPurpose(seed, "init")
let model = ModelZoo.Create(modelName, config, init)
// Moving makes new Parameter objects: the optimizer is built after it.
model.``to``(device) |> ignore
let optimizer = recipe.Optimizer.Create(model.parameters())
let data = LoaderData(splits, recipe.BatchSize, seed, augmentation)
let trainer = new Trainer(model, optimizer, data, TrainerOptions(Epochs = recipe.Epochs, Seed = seed, Device = device), recipe.Schedule.Build recipe.Epochs)
if checkpoint <> "" && File.Exists checkpoint then
    TrainingCheckpoint.Restore(trainer, checkpoint) |> ignore
    printfn "resumed from %s at epoch %d" checkpoint trainer.Epoch
if checkpoint <> "" then
    trainer.AddCallback(Callbacks.OnEpochEnd(fun t _ -> TrainingCheckpoint.Save(t, checkpoint)))

printfn "%s on %s: %d parameters, %s" modelName splits.Name (model.parameters() |> Seq.sumBy (fun p -> p.numel())) (describeRuntime device)
printfn "%s, seed %d, crop padding %d, flip %g" (recipe.Describe()) seed augmentation.CropPadding augmentation.FlipProbability
let last = ConsoleProgress.Run(trainer, modelName)
match last with
| null -> printfn "no epoch left to train (checkpoint already at epoch %d)" trainer.Epoch
| m -> printfn "test_accuracy=%.4f" m.Test.Accuracy
