/// The results store: schema and migrations, run lifecycle, INSERT OR REPLACE semantics, concurrent writers,
/// write-once states and checkpoint paths (exports: ResultsStoreExportTests.fs).
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ResultsStoreTests

open System
open System.Collections.Generic
open System.Diagnostics
open System.IO
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open Microsoft.Data.Sqlite
open Symmetry.Core.Results
open Symmetry.Properties.TestSupport
open Symmetry.Properties.ResultsStoreTestSupport

// ---------------------------------------------------------------- schema and migrations

[<Test>]
let ``opening creates the schema in WAL mode, and opening again changes nothing`` () =
    use dir = new TempDir()
    let path = dir.File "nested/folder/store.db"
    do
        use store = ResultsStore.Open path
        Assert.That(store.SchemaVersion, Is.EqualTo ResultsSchema.Version)
        Assert.That(begin' store "a", Is.EqualTo RunStart.Created)
    do
        use store = ResultsStore.Open path
        Assert.That(store.SchemaVersion, Is.EqualTo ResultsSchema.Version)
        // The store that began it is closed: no process holds its lease, so it reads as interrupted.
        Assert.That((must (store.GetRun "a")).Status, Is.EqualTo RunStatus.Interrupted)
    use c = rawConnection path
    for table in [ "runs"; "metrics"; "mask_stats"; "states"; "checkpoints"; "best"; "run_states"; "schema_version" ] do
        Assert.That(count c $"SELECT count(*) FROM sqlite_master WHERE type='table' AND name='{table}'", Is.EqualTo 1L, table)
    Assert.That(count c "SELECT count(*) FROM schema_version", Is.EqualTo(int64 ResultsSchema.Version))
    Assert.That(string (scalar c "PRAGMA journal_mode"), Is.EqualTo "wal")

[<Test>]
let ``the default path is results/symmetry.db and checkpoints go beside it`` () =
    Assert.That(ResultsStore.DefaultPath, Is.EqualTo "results/symmetry.db")
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "results/symmetry.db")
    Assert.That(store.CheckpointPath("run-1", 3),
                Is.EqualTo(Path.Combine(dir.Path, "results", "checkpoints", "run-1", "epoch-3.safetensors")))
    throws<ArgumentException> (fun () -> store.CheckpointPath("a/b", 1) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> store.CheckpointPath("..", 1) |> ignore) |> ignore

[<Test>]
let ``a store written at schema 1 opens migrated: its runs kept, a run can be linked to the state it ended in`` () =
    use dir = new TempDir()
    let path = dir.File "v1.db"
    do
        use c = rawConnection path
        Assert.That(ResultsSchema.Migrate(c, [| ResultsSchema.Migrations.[0] |]), Is.EqualTo 0)
        use insert = c.CreateCommand()
        insert.CommandText <-
            "INSERT INTO runs (id, kind, config_json, seed, status, created_at, started_at) " +
            "VALUES ('old', 'train', '{}', 1, 'finished', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
        insert.ExecuteNonQuery() |> ignore
    use store = ResultsStore.Open path
    Assert.That(store.SchemaVersion, Is.EqualTo ResultsSchema.Version)
    Assert.That((must (store.GetRun "old")).Status, Is.EqualTo RunStatus.Finished, "the run survives the migration")
    Assert.That(store.RunState "old", Is.Null)
    Assert.That(store.PutState("k", null, "init", "{}", null), Is.True)
    store.LinkRunState("old", "k")
    store.LinkRunState("old", "k") // the same link again changes nothing
    Assert.That(store.RunState "old", Is.EqualTo "k")
    throws<InvalidOperationException> (fun () -> store.LinkRunState("old", "other")) |> ignore

