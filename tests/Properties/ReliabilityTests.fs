/// The reliability catalogue: one test per class of hostile-but-fair input (bad flags, bad data, unusable stores,
/// interrupted runs, corrupt checkpoints, changed data, a run leased by another trainer, export statuses). Each asserts
/// the exit code, the message and what was — or was not — written. The `symmetry` tool runs in-process (its console
/// redirected), so the catalogue costs one data set and a few one-epoch runs rather than a process per case.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ReliabilityTests

open System
open System.IO
open System.Text.Json
open System.Threading
open NUnit.Framework
open TorchSharp
open Symmetry.Core.Data
open Symmetry.Core.Results
open Symmetry.Core.Training
open Symmetry.Core.Experiments.WeightSymmetry
open Symmetry.Properties.DataTestSupport

let private toolGate = obj ()

/// Runs `symmetry args` in this process: exit code, standard output, standard error. The thread count the tool sets
/// is put back afterwards.
let private tool (args: string list) =
    lock toolGate (fun () ->
        use out = new StringWriter()
        use err = new StringWriter()
        let oldOut, oldErr, threads = Console.Out, Console.Error, torch.get_num_threads ()
        Console.SetOut out
        Console.SetError err
        try
            let code = Symmetry.Cli.SymmetryTool.Run(Array.ofList args)
            code, out.ToString(), err.ToString()
        finally
            Console.SetOut oldOut
            Console.SetError oldErr
            torch.set_num_threads threads)

/// One small data set for the whole catalogue (300 test samples; training samples as given).
let private sharedData =
    lazy
        (let dir = Path.Combine(Path.GetTempPath(), "symmetry-reliability-" + Guid.NewGuid().ToString("N"))
         Directory.CreateDirectory dir |> ignore
         writeBandedMnist 600 dir
         AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> try Directory.Delete(dir, true) with _ -> ())
         dir)

/// A tiny shuffled-mask run: 8-wide MLP, batch 64.
let private runArgs (data: string) (db: string) (epochs: int) =
    [ "run"; "shuffled-mask"; "--widths"; "8"; "--mask"; "random"; "--sparsity"; "0.5"; "--seeds"; "3"
      "--epochs"; string epochs; "--batch"; "64"; "--data"; data; "--db"; db ]

/// The config `runArgs` builds (the CLI's defaults for everything else).
let private configOf (data: string) (epochs: int) =
    WeightSymmetryConfig(Driver = ShuffledMaskDriver(Mask = Symmetry.Core.Masks.MaskType.Random, Sparsity = 0.5), Widths = [| 8 |],
                         Data = data, Seed = 3UL, MaskSeed = 3UL,
                         Training = Symmetry.Core.Models.TrainingRecipes.Seed000.Override(batchSize = 64, epochs = epochs))

/// Every recorded metric except wall time.
let private metricRows (db: string) =
    use store = ResultsStore.Open db
    [ for run in store.Runs() do
        for m in store.Metrics run.Id do
            if m.Name <> MetricNames.WallSeconds then yield m.Step, m.Split, m.Name, m.Value ]
    |> List.sort

/// Extra trainer callbacks for every run of a driver.
let private callbacks (list: ITrainingCallback list) = Func<string, seq<ITrainingCallback>>(fun _ -> Seq.ofList list)

let private oneLine (err: string) =
    let lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries)
    Assert.That(lines.Length, Is.EqualTo 1, sprintf "one line expected on stderr, got: %s" err)
    lines.[0]

// ------------------------------------------------------------------------------------------------ flags

