namespace Symmetry

open System
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Masks
open Symmetry.Core.Models
open Symmetry.Core.Training

/// Loading TorchSharp and the process-wide settings (design rules 2 and 11).
module Runtime =
    /// Loads TorchSharp's natives (idempotent); every function here calls it first.
    let ensure () = TorchRuntime.Ensure()

    /// libtorch's intra-op thread count (at least 1).
    let threads (count: int) = Guards.SetThreads count

    /// The runtime settings a result depends on, in one line (design rule 11).
    let describe (device: torch.Device) =
        sprintf "TorchSharp on libtorch %s, %d thread(s), device %O" Symmetry.Core.Results.RuntimeInfo.CurrentLibTorchVersion (torch.get_num_threads ()) device

    /// cuda:0 when TorchSharp sees a GPU, else the CPU.
    let defaultDevice () =
        ensure ()
        if torch.cuda.is_available () then torch.CUDA else torch.CPU

    /// `cpu`, `cuda` or `cuda:N`; CUDA only where TorchSharp can use it (else a message that says so).
    let device (name: string) : torch.Device =
        ensure ()
        match name.Trim().ToLowerInvariant() with
        | "cpu" -> torch.CPU
        | t when t = "cuda" || t.StartsWith "cuda:" ->
            if not (torch.cuda.is_available ()) then
                raise (ArgumentException(sprintf "device %s: CUDA is not available here (no GPU visible, or the CPU-only libtorch is installed); use cpu" name))
            match t with
            | "cuda" -> torch.CUDA
            | _ ->
                match Int32.TryParse(t.Substring 5) with
                | true, index when index >= 0 && index < torch.cuda.device_count () -> torch.device (DeviceType.CUDA, index)
                | _ -> raise (ArgumentException(sprintf "device %s: expected cuda:N with N below %d" name (torch.cuda.device_count ())))
        | _ -> raise (ArgumentException(sprintf "unknown device '%s': expected cpu, cuda or cuda:N" name))

/// Data sets read from a directory.
module Data =
    /// MNIST IDX or CIFAR-10 binary files from `directory`, or Fashion-MNIST from Debian's package when None.
    let load (directory: string option) : DataSplits = DataSets.Load(Option.toObj directory)

/// Training recipes as pipelines: `Recipes.named "seed-000" |> Recipes.epochs 2`.
module Recipes =
    /// A named preset (TrainingRecipes.Names).
    let named (name: string) = TrainingRecipes.Named name

    /// The recipe a zoo model trains with by default.
    let forModel (model: string) = TrainingRecipes.For model

    let epochs (count: int) (recipe: TrainingSettings) = recipe.Override(epochs = count)
    let batch (size: int) (recipe: TrainingSettings) = recipe.Override(batchSize = size)
    let learningRate (rate: float) (recipe: TrainingSettings) = recipe.Override(learningRate = rate)
    let weightDecay (decay: float) (recipe: TrainingSettings) = recipe.Override(weightDecay = decay)
    let optimizer (name: string) (recipe: TrainingSettings) = recipe.Override(optimizer = name)
    let momentum (m: float) (recipe: TrainingSettings) = recipe.Override(momentum = m)
    let nesterov (recipe: TrainingSettings) = recipe.Override(nesterov = true)
    let schedule (name: string) (recipe: TrainingSettings) = recipe.Override(schedule = name)

    /// The recipe with whatever of --optimizer --lr --weight-decay --momentum --nesterov --schedule --batch --epochs
    /// the flags give.
    let withFlags (flags: Flags) (recipe: TrainingSettings) =
        let nullable = Option.toNullable
        let settings =
            recipe.Override(
                optimizer = Option.toObj (flags.TryString "optimizer"), learningRate = nullable (flags.TryFloat "lr"),
                weightDecay = nullable (flags.TryFloat "weight-decay"), momentum = nullable (flags.TryFloat "momentum"),
                nesterov = (if flags.Switch "nesterov" then Nullable true else Nullable()),
                schedule = Option.toObj (flags.TryString "schedule"), batchSize = nullable (flags.TryInt "batch"),
                epochs = nullable (flags.TryInt "epochs"))
        // Checked here, before a script writes anything (inside Flags.Checked a bad value ends it with exit code 2).
        settings.Validate()
        settings

