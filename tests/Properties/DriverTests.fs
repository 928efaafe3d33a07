/// The weight-symmetry drivers and the `symmetry` tool: reuse, resumption after SIGKILL, concurrent writers,
/// refused configurations and the JSON summary.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.DriverTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open NUnit.Framework
open Symmetry.Core.Data
open Symmetry.Core.Results
open Symmetry.Core.Experiments.WeightSymmetry
open Symmetry.Core.Pruning
open Symmetry.Properties.DataTestSupport
open Symmetry.Properties.CliTestSupport

let private writeData = writeBandedMnist 1200

let private runArgsWith (widths: string) (batch: int) (data: string) (db: string) (seed: int) epochs =
    [ "run"; "shuffled-mask"; "--widths"; widths; "--mask"; "per-neuron"; "--sparsity"; "0.5"; "--seeds"; string seed
      "--epochs"; string epochs; "--batch"; string batch; "--data"; data; "--db"; db; "--threads"; "1" ]

let private runArgs = runArgsWith "16,16,16" 64

/// Every recorded metric except wall time, as comparable tuples.
let private metricRows (db: string) =
    use store = ResultsStore.Open db
    [ for run in store.Runs() do
        for m in store.Metrics run.Id do
            if m.Name <> "wall_seconds" then yield run.Id, m.Step, m.Split, m.Name, m.Value ]
    |> List.sort

[<Test>]
let ``a run killed with SIGKILL at random points resumes to the same final metrics`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    // Enough training that most kill points land inside it rather than in start-up.
    writeBandedMnist 4000 data
    let runArgs = runArgsWith "128,128" 32
    let reference = dir.File "reference.db"
    let clock = Stopwatch.StartNew()
    let code, _, err = runCli (runArgs data reference 3 6)
    let uninterrupted = clock.Elapsed.TotalMilliseconds
    Assert.That(code, Is.EqualTo 0, err)
    // A fresh store whenever an attempt ran to completion, so that every counted kill interrupts a run.
    let mutable generation = 0
    let db () = dir.File(sprintf "gen-%d/killed.db" generation)
    let random = Random 11
    let mutable kills = 0
    let mutable attempts = 0
    let mutable resumes = 0
    while (kills < 5 || resumes < 2) && attempts < 40 do
        attempts <- attempts + 1
        if File.Exists(db ()) then
            use store = ResultsStore.Open(db ())
            if store.Runs() |> Seq.exists (fun run -> store.LatestCheckpoint(run.Id) <> null) then resumes <- resumes + 1
        use proc = start (runArgs data (db ()) 3 6)
        // Somewhere between start-up and the end of an uninterrupted run, whatever this machine's speed.
        let delay = int (uninterrupted * (0.3 + 0.65 * random.NextDouble()))
        let exitedByItself = proc.WaitForExit delay
        if not exitedByItself then
            proc.Kill()
            proc.WaitForExit()
        // The store opens cleanly; a run it calls finished must really be complete (the kill may land after the
        // final commit, while the process is shutting down).
        let finished =
            use store = ResultsStore.Open(db ())
            store.Runs() |> Seq.exists (fun run -> run.Status = RunStatus.Finished)
        if finished then
            TestSupport.assertArrayEqual "a run marked finished has every metric" (Array.ofList (metricRows reference)) (Array.ofList (metricRows (db ())))
            generation <- generation + 1
        elif exitedByItself then Assert.Fail "the tool exited without finishing the run"
        else kills <- kills + 1
    TestContext.Out.WriteLine(sprintf "kill points tried: %d; attempts %d, of which %d resumed from a checkpoint" kills attempts resumes)
    Assert.That(kills, Is.GreaterThanOrEqualTo 5)
    Assert.That(resumes, Is.GreaterThanOrEqualTo 2, "too few attempts resumed from a checkpoint to test resumption")
    let code, out, err = runCli (runArgs data (db ()) 3 6)
    Assert.That(code, Is.EqualTo 0, err)
    Assert.That(out.Contains "resumed from epoch" || out.Contains "(trained)", out)
    use store = ResultsStore.Open(db ())
    let statuses = store.Runs() |> Seq.map (fun r -> r.Status) |> List.ofSeq
    Assert.That((statuses = [ RunStatus.Finished ]), sprintf "statuses after the final rerun: %A" statuses)
    TestSupport.assertArrayEqual "final metrics after resumes" (Array.ofList (metricRows reference)) (Array.ofList (metricRows (db ())))

[<Test>]
let ``two processes writing runs to one store lose no rows, and a rerun reuses finished runs`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeData data
    let db = dir.File "shared.db"
    let procs = [ start (runArgs data db 1 2); start (runArgs data db 2 2) ]
    for p in procs do
        let err = p.StandardError.ReadToEnd()
        p.WaitForExit()
        Assert.That(p.ExitCode, Is.EqualTo 0, err)
        p.Dispose()
    use store = ResultsStore.Open db
    let runs = store.Runs()
    Assert.That(runs.Count, Is.EqualTo 2)
    for run in runs do
        Assert.That(run.Status, Is.EqualTo RunStatus.Finished)
        // 2 evaluations × 9 metrics each.
        Assert.That(store.Metrics(run.Id).Count, Is.EqualTo 18, run.Id)
    let code, out, _ = runCli (runArgs data db 1 2)
    Assert.That(code, Is.EqualTo 0)
    Assert.That(out, Does.Contain "(reused)")