[<TestCase("run train --sparsity 0.5", "train does not take --sparsity")>]
[<TestCase("run train --mask random", "train does not take --mask")>]
[<TestCase("run train --mask-seed 3", "--mask-seed applies to the mask drivers (shuffled-mask, random-mask, fixed-param), not to train")>]
[<TestCase("run prune --prune-schedule 0:0.5 --sparse-init", "sparse init applies to the mask drivers (shuffled-mask, random-mask, fixed-param), not to prune")>]
[<TestCase("run random-mask --mask random --sparsity-range 0.1,0.2 --sparsity 0.5", "random-mask does not take --sparsity (it takes: --mask, --sparsity-range)")>]
[<TestCase("run fixed-param --mask random --budget 5000 --depth 2 --widths 8", "fixed-param solves the widths from its budget: drop --widths")>]
[<TestCase("run fixed-param --mask random --budget 5000 --depth 2 --width-multiplier Infinity", "width multiplier must be a finite number > 0")>]
[<TestCase("run train --weight-decay -5", "weight decay must be a finite number ≥ 0, got -5")>]
[<TestCase("run train --lr Infinity", "learning rate must be a finite number > 0, got Infinity")>]
[<TestCase("run train --lr NaN", "learning rate must be a finite number > 0, got NaN")>]
[<TestCase("run train --epochs 0", "epochs must be ≥ 1, got 0")>]
[<TestCase("run train --batch 0", "batch size must be ≥ 1, got 0")>]
[<TestCase("run train --dropout NaN", "dropout must be in [0, 1), got NaN")>]
[<TestCase("run train --threads 0", "--threads 0: the thread count must be at least 1")>]
[<TestCase("run train --widths 100000,100000", "use smaller --widths")>]
[<TestCase("run train --device cuda", "CUDA is not available here")>]
[<TestCase("sweep --sparsities ,", "--sparsities names no sparsity")>]
[<TestCase("sweep --masks ,", "--masks names no mask type")>]
[<TestCase("sweep --sparsities 1.5", "sparsity must be in [0, 1], got 1.5")>]
let ``a bad flag is refused with one line and exit code 2, and no store is created`` (command: string, expected: string) =
    if command.Contains "cuda" && torch.cuda.is_available () then Assert.Ignore "this machine has CUDA"
    use dir = new TempDir()
    let db = dir.File "results/x.db"
    let args = List.ofArray (command.Split ' ') @ [ "--data"; sharedData.Force(); "--db"; db; "--epochs"; "1" ]
    // `--epochs` twice (the case's and the default 1) would be a parse error: the case's wins.
    let args = if command.Contains "--epochs" then List.take (args.Length - 2) args else args
    let code, _, err = tool args
    Assert.That(code, Is.EqualTo 2, err)
    Assert.That(oneLine err, Does.StartWith "error: ")
    Assert.That(err, Does.Contain expected)
    Assert.That(Directory.Exists(dir.File "results"), Is.False, "nothing may be written")

// ------------------------------------------------------------------------------------------------ data

[<TestCase("no data files", "no data set found in this directory")>]
[<TestCase("no training samples", "holds 0 training and 300 test samples")>]
[<TestCase("truncated images", "train-images-idx3-ubyte")>]
let ``bad data is refused with one line naming it, and no store is created`` (case: string, expected: string) =
    use dir = new TempDir()
    let data = dir.Sub "data"
    match case with
    | "no data files" -> File.WriteAllText(Path.Combine(data, "README"), "nothing here")
    | "no training samples" ->
        writeBandedMnist 0 data
    | _ ->
        writeBandedMnist 100 data
        let images = Path.Combine(data, "train-images-idx3-ubyte")
        let bytes = File.ReadAllBytes images
        File.WriteAllBytes(images, bytes.[.. bytes.Length / 2])
    let db = dir.File "results/x.db"
    let code, _, err = tool (runArgs data db 1)
    Assert.That(code, Is.EqualTo 2, err)
    Assert.That(oneLine err, Does.Contain expected)
    Assert.That(Directory.Exists(dir.File "results"), Is.False, "nothing may be written")

// ------------------------------------------------------------------------------------------------ stores