/// Zoo models.
module Model =
    /// The config that fits a data set's inputs and classes (the family's defaults otherwise).
    let forData (data: DataSplits) = ModelConfig(int data.InputShape.[0], int data.InputShape.[1], data.ClassCount)

    /// An MLP config (mnist-fc and friends) with these hidden widths for a data set.
    let mlp (widths: int list) (data: DataSplits) =
        MlpConfig(int data.InputShape.[0], int data.InputShape.[1], data.ClassCount, Widths = Array.ofList widths) :> ModelConfig

    /// Zoo model `name`, initialised from `seed`'s "init" stream.
    let create (name: string) (seed: uint64) (config: ModelConfig) =
        Runtime.ensure ()
        use init = Generators.ForPurpose(seed, "init")
        ModelZoo.Create(name, config, init)

/// Masks of a model (the output layer stays dense, as in the original).
module Mask =
    /// A mask of `kind` at `sparsity` drawn from `seed`; the caller owns it.
    let create (kind: MaskType) (sparsity: float) (seed: uint64) (model: ZooModel) =
        ModelMasks.Create(model, kind, sparsity, seed, excludeOutputLayer = true)

    /// Makes `mask` the model's (the model keeps a copy; masked weights become and stay zero).
    let apply (mask: ModelMask) (model: ZooModel) = model.SetMask mask

    /// Statistics before and after propagation (sparsity, surviving permutations, …).
    let report (mask: ModelMask) (model: ZooModel) = MaskReport.Create(model, mask)

/// The training loop with functions as callbacks.
module Train =
    /// A callback after each evaluation.
    let onEvaluation (f: Trainer -> TrainingMetrics -> unit) = Callbacks.OnEvaluation(Action<_, _>(fun t m -> f t m))

    /// A callback after each epoch (with the epochs completed).
    let onEpochEnd (f: Trainer -> int -> unit) = Callbacks.OnEpochEnd(Action<_, _>(fun t e -> f t e))

    /// Trains `model` on `data` with `recipe` (data order and dropout from `seed`) on `device`, telling `callbacks`;
    /// returns every evaluation's metrics. The model is moved to the device first and the optimizer built after.
    let run (recipe: TrainingSettings) (seed: uint64) (device: torch.Device) (callbacks: ITrainingCallback list) (data: DataSplits) (model: ZooModel) =
        recipe.Validate()
        model.``to``(device) |> ignore
        use optimizer = recipe.Optimizer.Create(model.parameters())
        let options = TrainerOptions(Epochs = recipe.Epochs, Seed = seed, Device = device)
        use trainer = new Trainer(model, optimizer, LoaderData(data, recipe.BatchSize, seed), options, recipe.Schedule.Build recipe.Epochs, callbacks)
        trainer.Run() |> ignore
        List.ofSeq trainer.History