[<TestCase("--sparsity", "1.5", "sparsity must be in [0, 1]")>]
[<TestCase("--model", "resnet-9000", "unknown model 'resnet-9000'")>]
[<TestCase("--mask", "checkerboard", "checkerboard")>]
[<TestCase("--widths", ",", "widths must name at least one hidden layer")>]
[<TestCase("--model", "mnist-cnn", "model 'mnist-cnn' has no widths setting (its config is a ConvNetConfig)")>]
let ``bad configurations are refused with a clear message and write nothing`` (option: string, value: string, expected: string) =
    use dir = new TempDir()
    let db = dir.File "results/bad.db"
    let options = Map [ "--widths", "8"; "--mask", "random"; "--sparsity", "0.5"; "--db", db ] |> Map.add option value
    let code, _, err = runCli ([ "run"; "shuffled-mask" ] @ [ for KeyValue(k, v) in options do yield! [ k; v ] ])
    Assert.That(code, Is.EqualTo 2)
    Assert.That(err, Does.Contain expected)
    Assert.That(Directory.Exists(Path.GetDirectoryName db), Is.False, "nothing may be written")

[<TestCase("train", "--sparsity 0.5", "train does not take --sparsity")>]
[<TestCase("prune", "--mask random --prune-schedule 0:0.5", "prune does not take --mask (it takes: --prune-schedule, --prune-schedule-original)")>]
[<TestCase("shuffled-mask", "--mask random", "shuffled-mask needs --sparsity (e.g. --sparsity 0.9)")>]
[<TestCase("random-mask", "--mask random --sparsity-range 0.9,0.5", "sparsity range [0.9, 0.5] is empty")>]
[<TestCase("fixed-param", "--mask random --budget 20000 --depth four", "--depth: cannot read 'four' as an integer")>]
[<TestCase("shuffled-mask", "--mask random --sparsity 0.5 --model mnist-cnn --dropout 0.2 --widths 8", "model 'mnist-cnn' has no widths setting")>]
let ``driver flags come from the driver records: inapplicable, missing and unreadable ones are named`` (driver: string, flags: string, expected: string) =
    use dir = new TempDir()
    let db = dir.File "results/bad.db"
    let code, _, err = runCli ([ "run"; driver ] @ List.ofArray (flags.Split ' ') @ [ "--db"; db ])
    Assert.That(code, Is.EqualTo 2)
    TestSupport.contains ("error: " + expected) err
    Assert.That(Directory.Exists(Path.GetDirectoryName db), Is.False, "nothing may be written")

[<Test>]
let ``run --help lists every record's flag with its summary, its drivers and the record's default`` () =
    let code, out, _ = runCli [ "run"; "--help" ]
    Assert.That(code, Is.EqualTo 0)
    let line (flag: string) = out.Split('\n') |> Array.find (fun l -> l.TrimStart().StartsWith(flag + " "))
    // Texts are the records' XML summaries and defaults (DriverSettings.cs, WeightSymmetryConfig.cs).
    TestSupport.contains "Width ratio a between consecutive layers [default: 1] [fixed-param]" (line "--width-multiplier")
    TestSupport.contains "[shuffled-mask, random-mask, fixed-param]" (line "--mask")
    TestSupport.contains "Zoo model name [default: mnist-fc]" (line "--model")
    TestSupport.contains "turns off: remove dead units' connections" (line "--no-propagate")