[<TestCase("parent is a file", "cannot create the folder of results store")>]
[<TestCase("path is a folder", "is a folder, not a file")>]
[<TestCase("not a database", "is not an SQLite database")>]
[<TestCase("truncated", ".recover")>]
let ``an unusable store is one line naming the file and the way out, exit code 2, the file untouched`` (case: string, expected: string) =
    use dir = new TempDir()
    let db =
        match case with
        | "parent is a file" ->
            File.WriteAllText(dir.File "plain", "a file, not a folder")
            Path.Combine(dir.File "plain", "x.db")
        | "path is a folder" -> dir.Sub "x.db"
        | "not a database" ->
            File.WriteAllText(dir.File "x.db", String.replicate 200 "these are not the pages of an SQLite database\n")
            dir.File "x.db"
        | _ ->
            // A store with some rows, then cut short: its schema page survives, its table pages do not.
            let path = dir.File "x.db"
            do
                use store = ResultsStore.Open path
                let runtime = RuntimeInfo("t", "t", 1, "cpu")
                for i in 1 .. 200 do
                    store.BeginRun(sprintf "run-%d" i, "k", sprintf """{"padding": "%s"}""" (String.replicate 200 "x"), 1UL, runtime) |> ignore
                    store.FailRun(sprintf "run-%d" i, "test")
            let bytes = File.ReadAllBytes path
            File.WriteAllBytes(path, bytes.[.. 2 * 4096 - 1])
            path
    let before = if File.Exists db then Some(File.ReadAllBytes db) else None
    let code, _, err = tool (runArgs (sharedData.Force()) db 1)
    Assert.That(code, Is.EqualTo 2, err)
    let line = oneLine err
    Assert.That(line, Does.Contain expected)
    Assert.That(line, Does.Contain(Path.GetFullPath db), "the message names the file")
    match before with
    | Some bytes -> Assert.That((File.ReadAllBytes db = bytes), "the file is untouched")
    | None -> ()
    // The export verbs report the same way.
    if File.Exists db then
        let code, _, err = tool [ "summary"; "--db"; db; "--out"; dir.File "summary.json" ]
        Assert.That(code, Is.EqualTo 2, err)
        Assert.That(oneLine err, Does.Contain expected)
        Assert.That(File.Exists(dir.File "summary.json"), Is.False)

// ------------------------------------------------------------------------------------------------ interrupted runs

[<Test>]
let ``an interrupted run is reported interrupted, its killed writes are cleaned, and it resumes to the uninterrupted metrics`` () =
    use dir = new TempDir()
    let data = sharedData.Force()
    let reference = dir.File "reference/r.db"
    let code, out, err = tool (runArgs data reference 2)
    Assert.That(code, Is.EqualTo 0, err)
    Assert.That(out, Does.Contain "(trained)")
    // The same run stopped after its first epoch's checkpoint: a process killed there leaves status running, no
    // lease (the operating system drops a dead process's lock, as disposing the store does here) and, if the kill
    // hit a checkpoint write, a temporary file.
    let db = dir.File "killed/k.db"
    use splits = DataSets.Load data
    let config = WeightSymmetryDriver.WithData(configOf data 2, splits)
    do
        use store = ResultsStore.Open db
        let stop = Callbacks.OnEpochEnd(fun _ epoch -> if epoch = 1 then raise (OperationCanceledException "killed"))
        let driver = WeightSymmetryDriver(store, (fun _ -> splits), CallbacksFor = callbacks [ stop ])
        TestSupport.throws<OperationCanceledException> (fun () -> driver.Run config |> ignore) |> ignore
        // Killed rather than failed: the row says running, as a SIGKILL leaves it.
        store.BeginRun(config.RunId, config.Driver.Name, config.ToCanonicalJson(), config.Seed, RuntimeInfo.Capture torch.CPU) |> ignore
    let folder = Path.Combine(dir.File "killed", "checkpoints", config.RunId)
    let deadWriter = Path.Combine(folder, "epoch-2.safetensors.tmp-2147483000-0123456789abcdef0123456789abcdef")
    let legacy = Path.Combine(folder, "epoch-2.safetensors.tmp-0123456789abcdef0123456789abcdef")
    for path in [ deadWriter; legacy ] do File.WriteAllText(path, "half a checkpoint")
    let code, _, err = tool [ "summary"; "--db"; db; "--out"; dir.File "summary.json" ]
    Assert.That(code, Is.EqualTo 0, err)
    use json = JsonDocument.Parse(File.ReadAllText(dir.File "summary.json"))
    Assert.That(json.RootElement.GetProperty(config.RunId).GetProperty("status").GetString(), Is.EqualTo "interrupted")
    Assert.That(File.Exists deadWriter || File.Exists legacy, Is.False, "opening the store deletes a dead writer's temporary files")
    let code, out, err = tool (runArgs data db 2)
    Assert.That(code, Is.EqualTo 0, err)
    Assert.That(out, Does.Contain "resumed from epoch 1")
    TestSupport.assertArrayEqual "bit-identical metrics after the resume" (Array.ofList (metricRows reference)) (Array.ofList (metricRows db))