/// Train by reconnecting (LaPerm, seed 001): the recipes, the synchroniser as a callback of `Train.run`, and the
/// weight surgery, with F# lists and tuples.
module LaPerm =
    open Symmetry.Core.LaPerm

    /// A LaPerm recipe by name (conv7, conv7-short, f1, f2, conv2, conv4, conv13, resnet-50, lenet-300-100).
    let recipe (name: string) = LaPermRecipes.Named name

    /// LaPerm with sync period `k` (weights only; biases and BatchNorm trained by the inner optimizer alone).
    let every (k: int) = LaPermSettings(SyncPeriod = k)

    /// The same settings with biases synchronised too (the Conv7, F1 and F2 reference runs).
    let withBiases (settings: LaPermSettings) = LaPermSettings(SyncPeriod = settings.SyncPeriod, SyncSchedule = settings.SyncSchedule, SynchroniseBiases = true, SynchroniseBatchNorm = settings.SynchroniseBatchNorm, SyncAtEnd = settings.SyncAtEnd)

    /// A callback that synchronises `model` as `settings` say; pass it to `Train.run` (dispose it afterwards).
    let synchronizer (settings: LaPermSettings) (model: ZooModel) = new LaPermSynchronizer(model, settings)

    /// Every parameter set to `value` and kept with probability a/b: one (a, b) for all, or one per parameter.
    let agnosticize (value: float) (keep: (int * int) list) (seed: uint64) (model: ZooModel) =
        Agnosticize.Apply(model, Nullable value, keep |> List.map KeepRatio |> Array.ofList, seed)
        model

    /// Every weight of rank ≥ 2 kept with probability `keep` (the first tensor max(keep, 0.8)); zeroes, no mask.
    let randomPrune (keep: float) (seed: uint64) (model: ZooModel) =
        RandomPrune.Apply(model, keep, seed)
        model

/// The weight-symmetry sweep (seed 000) from F#: F# tuples and lists instead of value tuples and nullables.
module WeightSymmetry =
    open Symmetry.Core.Experiments.WeightSymmetry

    /// The sparsity a config's driver asks for (None for drivers without a fixed one).
    let sparsity (config: WeightSymmetryConfig) =
        match config.Driver with
        | :? ShuffledMaskDriver as d -> Some d.Sparsity
        | :? FixedParamDriver as d -> Some d.Sparsity
        | _ -> None

    /// Mean accuracy and surviving symmetry per (mask type, sparsity), over seeds.
    let table (results: (WeightSymmetryConfig * RunOutcome) list) =
        WeightSymmetrySweep.Table(results |> List.map (fun (c, o) -> struct (c, o))) |> List.ofSeq

/// Lottery tickets, mode connectivity and layer robustness (seeds 003, 004) from F#: F# tuples and lists instead of
/// struct tuples and read-only lists.
module Lottery =
    open Symmetry.Core.Experiments
    open Symmetry.Core.Experiments.Lottery

    /// The IMP state DAG of `settings` on `data` (the data fingerprint enters every key).
    let plan (settings: ImpSettings) (data: DataSplits) = IterativeMagnitudePruning.Plan(settings, data.Fingerprint)

    /// The two children of `state` trained with `recipe` from `step`, on data-order seeds `seeds`.
    let children (state: ExperimentState) (recipe: TrainingSettings) (step: int64) (seeds: uint64 * uint64) =
        let struct (a, b) = InstabilityAnalysis.Children(state, recipe, step, struct (fst seeds, snd seeds))
        a, b

    /// (α, test error) along the path of an instability result.
    let path (result: InstabilityResult) = List.zip (List.ofSeq result.Alphas) (List.ofSeq result.TestErrors)

    /// The rows of an IMP table.
    let rows (table: ImpRow seq) = List.ofSeq table

/// Model stitching (seed 002) from F#: cut points as a list, presets by name, a stitcher factory as an F# function,
/// penalties as a list.
module Stitching =
    open Symmetry.Core.Stitching

    /// The preset named `name` (e.g. `birkhoff-published`).
    let preset (name: string) = StitchingPreset.Named name

    /// The ReLU cut points of `model`, in forward order.
    let points (model: ZooModel) = StitchPoints.Of model |> List.ofSeq

    /// A's layers up to `point`, a stitcher `create features`, B's layers after it (takes ownership of both models).
    let build (a: ZooModel) (b: ZooModel) (point: string) (batchNorm: StitchingBatchNorm) (create: int64 -> Stitcher) =
        StitchedModel.Build(a, b, point, Func<int64, Stitcher> create, batchNorm)

    /// Mean penalty per (point, preset) over the pairs of `results`.
    let penalties (results: StitchingResult seq) = StitchingResult.MeanPenalties results |> List.ofSeq