[<Test>]
let ``a parameter budget too small for the depth is refused`` () =
    use dir = new TempDir()
    let db = dir.File "results/bad.db"
    let code, _, err = runCli [ "run"; "fixed-param"; "--budget"; "100"; "--depth"; "4"; "--mask"; "random"; "--sparsity"; "0.5"; "--db"; db ]
    Assert.That(code, Is.EqualTo 2)
    Assert.That(err, Does.Contain "too small for depth 4")
    Assert.That(Directory.Exists(Path.GetDirectoryName db), Is.False)

[<Test>]
let ``the JSON summary has the original code's keys and the run's values`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeData data
    use store = ResultsStore.Open(dir.File "s.db")
    use splits = DataSets.Load data
    let driver = WeightSymmetryDriver(store, (fun _ -> splits))
    let config = WeightSymmetryConfig(Driver = ShuffledMaskDriver(Mask = Symmetry.Core.Masks.MaskType.Symmetric, Sparsity = 0.5), Widths = [| 12; 12 |],
                                      Training = Symmetry.Core.Models.TrainingRecipes.Seed000.Override(epochs = 2, batchSize = 64),
                                      Data = data, Seed = 5UL)
    let outcome = driver.Run config
    Assert.That(outcome.Reused, Is.False)
    Assert.That((driver.Run config).Reused, Is.True, "a rerun loads the finished run")
    use json = JsonDocument.Parse(SummaryJson.ToJson store)
    // The run id hashes the config with the data's fingerprint.
    Assert.That(outcome.RunId, Is.EqualTo (WeightSymmetryDriver.WithData(config, splits)).RunId)
    Assert.That(outcome.RunId, Is.Not.EqualTo config.RunId)
    let run = json.RootElement.GetProperty(outcome.RunId)
    let number (key: string) = run.GetProperty(key).GetDouble()
    let testAccuracies = store.Metrics(outcome.RunId) |> Seq.filter (fun m -> m.Name = "test_accuracy") |> Seq.map (fun m -> m.Value)
    Assert.That(number "best_test_acc/test_accuracy", Is.EqualTo(Seq.max testAccuracies))
    Assert.That(number "best_test_acc/test_accuracy", Is.EqualTo outcome.TestAccuracy)
    Assert.That(number "mask/sparsity", Is.EqualTo(0.5).Within(0.01))
    // Symmetric 12-wide layers: the last hidden layer keeps 12! = 479001600 permutations when nothing is cut after it.
    Assert.That(number "mask/permutation_log10", Is.GreaterThan 0.0)
    for key in [ "best_train_loss/step"; "propagated_mask/unique_neurons"; "propagated_mask/permutation_log10"; "final/test_accuracy"; "config/driver/kind"; "config/driver/mask"; "status" ] do
        Assert.That(run.TryGetProperty(key) |> fst, Is.True, sprintf "summary lacks %s" key)
    Assert.That(run.GetProperty("status").GetString(), Is.EqualTo "finished")
    Assert.That(run.GetProperty("config/driver/kind").GetString(), Is.EqualTo "shuffled-mask")

[<Test>]
let ``an impossible mask is refused before anything is written`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeData data
    let db = dir.File "results/bad.db"
    let code, _, err =
        runCli [ "run"; "shuffled-mask"; "--widths"; "16"; "--mask"; "per-neuron-no-input-ablation"; "--sparsity"; "0.99"
                 "--data"; data; "--db"; db ]
    Assert.That(code, Is.EqualTo 2)
    Assert.That(err, Does.Contain "is impossible")
    Assert.That(err, Does.Contain "largest sparsity that works")
    Assert.That(Directory.Exists(Path.GetDirectoryName db), Is.False, "nothing may be written")