// ------------------------------------------------------------------------------------------------ corrupt checkpoints

/// Damages a checkpoint file in one of the ways a disk or a kill can.
let private damage (how: string) (path: string) =
    let bytes = File.ReadAllBytes path
    match how with
    | "flipped data bytes" ->
        // 16 bytes in the middle of the data section (the header is at the start).
        for i in 0 .. 15 do bytes.[bytes.Length / 2 + i] <- bytes.[bytes.Length / 2 + i] ^^^ 0x5Auy
        File.WriteAllBytes(path, bytes)
    | "damaged header" ->
        for i in 8 .. 40 do bytes.[i] <- byte '#'
        File.WriteAllBytes(path, bytes)
    | "truncated" -> File.WriteAllBytes(path, bytes.[.. bytes.Length / 3])
    | _ -> File.WriteAllBytes(path, [||])

[<TestCase("flipped data bytes", false)>]
[<TestCase("damaged header", false)>]
[<TestCase("truncated", false)>]
[<TestCase("flipped data bytes", true)>]
let ``a corrupt checkpoint is set aside with a warning and the run resumes from the newest intact one`` (how: string, allCorrupt: bool) =
    use dir = new TempDir()
    let data = sharedData.Force()
    let reference = dir.File "reference/r.db"
    let code, _, err = tool (runArgs data reference 3)
    Assert.That(code, Is.EqualTo 0, err)
    // The run fails after its second checkpoint (a failed run resumes as a killed one does).
    let db = dir.File "damaged/d.db"
    use splits = DataSets.Load data
    let config = WeightSymmetryDriver.WithData(configOf data 3, splits)
    let checkpoints =
        use store = ResultsStore.Open db
        let stop = Callbacks.OnEpochEnd(fun _ epoch -> if epoch = 2 then raise (OperationCanceledException "stopped"))
        let driver = WeightSymmetryDriver(store, (fun _ -> splits), CallbacksFor = callbacks [ stop ])
        TestSupport.throws<OperationCanceledException> (fun () -> driver.Run config |> ignore) |> ignore
        store.Checkpoints config.RunId |> Seq.map _.Path |> List.ofSeq
    Assert.That(checkpoints.Length, Is.EqualTo 2)
    let damaged = if allCorrupt then checkpoints else [ List.last checkpoints ]
    for path in damaged do damage how path
    let code, out, err = tool (runArgs data db 3)
    Assert.That(code, Is.EqualTo 0, err)
    let warnings = err.Split('\n', StringSplitOptions.RemoveEmptyEntries)
    Assert.That(warnings.Length, Is.EqualTo damaged.Length, err)
    for path, warning in List.zip (List.rev damaged) (List.ofArray warnings) do
        Assert.That(warning, Does.StartWith("warning: checkpoint " + path))
        // Moved aside, not deleted; the resumed run wrote an intact checkpoint in its place.
        TrainingCheckpoint.Verify path
        let aside = Directory.GetFiles(nonNull (Path.GetDirectoryName path), nonNull (Path.GetFileName path) + Quarantine.Suffix + "*")
        Assert.That(aside.Length, Is.EqualTo 1, "kept, not deleted")
        Assert.That(warning, Does.Contain aside.[0])
    Assert.That(out, Does.Contain(if allCorrupt then "(trained)" else "resumed from epoch 1"))
    TestSupport.assertArrayEqual "bit-identical metrics, as if nothing had happened" (Array.ofList (metricRows reference)) (Array.ofList (metricRows db))

// ------------------------------------------------------------------------------------------------ data identity