/// A store at schema 2 holding run `id` (finished) and `rows` of the key/value mask_stats table of schemas 1–2.
let private schema2Store (path: string) (id: string) (rows: (string * string * string * string) list) =
    use c = rawConnection path
    ResultsSchema.Migrate(c, [| ResultsSchema.Migrations.[0]; ResultsSchema.Migrations.[1] |]) |> ignore
    execute c ("INSERT INTO runs (id, kind, config_json, seed, status, created_at, started_at) " +
               $"VALUES ('{id}', 'shuffled-mask', '{{}}', 1, 'finished', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
    for stage, layer, key, value in rows do
        use insert = c.CreateCommand()
        insert.CommandText <- "INSERT INTO mask_stats (run_id, stage, layer, key, value) VALUES ($r, $s, $l, $k, $v)"
        for name, v in [ "$r", id; "$s", stage; "$l", layer; "$k", key; "$v", value ] do insert.Parameters.AddWithValue(name, v) |> ignore
        insert.ExecuteNonQuery() |> ignore

/// The key/value rows schema 2 held for `stats`, written as the library wrote them then: the model totals of
/// MaskStatistics.ToFlat, doubles as round-trip text, the rest as invariant text.
let private oldTextRows stage (stats: Symmetry.Core.Masks.MaskStatistics) =
    [ for KeyValue(key, value) in stats.ToFlat() ->
          let text =
              match value with
              | :? float as d -> d.ToString("R", Globalization.CultureInfo.InvariantCulture)
              | v -> must (Convert.ToString(v, Globalization.CultureInfo.InvariantCulture))
          stage, "", key, text ]

let private genLayerStats (name: string) =
    gen {
        let! weights = Gen.choose (1, 1_000_000)
        let! zeros = Gen.choose (0, weights)
        let! units = Gen.choose (1, 1000)
        let! counts = Gen.listOfLength 4 (Gen.choose (0, units))
        let! factorials = Gen.listOf (Gen.choose (0, 120))
        let permutations = factorials |> List.fold (fun p n -> p * Symmetry.Core.Masks.MaskStatistics.Factorial(int64 n)) 1I
        return layerStats name true (int64 weights) (int64 zeros) (int64 units) (int64 counts.[0]) (int64 counts.[1])
                   (int64 counts.[2]) (int64 counts.[3]) permutations
    }

[<Property(MaxTest = 25)>]
let ``a schema-2 store's key/value mask statistics migrate to exactly the typed values they were written from`` () =
    let genStats =
        Gen.choose (1, 4)
        |> Gen.bind (fun n -> Gen.sequenceToList [ for i in 0 .. n - 1 -> genLayerStats $"layers.{i}.weight" ])
        |> Gen.map modelStats
    Prop.forAll (arb (Gen.zip genStats genStats)) (fun (drawn, propagated) ->
        use dir = new TempDir()
        let path = dir.File "v2.db"
        schema2Store path "old" (oldTextRows MaskStage.Mask drawn @ oldTextRows MaskStage.Propagated propagated)
        use store = ResultsStore.Open path
        let rows = store.MaskStats "old" |> List.ofSeq
        let matches (s: Symmetry.Core.Masks.MaskStatistics) (row: MaskStatRow) =
            row.IsModel && row.Weights = s.Weights && row.Zeros = s.Zeros && row.Sparsity = s.Sparsity
            && row.TotalNeurons = s.TotalNeurons && row.ZeroedNeurons = s.ZeroedNeurons && row.UniqueNeurons = s.UniqueNeurons
            && row.SurvivingNeurons = s.SurvivingNeurons && row.PermutationGroups = s.PermutationGroups
            && row.Permutations = s.Permutations && row.PermutationLog10 = s.PermutationLog10
        store.SchemaVersion = ResultsSchema.Version
        && rows.Length = 2
        && matches drawn (rows |> List.find (fun r -> r.Stage = MaskStage.Mask))
        && matches propagated (rows |> List.find (fun r -> r.Stage = MaskStage.Propagated)))

[<Test>]
let ``a schema-2 store whose mask statistics cannot be typed without loss is refused, named and left unchanged`` () =
    let complete = oldTextRows MaskStage.Mask (modelStats [ layerStats "w" true 10L 5L 2L 0L 2L 2L 1L 2I ])
    let without key = complete |> List.filter (fun (_, _, k, _) -> k <> key)
    let replacing key value = complete |> List.map (fun (s, l, k, v) -> s, l, k, (if k = key then value else v))
    for rows, expected in
        [ without "weights", "lack 'weights'"
          complete @ [ MaskStage.Mask, "", "kind", "per-neuron" ], "unknown statistic 'kind'"
          replacing "zeros" "5.5", "'5.5' for zeros"
          replacing "permutations" "-2", "'-2' for permutations"
          replacing "permutation_log10" "many", "'many' for permutation_log10"
          replacing "sparsity" "0.25", "sparsity 0.25, which is not zeros / weights" ] do
        use dir = new TempDir()
        let path = dir.File "v2.db"
        schema2Store path "old-run" rows
        let e = throws<NotSupportedException> (fun () -> ResultsStore.Open path |> ignore)
        Assert.That(e.Message, Does.Contain expected)
        Assert.That(e.Message, Does.Contain "run 'old-run'")
        Assert.That(e.Message, Does.Contain "schema version 4")
        use c = rawConnection path
        Assert.That(ResultsSchema.ReadVersion c, Is.EqualTo 2, "nothing migrated")
        Assert.That(count c "SELECT count(*) FROM mask_stats", Is.EqualTo(int64 rows.Length), "the old rows are kept")

let private m1 = "CREATE TABLE t1 (x INTEGER); INSERT INTO t1 VALUES (7);"
let private m2 = "CREATE TABLE t2 (y TEXT); INSERT INTO t2 SELECT 'from ' || x FROM t1;"

[<Test>]
let ``migrations upgrade an older store in order, once each`` () =
    use dir = new TempDir()
    use c = rawConnection (dir.File "m.db")
    Assert.That(ResultsSchema.Migrate(c, [| m1 |]), Is.EqualTo 0)
    Assert.That(ResultsSchema.ReadVersion c, Is.EqualTo 1)
    Assert.That(ResultsSchema.Migrate(c, [| m1; m2 |]), Is.EqualTo 1)
    Assert.That(ResultsSchema.Migrate(c, [| m1; m2 |]), Is.EqualTo 2)
    Assert.That(ResultsSchema.ReadVersion c, Is.EqualTo 2)
    Assert.That(count c "SELECT count(*) FROM t1", Is.EqualTo 1L)
    Assert.That(string (scalar c "SELECT y FROM t2"), Is.EqualTo "from 7")
    Assert.That(count c "SELECT count(*) FROM schema_version", Is.EqualTo 2L)

[<Test>]
let ``a failing migration rolls back every migration of that open`` () =
    use dir = new TempDir()
    use c = rawConnection (dir.File "m.db")
    let e = throws<InvalidOperationException> (fun () -> ResultsSchema.Migrate(c, [| m1; "CREATE TABLE broken (" |]) |> ignore)
    Assert.That(e.Message, Does.Contain("schema version 2"))
    Assert.That(ResultsSchema.ReadVersion c, Is.EqualTo 0)
    Assert.That(count c "SELECT count(*) FROM sqlite_master WHERE name = 't1'", Is.EqualTo 0L)

[<Test>]
let ``a store from a newer schema version is refused with a clear message`` () =
    use dir = new TempDir()
    let path = dir.File "store.db"
    (ResultsStore.Open path :> IDisposable).Dispose()
    do
        use c = rawConnection path
        execute c $"INSERT INTO schema_version (version, applied_at) VALUES ({ResultsSchema.Version + 1}, 'future')"
    let e = throws<NotSupportedException> (fun () -> ResultsStore.Open path |> ignore)
    Assert.That(e.Message, Does.Contain($"schema version {ResultsSchema.Version + 1}"))
    Assert.That(e.Message, Does.Contain("newer"))
    use c = rawConnection (dir.File "other.db")
    ResultsSchema.Migrate(c, [| m1; m2 |]) |> ignore
    throws<NotSupportedException> (fun () -> ResultsSchema.Migrate(c, [| m1 |]) |> ignore) |> ignore

[<Test>]
let ``several stores opening a new file at once migrate it once`` () =
    use dir = new TempDir()
    let path = dir.File "store.db"
    let n = 4
    use barrier = new Barrier(n)
    let opens =
        [ for _ in 1..n ->
              Task.Run(fun () ->
                  barrier.SignalAndWait()
                  use store = ResultsStore.Open path
                  store.SchemaVersion) ]
    let versions = Task.WhenAll(opens).Result
    Assert.That(versions, Is.All.EqualTo ResultsSchema.Version)
    use c = rawConnection path
    Assert.That(count c "SELECT count(*) FROM schema_version", Is.EqualTo(int64 ResultsSchema.Version))

// ---------------------------------------------------------------- run lifecycle

[<Test>]
let ``BeginRun then FinishRun: created, running, finished, then reported as finished`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    Assert.That(store.BeginRun("r", "shuffled_mask", """{"a":1}""", UInt64.MaxValue, runtime), Is.EqualTo RunStart.Created)
    let run = must (store.GetRun "r")
    Assert.That(run.Status, Is.EqualTo RunStatus.Running)
    Assert.That(run.Seed, Is.EqualTo UInt64.MaxValue)
    Assert.That(run.Runtime, Is.EqualTo runtime)
    Assert.That(run.FinishedAt.HasValue, Is.False)
    store.FinishRun("r", 12.5)
    let finished = must (store.GetRun "r")
    Assert.That(finished.Status, Is.EqualTo RunStatus.Finished)
    Assert.That(finished.WallSeconds, Is.EqualTo(Nullable 12.5))
    Assert.That(finished.FinishedAt.HasValue, Is.True)
    Assert.That(store.BeginRun("r", "shuffled_mask", """{ "a" : 1 }""", UInt64.MaxValue, runtime), Is.EqualTo RunStart.AlreadyFinished)
    Assert.That((must (store.GetRun "r")).Status, Is.EqualTo RunStatus.Finished)
    // A finished run's records are write-once.
    throws<InvalidOperationException> (fun () -> store.RecordMetrics("r", 1L, 1.0, "eval", metricValues [ "x", 1.0 ])) |> ignore
    throws<InvalidOperationException> (fun () -> store.FinishRun("r", 1.0)) |> ignore
    throws<InvalidOperationException> (fun () -> store.FailRun("r", "late")) |> ignore
    throws<KeyNotFoundException> (fun () -> store.FinishRun("missing", 1.0)) |> ignore
    throws<KeyNotFoundException> (fun () -> store.RecordMetrics("missing", 1L, 1.0, "eval", metricValues [ "x", 1.0 ])) |> ignore
    Assert.That(store.Runs(status = RunStatus.Finished) |> Seq.map _.Id, equalList [ "r" ])
    Assert.That(store.Runs(kind = "other"), Is.Empty)

[<Test>]
let ``a run that never called FinishRun is not finished, and BeginRun resumes it`` () =
    use dir = new TempDir()
    let path = dir.File "s.db"
    do
        use store = ResultsStore.Open path
        begin' store "killed" |> ignore
        store.RecordMetrics("killed", 10L, 1.0, "eval", metricValues [ "test_accuracy", 0.5 ])
    // A FinishRun whose transaction never committed (the process died inside it) leaves no trace.
    do
        use c = rawConnection path
        use tx = c.BeginTransaction()
        use command = c.CreateCommand()
        command.Transaction <- tx
        command.CommandText <- "UPDATE runs SET status = 'finished' WHERE id = 'killed'"
        command.ExecuteNonQuery() |> ignore
    use store = ResultsStore.Open path
    Assert.That((must (store.GetRun "killed")).Status, Is.EqualTo RunStatus.Interrupted)
    Assert.That(store.Runs(status = RunStatus.Finished), Is.Empty)
    Assert.That(begin' store "killed", Is.EqualTo RunStart.Resumed)
    Assert.That(store.Metrics "killed" |> Seq.length, Is.EqualTo 1)
    store.FinishRun("killed", 3.0)
    Assert.That((must (store.GetRun "killed")).Status, Is.EqualTo RunStatus.Finished)

[<Test>]
let ``a failed run records its error and is resumed by BeginRun`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    begin' store "f" |> ignore
    store.FailRun("f", "out of memory")
    let failed = must (store.GetRun "f")
    Assert.That(failed.Status, Is.EqualTo RunStatus.Failed)
    Assert.That(failed.Error, Is.EqualTo "out of memory")
    throws<InvalidOperationException> (fun () -> store.FinishRun("f", 1.0)) |> ignore
    throws<InvalidOperationException> (fun () -> store.RecordMetrics("f", 1L, 1.0, "eval", metricValues [ "x", 1.0 ])) |> ignore
    Assert.That(store.BeginRun("f", "test", """{"lr":0.01}""", 42UL, RuntimeInfo("v2", "1.13.1", 4, "cuda:0")), Is.EqualTo RunStart.Resumed)
    let resumed = must (store.GetRun "f")
    Assert.That(resumed.Status, Is.EqualTo RunStatus.Running)
    Assert.That(resumed.Error, Is.Null)
    Assert.That(resumed.Runtime.Device, Is.EqualTo "cuda:0")
    Assert.That(resumed.CreatedAt, Is.EqualTo failed.CreatedAt)

[<Test>]
let ``BeginRun refuses an existing id with another configuration, kind or seed`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    store.BeginRun("r", "k", """{"a":1,"b":[1,2]}""", 1UL, runtime) |> ignore
    Assert.That(store.BeginRun("r", "k", """{"b":[1,2], "a":1}""", 1UL, runtime), Is.EqualTo RunStart.Resumed)
    throws<InvalidOperationException> (fun () -> store.BeginRun("r", "k", """{"a":2,"b":[1,2]}""", 1UL, runtime) |> ignore) |> ignore
    throws<InvalidOperationException> (fun () -> store.BeginRun("r", "k2", """{"a":1,"b":[1,2]}""", 1UL, runtime) |> ignore) |> ignore
    throws<InvalidOperationException> (fun () -> store.BeginRun("r", "k", """{"a":1,"b":[1,2]}""", 2UL, runtime) |> ignore) |> ignore
    throws<JsonException> (fun () -> store.BeginRun("s", "k", "{not json", 1UL, runtime) |> ignore) |> ignore

// ---------------------------------------------------------------- INSERT OR REPLACE

[<Test>]
let ``recording the same evaluation twice leaves one row per metric, with the later value`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    begin' store "r" |> ignore
    store.RecordMetrics("r", 100L, 1.0, "eval", metricValues [ "test_accuracy", 0.5; "test_loss", 1.5 ])
    store.RecordMetrics("r", 100L, 1.0, "eval", metricValues [ "test_accuracy", 0.5; "test_loss", 1.25 ])
    store.RecordMetrics("r", 100L, 1.0, "train", metricValues [ "test_loss", 9.0 ])
    store.RecordMetrics("r", 200L, 2.0, "eval", metricValues [ "test_accuracy", nan ])
    let rows = store.Metrics "r" |> List.ofSeq
    Assert.That(rows.Length, Is.EqualTo 4)
    let find step split name = rows |> List.find (fun m -> m.Step = step && m.Split = split && m.Name = name)
    Assert.That((find 100L "eval" "test_loss").Value, Is.EqualTo 1.25)
    Assert.That((find 100L "train" "test_loss").Value, Is.EqualTo 9.0)
    Assert.That(Double.IsNaN (find 200L "eval" "test_accuracy").Value, Is.True)

[<Test>]
let ``mask statistics are typed rows per layer and for the model; recording a stage again replaces all its rows`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    begin' store "r" |> ignore
    let first =
        modelStats [ layerStats "a.weight" true 40L 10L 4L 0L 4L 4L 4L 24I
                     layerStats "b.weight" true 40L 30L 10L 2L 7L 8L 8L 1I
                     layerStats "c.weight" false 20L 5L 2L 0L 2L 2L 2L 1I ]
    let second = modelStats [ layerStats "a.weight" true 40L 20L 4L 1L 3L 3L 2L 2I ]
    store.RecordMaskStats("r", MaskStage.Mask, first)
    store.RecordMaskStats("r", MaskStage.Propagated, first)
    store.RecordMaskStats("r", MaskStage.Mask, second)
    let rows = store.MaskStats "r" |> List.ofSeq
    let at stage = rows |> List.filter (fun s -> s.Stage = stage) |> List.map (fun s -> s.Layer)
    Assert.That(at MaskStage.Mask, equalList [ ""; "a.weight" ], "the second record replaced the first")
    Assert.That(at MaskStage.Propagated, equalList [ ""; "a.weight"; "b.weight"; "c.weight" ])
    let model = rows |> List.find (fun s -> s.Stage = MaskStage.Propagated && s.IsModel)
    // Model totals by hand: weights and zeros over the masked layers, neuron counts summed, permutations multiplied.
    Assert.That((model.Weights, model.Zeros, model.Sparsity), Is.EqualTo((100L, 45L, 0.45)))
    Assert.That((model.TotalNeurons, model.ZeroedNeurons, model.UniqueNeurons, model.SurvivingNeurons, model.PermutationGroups),
                Is.EqualTo((16L, 2L, 13L, 14L, 14L)))
    Assert.That(model.Permutations, Is.EqualTo 24I)
    Assert.That(model.PermutationLog10, Is.EqualTo(Math.Log10 25.0).Within(1e-15))
    let b = rows |> List.find (fun s -> s.Stage = MaskStage.Propagated && s.Layer = "b.weight")
    Assert.That((b.Weights, b.Zeros, b.Sparsity, b.ZeroedNeurons), Is.EqualTo((40L, 30L, 0.75, 2L)))
    throws<ArgumentException> (fun () -> store.RecordMaskStats("r", "masks", first)) |> ignore
    store.FinishRun("r", 1.0)
    throws<InvalidOperationException> (fun () -> store.RecordMaskStats("r", MaskStage.Mask, first)) |> ignore

[<Property(MaxTest = 30)>]
let ``an exact permutation count of any size survives the store`` () =
    // Products of factorials, as the statistics make them: up to hundreds of digits.
    let genCount = Gen.listOf (Gen.choose (0, 60)) |> Gen.map (List.fold (fun p n -> p * Symmetry.Core.Masks.MaskStatistics.Factorial(int64 n)) 1I)
    Prop.forAll (arb genCount) (fun count ->
        use dir = new TempDir()
        use store = ResultsStore.Open(dir.File "s.db")
        begin' store "r" |> ignore
        store.RecordMaskStats("r", MaskStage.Mask, modelStats [ layerStats "w" true 4L 0L 2L 0L 2L 2L 1L count ])
        store.MaskStats "r" |> Seq.forall (fun s -> s.Permutations = count))

[<Test>]
let ``a new best snapshot replaces the previous one for its criterion only`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    begin' store "r" |> ignore
    store.RecordBest("r", BestCriterion.TestAccuracy, 10L, 0.5, metricValues [ "test_accuracy", 0.6; "old_only", 1.0 ])
    store.RecordBest("r", BestCriterion.TrainLoss, 10L, 0.5, metricValues [ "train_loss", 0.9 ])
    store.RecordBest("r", BestCriterion.TestAccuracy, 20L, 1.0, metricValues [ "test_accuracy", 0.7 ])
    let best = store.Best "r" |> List.ofSeq
    let acc = best |> List.filter (fun b -> b.Criterion = BestCriterion.TestAccuracy)
    Assert.That(acc |> List.map (fun b -> b.Name, b.Step, b.Value), equalList [ "test_accuracy", 20L, 0.7 ])
    Assert.That(best |> List.filter (fun b -> b.Criterion = BestCriterion.TrainLoss) |> List.length, Is.EqualTo 1)
    throws<ArgumentException> (fun () -> store.RecordBest("r", "best", 1L, 1.0, metricValues [])) |> ignore

/// Generated recordings: (step, split, name, value) with many collisions.
let private genRecordings =
    gen {
        let! n = Gen.choose (1, 40)
        return!
            Gen.listOfLength n (
                gen {
                    let! step = Gen.choose (0, 4)
                    let! split = Gen.elements [ "train"; "test"; "eval" ]
                    let! name = Gen.elements [ "loss"; "accuracy"; "lr" ]
                    let! value = Gen.choose (-1000, 1000)
                    return int64 step, split, name, float value / 8.0
                })
    }

[<Property(MaxTest = 30)>]
let ``the stored metrics are the last recorded value of each (step, split, name)`` () =
    Prop.forAll (arb genRecordings) (fun recordings ->
        use dir = new TempDir()
        use store = ResultsStore.Open(dir.File "s.db")
        begin' store "p" |> ignore
        for step, split, name, value in recordings do
            store.RecordMetrics("p", step, float step / 2.0, split, metricValues [ name, value ])
        let expected =
            recordings
            |> List.fold (fun (m: Map<_, _>) (step, split, name, value) -> m.Add((step, split, name), value)) Map.empty
            |> Map.toList
            |> List.sortBy (fun ((step, split, name), _) -> step, split, name)
        let actual = store.Metrics "p" |> Seq.map (fun m -> (m.Step, m.Split, m.Name), m.Value) |> List.ofSeq
        actual = expected)

// ---------------------------------------------------------------- concurrent writers

let private writeRows (store: ResultsStore) (split: string) (count: int) =
    for i in 0 .. count - 1 do
        store.RecordMetrics("shared", int64 i, float i, split, metricValues [ "value", float i ])

[<Test>]
let ``two stores on one file written from two threads lose no rows`` () =
    use dir = new TempDir()
    let path = dir.File "s.db"
    do
        use store = ResultsStore.Open path
        begin' store "shared" |> ignore
    use barrier = new Barrier(2)
    let writer split =
        Task.Run(fun () ->
            use store = ResultsStore.Open path
            barrier.SignalAndWait()
            writeRows store split 500)
    Task.WaitAll [| writer "a"; writer "b" |]
    use store = ResultsStore.Open path
    let rows = store.Metrics "shared"
    Assert.That(rows.Count, Is.EqualTo 1000)
    Assert.That(rows |> Seq.filter (fun m -> m.Split = "a") |> Seq.length, Is.EqualTo 500)

[<Test>]
let ``one store shared by two threads loses no rows`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    begin' store "shared" |> ignore
    Task.WaitAll [| Task.Run(fun () -> writeRows store "a" 500); Task.Run(fun () -> writeRows store "b" 500) |]
    Assert.That(store.Metrics("shared").Count, Is.EqualTo 1000)

/// A second process writing to the store: Python's sqlite3 module (a separate SQLite library and process, same
/// file-locking protocol), started, synchronised on stdin, and run alongside this process's writes.
let private pythonWriter =
    """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
c.execute('PRAGMA busy_timeout = 30000')
print('ready', flush=True)
sys.stdin.readline()
for i in range(500):
    c.execute('BEGIN IMMEDIATE')
    c.execute("INSERT OR REPLACE INTO metrics (run_id, step, epoch, split, name, value) VALUES ('shared', ?, ?, 'py', 'value', ?)", (i, float(i), float(i)))
    c.execute('COMMIT')
print('done', flush=True)
"""

[<Test>]
let ``a second process writing at the same time loses no rows`` () =
    use dir = new TempDir()
    let path = dir.File "s.db"
    use store = ResultsStore.Open path
    begin' store "shared" |> ignore
    let python = [ "/usr/bin/python3"; "python3" ] |> List.tryFind (fun p -> p.Contains '/' |> not || File.Exists p)
    let start =
        try
            let info = ProcessStartInfo(defaultArg python "python3", RedirectStandardInput = true, RedirectStandardOutput = true,
                                        RedirectStandardError = true, UseShellExecute = false)
            info.ArgumentList.Add "-c"
            info.ArgumentList.Add pythonWriter
            info.ArgumentList.Add path
            Some(must (Process.Start info))
        with _ -> None
    match start with
    | None -> Assert.Ignore "python3 is not available to act as a second writer process"
    | Some child ->
        use child = child
        let first = child.StandardOutput.ReadLine()
        if first <> "ready" then Assert.Fail("python writer did not start: " + child.StandardError.ReadToEnd())
        child.StandardInput.WriteLine "go"
        child.StandardInput.Flush()
        writeRows store "dotnet" 500
        Assert.That(child.WaitForExit 120000, Is.True, "python writer timed out")
        Assert.That(child.ExitCode, Is.EqualTo 0, child.StandardError.ReadToEnd())
        let rows = store.Metrics "shared"
        Assert.That(rows |> Seq.filter (fun m -> m.Split = "py") |> Seq.length, Is.EqualTo 500)
        Assert.That(rows |> Seq.filter (fun m -> m.Split = "dotnet") |> Seq.length, Is.EqualTo 500)

// ---------------------------------------------------------------- checkpoints and states

[<Test>]
let ``checkpoints are stored relative to the store and the latest existing one is found`` () =
    use dir = new TempDir()
    let path = dir.File "results/symmetry.db"
    do
        use store = ResultsStore.Open path
        begin' store "r" |> ignore
        Assert.That(store.LatestCheckpoint "r", Is.Null)
        for epoch in 1..2 do
            let file = store.CheckpointPath("r", epoch)
            Directory.CreateDirectory(must (Path.GetDirectoryName file)) |> ignore
            File.WriteAllText(file, "x")
            store.RecordCheckpoint("r", epoch, int64 (epoch * 10), file)
        Assert.That((must (store.LatestCheckpoint "r")).Epoch, Is.EqualTo 2)
    do
        use c = rawConnection path
        Assert.That(string (scalar c "SELECT path FROM checkpoints WHERE epoch = 1"), Is.EqualTo "checkpoints/r/epoch-1.safetensors")
    // The results folder moved elsewhere: paths follow it.
    let moved = dir.File "moved"
    Directory.Move(dir.File "results", moved)
    use store = ResultsStore.Open(Path.Combine(moved, "symmetry.db"))
    let latest = must (store.LatestCheckpoint "r")
    Assert.That(latest.Path, Is.EqualTo(Path.Combine(moved, "checkpoints", "r", "epoch-2.safetensors")))
    Assert.That(latest.Step, Is.EqualTo 20L)
    File.Delete latest.Path
    Assert.That((must (store.LatestCheckpoint "r")).Epoch, Is.EqualTo 1)

[<Test>]
let ``states are write-once and form a DAG`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    Assert.That(store.PutState("root", null, "init", """{"seed":1,"model":"lenet"}""", dir.File "root.safetensors"), Is.True)
    Assert.That(store.PutState("root", null, "init", """{"model":"lenet", "seed":1}""", dir.File "root.safetensors"), Is.False)
    throws<InvalidOperationException> (fun () ->
        store.PutState("root", null, "init", """{"seed":2,"model":"lenet"}""", dir.File "root.safetensors") |> ignore) |> ignore
    throws<InvalidOperationException> (fun () ->
        store.PutState("root", null, "train", """{"seed":1,"model":"lenet"}""", dir.File "root.safetensors") |> ignore) |> ignore
    throws<InvalidOperationException> (fun () ->
        store.PutState("root", null, "init", """{"seed":1,"model":"lenet"}""", null) |> ignore) |> ignore
    Assert.That(store.PutState("child", "root", "train", """{"epochs":3}""", null), Is.True)
    throws<KeyNotFoundException> (fun () -> store.PutState("orphan", "nowhere", "train", "{}", null) |> ignore) |> ignore
    let root = must (store.GetState "root")
    Assert.That(root.StateJson, Is.EqualTo """{"seed":1,"model":"lenet"}""")
    Assert.That(root.CheckpointPath, Is.EqualTo(dir.File "root.safetensors"))
    Assert.That((must (store.GetState "child")).ParentKey, Is.EqualTo "root")
    Assert.That(store.GetState "orphan", Is.Null)
    Assert.That(store.States() |> Seq.map _.Key, equalList [ "root"; "child" ])
