namespace Symmetry.Analysis

open System
open System.Numerics
open Symmetry.Core.Experiments.WeightSymmetry
open Symmetry.Core.Masks
open Symmetry.Core.Models
open Symmetry.Core.Results
open Symmetry.Core.Training

/// A results store of made-up weight-symmetry runs with exactly the records the driver writes — configuration, typed
/// mask statistics of MNIST_FC 6×16 before and after propagation, an evaluation per epoch, best snapshots, the chain
/// of states — without training anything. For measuring the analysis on large stores and for trying the report.
/// The numbers are invented (accuracy falls with sparsity, the symmetric mask keeps (16!)^k permutations); only the
/// shapes are real.
module SyntheticStore =

    /// The hidden widths and layer sizes of MNIST_FC 6×16 on 28×28 inputs with 10 classes.
    let private widths = [| 16; 16; 16; 16; 16; 16 |]
    let private layerShapes = Array.concat [ [| 16L, 784L |]; Array.replicate 5 (16L, 16L); [| 10L, 16L |] ]

    /// Layer statistics of a made-up mask of `maskType` at `sparsity`.
    let private maskStatistics (random: Random) (maskType: MaskType) (sparsity: float) (propagated: bool) =
        let last = layerShapes.Length - 1
        layerShapes
        |> Array.mapi (fun i (units, fanIn) ->
            let size = units * fanIn
            let masked = i < last
            let zeros = if masked then int64 (ceil (sparsity * float size)) else 0L
            let zeroed = if propagated && sparsity > 0.8 && maskType = MaskType.Random then int64 (random.Next 3) else 0L
            let hidden = i < last
            let permutations =
                match maskType with
                | MaskType.Symmetric when hidden -> MaskStatistics.Factorial(units - zeroed)
                | _ when hidden && random.NextDouble() < 0.05 -> BigInteger 2
                | _ -> BigInteger.One
            let groups = if maskType = MaskType.Symmetric && hidden then 1L else units - zeroed
            LayerMaskStatistics(sprintf "layers.%d.weight" (3 * i + 1), [| units; fanIn |], masked, hidden, size, zeros, units, zeroed,
                                units - zeroed, units - zeroed, groups, permutations))
        |> MaskStatistics.FromLayers

    /// Writes `runs` finished shuffled-mask runs (mask types × `sparsities` × seeds 0, 1, …, `epochs` evaluations each)
    /// into the store at `path` (created; runs already there are kept). Deterministic for a given `seed`.
    let write (path: string) (runs: int) (sparsities: float list) (epochs: int) (seed: int) =
        let random = Random seed
        let types = Enum.GetValues<MaskType>()
        let cells = [| for t in types do for s in sparsities -> t, s |]
        use store = ResultsStore.Open path
        let runtime = RuntimeInfo("synthetic", "none", 1, "cpu")
        for n in 0 .. runs - 1 do
            let maskType, sparsity = cells.[n % cells.Length]
            let runSeed = uint64 (n / cells.Length)
            let config =
                WeightSymmetryConfig(
                    Driver = ShuffledMaskDriver(Mask = maskType, Sparsity = sparsity), Widths = widths,
                    Training = TrainingRecipes.Seed000.Override(epochs = epochs), Seed = runSeed, MaskSeed = runSeed)
            let id = config.RunId
            if store.BeginRun(id, config.Driver.Name, config.ToCanonicalJson(), runSeed, runtime) <> RunStart.AlreadyFinished then
                store.RecordMaskStats(id, MaskStage.Mask, maskStatistics random maskType sparsity false)
                store.RecordMaskStats(id, MaskStage.Propagated, maskStatistics random maskType sparsity true)
                let ceiling = (if maskType = MaskType.Symmetric then 0.75 else 0.85) * (1.0 - 0.6 * sparsity ** 4.0)
                let evaluations =
                    [ for epoch in 1 .. epochs ->
                          let progress = 1.0 - 0.5 ** float epoch
                          let accuracy = max 0.1 (ceiling * progress + 0.02 * (random.NextDouble() - 0.5))
                          TrainingMetrics(
                              Step = int64 (469 * epoch), Epoch = float epoch,
                              Train = LossAccuracy(2.3 * (1.0 - accuracy), accuracy + 0.01, 60000L),
                              Test = LossAccuracy(2.3 * (1.0 - accuracy) + 0.05, accuracy, 10000L),
                              LearningRate = 0.01, DistanceFromInit = 10.0 * progress, CosineToInit = 1.0 - 0.7 * progress,
                              CumulativeGradientNorm = 600.0 * float epoch, WallSeconds = 0.9 * float epoch) ]
                for m in evaluations do store.RecordMetrics(id, m)
                store.RecordBest(id, BestCriterion.TestAccuracy, evaluations |> List.maxBy (fun m -> m.Test.Accuracy, m.Step))
                store.RecordBest(id, BestCriterion.TrainLoss, evaluations |> List.minBy (fun m -> m.Train.Loss, -m.Step))
                let init = sprintf "synthetic-init-%d" runSeed
                let mask = sprintf "synthetic-mask-%d-%O-%g" runSeed maskType sparsity
                store.PutState(init, null, "init", sprintf """{"recipe":{"kind":"init","seed":%d}}""" runSeed, null) |> ignore
                store.PutState(mask, init, "mask", sprintf """{"recipe":{"kind":"mask","maskType":"%O","sparsity":%g}}""" maskType sparsity, null) |> ignore
                store.PutState("synthetic-train-" + id, mask, "train", """{"recipe":{"kind":"train"}}""", null) |> ignore
                store.LinkRunState(id, "synthetic-train-" + id)
                store.FinishRun(id, 0.9 * float epochs)