[<Test>]
let ``the prune schedule fires at every step; the original's only at epoch 0`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeData data
    use store = ResultsStore.Open(dir.File "s.db")
    use splits = DataSets.Load data
    let driver = WeightSymmetryDriver(store, (fun _ -> splits))
    let finalSparsity (original: bool) =
        let config = WeightSymmetryConfig(Driver = PruneDriver(Schedule = [| PruneStep(0, 0.5); PruneStep(1, 0.8) |], Original = original),
                                          Widths = [| 12; 12 |], Data = data, Seed = 3UL,
                                          Training = Symmetry.Core.Models.TrainingRecipes.Seed000.Override(epochs = 2, batchSize = 64))
        let outcome = driver.Run config
        use json = JsonDocument.Parse(SummaryJson.ToJson store)
        json.RootElement.GetProperty(outcome.RunId).GetProperty("mask/sparsity").GetDouble()
    Assert.That(finalSparsity false, Is.EqualTo(0.8).Within(0.005), "ours: both steps fire")
    Assert.That(finalSparsity true, Is.EqualTo(0.5).Within(0.005), "original: only the epoch-0 step (the random init)")

[<Test>]
let ``a run is a chain of experiment states: init, mask, training, linked from the run`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeData data
    use store = ResultsStore.Open(dir.File "s.db")
    use splits = DataSets.Load data
    let driver = WeightSymmetryDriver(store, (fun _ -> splits))
    let config = WeightSymmetryConfig(Driver = ShuffledMaskDriver(Mask = Symmetry.Core.Masks.MaskType.PerNeuron, Sparsity = 0.5), Widths = [| 12; 12 |],
                                      Training = Symmetry.Core.Models.TrainingRecipes.Seed000.Override(epochs = 1, batchSize = 64),
                                      Data = data, Seed = 4UL, MaskSeed = 9UL)
    let outcome = driver.Run config
    let trained = WeightSymmetryDriver.States(config, splits)
    // The run ends in the train state; its parent is the mask state, whose parent is the initialised model.
    Assert.That(store.RunState outcome.RunId, Is.EqualTo trained.Key)
    let kinds = [ for s in trained.Lineage() -> (store.GetState s.Key |> nonNull).Kind ]
    Assert.That((kinds = [ "init"; "mask"; "train" ]), sprintf "recorded kinds %A" kinds)
    let mask = (trained.Parent |> nonNull).Recipe :?> Symmetry.Core.Experiments.MaskRecipe
    Assert.That((mask.MaskType, mask.Sparsity, mask.Seed, mask.MaskOutputLayer), Is.EqualTo(("per-neuron", 0.5, 9UL, false)))
    use json = JsonDocument.Parse(SummaryJson.ToJson store)
    Assert.That(json.RootElement.GetProperty(outcome.RunId).GetProperty("state_key").GetString(), Is.EqualTo trained.Key)
    // The state's checkpoint holds the run's final weights: a realizer loads it instead of training again.
    let realizer = Symmetry.Core.Experiments.Realizer(store, (fun _ -> failwith "a load must not touch the data"))
    use model = realizer.Realize trained
    Assert.That((realizer.Computed, realizer.Loaded), Is.EqualTo((0, 1)))
    Assert.That((driver.Run config).Reused, Is.True)

[<Test>]
let ``a train recipe realised over the store is a run of its own, keyed by the state`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeData data
    use store = ResultsStore.Open(dir.File "s.db")
    use splits = DataSets.Load data
    let root = Symmetry.Core.Experiments.ExperimentState.Initial("mnist-fc", Symmetry.Core.Models.MlpConfig(1, 28, 10, Widths = [| 8 |]), 2UL, data)
    let trained = root.Then(Symmetry.Core.Experiments.TrainRecipe(Training = Symmetry.Core.Models.TrainingRecipes.Generic.Override(epochs = 2), Seed = 3UL))
    let realizer = Symmetry.Core.Experiments.Realizer(store, (fun _ -> splits))
    use model = realizer.Realize trained
    let run = store.GetRun trained.Key |> nonNull
    Assert.That(run.Status, Is.EqualTo RunStatus.Finished)
    Assert.That(store.RunState trained.Key, Is.EqualTo trained.Key)
    let epochs = store.Metrics trained.Key |> Seq.filter (fun m -> m.Name = "test_accuracy") |> Seq.map (fun m -> m.Epoch) |> List.ofSeq
    Assert.That((epochs = [ 1.0; 2.0 ]), sprintf "evaluations at epochs %A" epochs)
    Assert.That(store.Checkpoints trained.Key |> Seq.length, Is.EqualTo 2, "a checkpoint per epoch")