[<Test>]
let ``changed data under the same path is a new run, never a reused result`` () =
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeBandedMnist 200 data
    let db = dir.File "results/x.db"
    let runIdOf (out: string) = out.Split(' ').[1]
    let code, first, err = tool (runArgs data db 1)
    Assert.That(code, Is.EqualTo 0, err)
    let code, again, _ = tool (runArgs data db 1)
    Assert.That(code, Is.EqualTo 0)
    Assert.That(again, Does.Contain "(reused)")
    Assert.That(runIdOf again, Is.EqualTo(runIdOf first))
    // Same path, same sizes, different samples.
    for file in Directory.GetFiles data do File.Delete file
    writeBandedMnist 200 data
    let images = Path.Combine(data, "train-images-idx3-ubyte")
    let bytes = File.ReadAllBytes images
    bytes.[bytes.Length - 1] <- bytes.[bytes.Length - 1] ^^^ 1uy
    File.WriteAllBytes(images, bytes)
    let code, changed, err = tool (runArgs data db 1)
    Assert.That(code, Is.EqualTo 0, err)
    Assert.That(changed, Does.Contain "(trained)")
    Assert.That(runIdOf changed, Is.Not.EqualTo(runIdOf first))
    use store = ResultsStore.Open db
    Assert.That(store.Runs().Count, Is.EqualTo 2)

// ------------------------------------------------------------------------------------------------ leases

[<Test>]
let ``a run another trainer holds is refused naming its process, and nothing of it is touched`` () =
    use dir = new TempDir()
    let data = sharedData.Force()
    let db = dir.File "results/x.db"
    use splits = DataSets.Load data
    let config = configOf data 1
    let runId = WeightSymmetryDriver.WithData(config, splits).RunId
    use inEpoch = new ManualResetEventSlim()
    use release = new ManualResetEventSlim()
    let trainer =
        Thread(fun () ->
            use store = ResultsStore.Open db
            let hold = Callbacks.OnEpochEnd(fun _ _ -> inEpoch.Set(); release.Wait())
            WeightSymmetryDriver(store, (fun _ -> splits), CallbacksFor = callbacks [ hold ]).Run config |> ignore)
    trainer.Start()
    Assert.That(inEpoch.Wait(TimeSpan.FromMinutes 2.0), Is.True, "the first trainer reached its epoch end")
    let metricsBefore = metricRows db
    let code, _, err = tool (runArgs data db 1)
    Assert.That(code, Is.EqualTo 2, err)
    Assert.That(oneLine err, Is.EqualTo(sprintf "error: run %s is being trained by PID %d: wait for it to finish (then rerun to reuse its result) or stop that process" runId Environment.ProcessId))
    TestSupport.assertArrayEqual "the refused process wrote nothing" (Array.ofList metricsBefore) (Array.ofList (metricRows db))
    release.Set()
    trainer.Join()
    let code, out, err = tool (runArgs data db 1)
    Assert.That(code, Is.EqualTo 0, err)
    Assert.That(out, Does.Contain "(reused)")

// ------------------------------------------------------------------------------------------------ statuses

[<Test>]
let ``the summary tells running, interrupted, failed and finished runs apart`` () =
    use dir = new TempDir()
    let db = dir.File "results/x.db"
    let runtime = RuntimeInfo("t", "t", 1, "cpu")
    let start (store: ResultsStore) id = store.BeginRun(id, "k", "{}", 1UL, runtime) |> ignore
    do
        use store = ResultsStore.Open db
        start store "finished"
        store.FinishRun("finished", 1.0)
        start store "failed"
        store.FailRun("failed", "boom")
        start store "interrupted"
    // The store that began "interrupted" is gone (as a killed process is); this one is training "running".
    use live = ResultsStore.Open db
    start live "running"
    let code, _, err = tool [ "summary"; "--db"; db; "--out"; dir.File "summary.json" ]
    Assert.That(code, Is.EqualTo 0, err)
    use json = JsonDocument.Parse(File.ReadAllText(dir.File "summary.json"))
    for id in [ "running"; "interrupted"; "failed"; "finished" ] do
        Assert.That(json.RootElement.GetProperty(id).GetProperty("status").GetString(), Is.EqualTo id)