/// Deconstructing lottery tickets (ALGORITHMS §4): criteria and actions by their original names, plans as F# lists.
module Deconstructing =
    open Symmetry.Core.Pruning
    open Symmetry.Core.Deconstructing

    /// A keep criterion by the original's name (`large_final_same_sign`).
    let criterion (name: string) = KeepCriteria.Parse name

    /// A mask-1 action by the original's name (`signed_reinit`, `signed_constant_rescaling`), as (action, rescale).
    let maskOne (name: string) = let struct (a, r) = MaskActions.ParseOne name in a, r

    /// A mask-0 action by the original's name (`freeze_init_zero_all`).
    let maskZero (name: string) = MaskActions.ParseZero name

    /// One layer's keep scores for a criterion: (w_i, w_f) → one score tensor, or two for the combined criteria.
    let scores (criterion: KeepCriterion) (initial: torch.Tensor) (final: torch.Tensor) = List.ofArray (KeepScores.Of(criterion, initial, final))

    /// One-shot branches (untrained supermasks, and trained ones when `train`).
    let oneShot (settings: DeconstructingSettings) (data: DataSplits) (train: bool) = List.ofSeq (DeconstructingPlan.OneShot(settings, data.Fingerprint, train))

    /// Iterative branches, every mask-1 action from each round's mask.
    let iterative (settings: DeconstructingSettings) (data: DataSplits) = List.ofSeq (DeconstructingPlan.Iterative(settings, data.Fingerprint))

    /// A trained supermask around `model` (frozen weights; the caller disposes both).
    let supermask (settings: SupermaskSettings) (seed: uint64) (model: ZooModel) = new Supermask(model, settings, seed)

/// Model zoos (models of one architecture differing only in seed) and Git Re-Basin between two members.
module Zoo =
    open Symmetry.Core.Experiments
    open Symmetry.Core.Experiments.Zoo
    open Symmetry.Core.Experiments.Rebasin

    /// The zoo recipe `name` (ZooRecipes.Names) for `model`.
    let recipe (name: string) (model: string) = ZooRecipes.Named(name, model)

    /// The zoo of `model` with `config`, trained with `recipe` on `data` (read from `directory`, None: Fashion-MNIST).
    let create (model: string) (config: ModelConfig) (recipe: TrainRecipe) (directory: string option) (data: DataSplits) =
        SeedZoo(model, config, recipe, Option.toObj directory, data.Fingerprint)

    /// The zoo named by a script's flags: `--model` (default `model`, with hidden widths `widths` when it is an MLP and
    /// no `--model` is given; [] for the model's defaults), `--widths` (MLPs), `--recipe` (default `recipe`) with the
    /// training flags of `Recipes.withFlags` (`--epochs`, `--lr`, `--batch`, …) over it, on `data`. Checked here: a
    /// bad value stops the script with exit code 2 before anything is written.
    let fromFlags (flags: Flags) (model: string, widths: int list) (recipe: string) (directory: string option) (data: DataSplits) =
        let named = flags.TryString "model"
        let name = defaultArg named model
        let widths = flags.List("widths", int, (if named.IsNone then widths else []))
        let recipeName = flags.String("recipe", recipe)
        Flags.Checked(fun () ->
            let template = ZooRecipes.Named(recipeName, name)
            let template = template.WithTraining(Recipes.withFlags flags template.Training)
            let config =
                if widths.IsEmpty then Model.forData data
                else MlpConfig(int data.InputShape.[0], int data.InputShape.[1], data.ClassCount, Widths = Array.ofList widths) :> ModelConfig
            let zoo = create name config template directory data
            zoo.Member 1UL |> ignore // the model and config are checked here, before anything is written
            zoo)

    /// Brings `zoo` to `size` members (training only the missing ones); every member in seed order.
    let extend (realizer: Realizer) (size: int) (zoo: SeedZoo) = List.ofSeq (zoo.Extend(realizer, size))

    /// (λ, loss, accuracy) along a re-basin curve.
    let curve (c: InterpolationCurve) = List.zip3 (List.ofSeq c.Lambdas) (List.ofSeq c.Losses) (List.ofSeq c.Accuracies)