/// Stops a run with an exception at the end of `epoch`, after its checkpoint is written (a kill between epochs).
type private FailAtEpoch(epoch: int) =
    interface Symmetry.Core.Training.ITrainingCallback with
        member _.OnEpochEnd(_, e) = if e = epoch then failwith "killed"

[<Test>]
let ``a batched sweep records each run as a sequential run would, flagged, and resumes a killed batch`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeData data
    use splits = DataSets.Load data
    let configs =
        [ for seed in [ 0UL; 1UL; 2UL ] do
            for mask in [ Symmetry.Core.Masks.MaskType.Random; Symmetry.Core.Masks.MaskType.PerNeuron ] ->
                WeightSymmetryConfig(Driver = ShuffledMaskDriver(Mask = mask, Sparsity = 0.5), Widths = [| 12; 12 |],
                                     Training = Symmetry.Core.Models.TrainingRecipes.Seed000.Override(epochs = 2, batchSize = 64),
                                     Data = data, Seed = seed, MaskSeed = seed)
              |> fun c -> WeightSymmetryDriver.WithData(c, splits) ]
    use sequentialStore = ResultsStore.Open(dir.File "sequential.db")
    let sequential = WeightSymmetryDriver(sequentialStore, (fun _ -> splits)).RunAll(configs, 1)
    use batchedStore = ResultsStore.Open(dir.File "batched.db")
    let driver = WeightSymmetryDriver(batchedStore, (fun _ -> splits))
    // Killed after the first epoch's checkpoints (the fourth network's callbacks run last), then run again: the batch
    // resumes from epoch 1.
    let fourth = configs.[3].RunId
    driver.CallbacksFor <- fun id -> if id = fourth then [ FailAtEpoch 1 :> Symmetry.Core.Training.ITrainingCallback ] else []
    Symmetry.Properties.TestSupport.throws<exn> (fun () -> driver.RunAll(configs, 4) |> ignore) |> ignore
    driver.CallbacksFor <- null
    let batched = driver.RunAll(configs, 4)
    // Groups of at most 4: one of 4 and one of 2, every run flagged.
    for c in configs do
        Assert.That((sequentialStore.GetRun c.RunId |> nonNull).Runtime.Batched, Is.False)
        let run = batchedStore.GetRun c.RunId |> nonNull
        Assert.That(run.Runtime.Batched, Is.True, c.RunId)
        Assert.That(run.Status, Is.EqualTo RunStatus.Finished)
    Assert.That(batched |> Seq.filter (fun o -> o.ResumedFromEpoch = System.Nullable 1) |> Seq.length, Is.EqualTo 4,
                "the first group of four was killed after epoch 1 and resumed; the second never started")
    // Same records (names, steps, checkpoints, best snapshots), values equal to float32 rounding over 2 × 19 steps.
    let rows (store: ResultsStore) (id: string) =
        [ for m in store.Metrics id do if m.Name <> "wall_seconds" then yield (m.Step, m.Name), m.Value ] |> Map.ofList
    for c, s, b in Seq.zip3 configs sequential batched do
        Assert.That(b.RunId, Is.EqualTo s.RunId)
        let expected, actual = rows sequentialStore c.RunId, rows batchedStore c.RunId
        Assert.That(List.ofSeq actual.Keys = List.ofSeq expected.Keys, Is.True, "the same metrics at the same steps")
        for KeyValue(key, value) in expected do
            Assert.That(actual.[key], Is.EqualTo(value).Within(1e-4 * max 1.0 (abs value)), sprintf "%s %A" c.RunId key)
        Assert.That([ for cp in batchedStore.Checkpoints c.RunId -> cp.Epoch ] = [ for cp in sequentialStore.Checkpoints c.RunId -> cp.Epoch ], Is.True, "the same checkpoints")
        Assert.That(batchedStore.Best c.RunId |> Seq.length, Is.EqualTo(sequentialStore.Best c.RunId |> Seq.length))
        Assert.That(batchedStore.RunState c.RunId, Is.EqualTo(sequentialStore.RunState c.RunId))
