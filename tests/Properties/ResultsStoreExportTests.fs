/// Exports of the results store: the flat JSON summary (pandas.read_json(path, orient="index")) and the metrics CSV.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ResultsStoreExportTests

open System
open System.Collections.Generic
open System.IO
open System.Text
open System.Text.Json
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open Symmetry.Core.Results
open Symmetry.Properties.TestSupport
open Symmetry.Properties.ResultsStoreTestSupport

let private bigPermutations = "83880000000000000000000000000000000000000000000000000000000000000000000000000001"

/// A finished run with configuration, mask statistics, best snapshots and three evaluations, plus a second run.
let private syntheticStore (dir: TempDir) =
    let store = ResultsStore.Open(dir.File "s.db")
    let config = """{"model":{"name":"MNIST_FC","widths":[300,100]},"lr":0.01,"seed":42,"huge":18446744073709551615,"bn":false,"note":null}"""
    store.BeginRun("run-a", "shuffled_mask", config, 42UL, runtime) |> ignore
    // Model totals: sparsity (800 + 1000) / 2000 = 0.9, unique neurons 10 + 86 = 96, permutations the hidden layer's.
    store.RecordMaskStats("run-a", MaskStage.Mask,
        modelStats [ layerStats "layers.0.weight" true 1000L 800L 10L 0L 10L 10L 1L (Numerics.BigInteger.Parse bigPermutations)
                     layerStats "layers.1.weight" false 1000L 1000L 100L 4L 86L 96L 86L 1I ])
    store.RecordMaskStats("run-a", MaskStage.Propagated, modelStats [ layerStats "layers.0.weight" true 1000L 800L 100L 10L 90L 90L 90L 1I ])
    for step, epoch, acc, loss in [ 100L, 1.0, 0.8, 0.5; 200L, 2.0, 0.9, 0.3; 300L, 3.0, 0.85, 0.2 ] do
        store.RecordMetrics("run-a", step, epoch, "eval", metricValues [ "test_accuracy", acc; "train_loss", loss ])
    store.RecordMetrics("run-a", 300L, 3.0, "eval", metricValues [ "grad", infinity; "odd", nan ])
    store.RecordBest("run-a", BestCriterion.TestAccuracy, 200L, 2.0, metricValues [ "test_accuracy", 0.9; "train_loss", 0.3 ])
    store.RecordBest("run-a", BestCriterion.TrainLoss, 300L, 3.0, metricValues [ "test_accuracy", 0.85; "train_loss", 0.2 ])
    store.FinishRun("run-a", 61.5)
    store.BeginRun("run-b", "shuffled_mask", """{"lr":0.1}""", 7UL, runtime) |> ignore
    store.RecordMaskStats("run-b", MaskStage.Mask, modelStats [ layerStats "w" true 4L 0L 2L 0L 2L 2L 2L 1I ])
    store

[<Test>]
let ``the JSON summary holds flat keys with the original names and typed values`` () =
    use dir = new TempDir()
    use store = syntheticStore dir
    let path = dir.File "out/summary.json"
    SummaryJson.Write(store, path)
    use doc = JsonDocument.Parse(File.ReadAllText path)
    let runs = doc.RootElement.EnumerateObject() |> Seq.map _.Name |> List.ofSeq
    Assert.That(runs, equalList [ "run-a"; "run-b" ])
    let a = doc.RootElement.GetProperty "run-a"
    for p in a.EnumerateObject() do
        Assert.That(p.Value.ValueKind, Is.Not.EqualTo JsonValueKind.Object, p.Name + " is not flat")
        Assert.That(p.Value.ValueKind, Is.Not.EqualTo JsonValueKind.Array, p.Name + " is not flat")
    let number (key: string) = (a.GetProperty key).GetDouble()
    let text (key: string) = (a.GetProperty key).GetString()
    let kind (key: string) = (a.GetProperty key).ValueKind
    Assert.That(text "status", Is.EqualTo "finished")
    Assert.That(number "wall_seconds", Is.EqualTo 61.5)
    Assert.That(text "config/model/name", Is.EqualTo "MNIST_FC")
    Assert.That(text "config/model/widths", Is.EqualTo "[300,100]")
    Assert.That(number "config/lr", Is.EqualTo 0.01)
    Assert.That(kind "config/seed", Is.EqualTo JsonValueKind.Number)
    Assert.That(text "config/huge", Is.EqualTo "18446744073709551615")
    Assert.That(kind "config/bn", Is.EqualTo JsonValueKind.False)
    Assert.That(kind "config/note", Is.EqualTo JsonValueKind.Null)
    Assert.That(number "best_test_acc/test_accuracy", Is.EqualTo 0.9)
    Assert.That((a.GetProperty "best_test_acc/step").GetInt64(), Is.EqualTo 200L)
    Assert.That(number "best_test_acc/epoch", Is.EqualTo 2.0)
    Assert.That(number "best_test_acc/train_loss", Is.EqualTo 0.3)
    Assert.That(number "best_train_loss/train_loss", Is.EqualTo 0.2)
    Assert.That((a.GetProperty "best_train_loss/step").GetInt64(), Is.EqualTo 300L)
    Assert.That((a.GetProperty "final/step").GetInt64(), Is.EqualTo 300L)
    Assert.That(number "final/test_accuracy", Is.EqualTo 0.85)
    Assert.That(text "final/grad", Is.EqualTo "Infinity")
    Assert.That(kind "final/odd", Is.EqualTo JsonValueKind.Null)
    Assert.That(number "mask/sparsity", Is.EqualTo 0.9)
    // 8388000…0001 = 8.388 × 10^79 + 1: log10 of it plus one is 79 + log10 8.388.
    Assert.That(number "mask/permutation_log10", Is.EqualTo(79.0 + Math.Log10 8.388).Within(1e-12))
    Assert.That(text "mask/permutations", Is.EqualTo bigPermutations)
    Assert.That((a.GetProperty "mask/permutation_digits").GetInt64(), Is.EqualTo(int64 bigPermutations.Length))
    Assert.That((a.GetProperty "mask/unique_neurons").GetInt64(), Is.EqualTo 96L)
    Assert.That((a.GetProperty "mask/weights").GetInt64(), Is.EqualTo 2000L)
    Assert.That((a.GetProperty "propagated_mask/unique_neurons").GetInt64(), Is.EqualTo 90L)
    Assert.That(number "propagated_mask/sparsity", Is.EqualTo 0.8)
    Assert.That(a.TryGetProperty("mask/layers.0.weight/sparsity") |> fst, Is.False, "per-layer statistics stay out")
    let b = doc.RootElement.GetProperty "run-b"
    Assert.That((b.GetProperty "status").GetString(), Is.EqualTo "running")
    Assert.That((b.GetProperty "wall_seconds").ValueKind, Is.EqualTo JsonValueKind.Null)
    // A column holding a big integer anywhere holds strings everywhere.
    Assert.That((b.GetProperty "mask/permutations").GetString(), Is.EqualTo "1")
    Assert.That(b.TryGetProperty("final/step") |> fst, Is.False)
    // A subset of runs, in the order asked.
    use only = JsonDocument.Parse(SummaryJson.ToJson(store, [ "run-b" ]))
    Assert.That(only.RootElement.EnumerateObject() |> Seq.map _.Name |> List.ofSeq, equalList [ "run-b" ])
    throws<KeyNotFoundException> (fun () -> SummaryJson.ToJson(store, [ "nope" ]) |> ignore) |> ignore

[<Test>]
let ``the metrics CSV has the header, invariant numbers and RFC 4180 quoting`` () =
    use dir = new TempDir()
    use store = ResultsStore.Open(dir.File "s.db")
    store.BeginRun("r,1", "k", "{}", 1UL, runtime) |> ignore
    store.RecordMetrics("r,1", 5L, 0.5, "te\"st", metricValues [ "a\nb", 1.5e-7; "plain", -2.0 ])
    store.RecordMetrics("r,1", 6L, 1.0, "x", metricValues [ "nan", nan; "inf", -infinity ])
    let path = dir.File "m.csv"
    MetricsCsv.Write(store, path)
    let expected =
        "run_id,step,epoch,split,name,value\r\n"
        + "\"r,1\",5,0.5,\"te\"\"st\",\"a\nb\",1.5E-07\r\n"
        + "\"r,1\",5,0.5,\"te\"\"st\",plain,-2\r\n"
        + "\"r,1\",6,1,x,inf,-Infinity\r\n"
        + "\"r,1\",6,1,x,nan,NaN\r\n"
    Assert.That(File.ReadAllText path, Is.EqualTo expected)

/// Splits RFC 4180 text into records of fields (the oracle for the quoting property).
let private parseCsv (text: string) : string list list =
    let records = ResizeArray<string list>()
    let fields = ResizeArray<string>()
    let field = StringBuilder()
    let mutable i = 0
    let mutable quoted = false
    while i < text.Length do
        let c = text.[i]
        if quoted then
            if c = '"' && i + 1 < text.Length && text.[i + 1] = '"' then field.Append '"' |> ignore; i <- i + 1
            elif c = '"' then quoted <- false
            else field.Append c |> ignore
        elif c = '"' then quoted <- true
        elif c = ',' then fields.Add(field.ToString()); field.Clear() |> ignore
        elif c = '\r' && i + 1 < text.Length && text.[i + 1] = '\n' then
            fields.Add(field.ToString()); field.Clear() |> ignore
            records.Add(List.ofSeq fields); fields.Clear()
            i <- i + 1
        else field.Append c |> ignore
        i <- i + 1
    List.ofSeq records

let private genField =
    Gen.elements [ 'a'; 'Z'; '0'; ','; '"'; '\n'; '\r'; ' '; ';'; 'é'; '\t' ]
    |> Gen.arrayOf
    |> Gen.map String

[<Property(MaxTest = 20)>]
let ``CSV fields round-trip through an RFC 4180 reader`` () =
    Prop.forAll (arb (Gen.zip genField (Gen.listOfLength 3 genField))) (fun (split, names) ->
        use dir = new TempDir()
        use store = ResultsStore.Open(dir.File "s.db")
        store.BeginRun("run", "k", "{}", 1UL, runtime) |> ignore
        let names = names |> List.distinct
        store.RecordMetrics("run", 1L, 0.25, split, names |> List.mapi (fun i n -> n, float i) |> metricValues)
        let records = parseCsv (MetricsCsv.ToCsv store)
        let expected =
            [ "run_id"; "step"; "epoch"; "split"; "name"; "value" ]
            :: (names |> List.mapi (fun i n -> n, i) |> List.sortWith (fun (a, _) (b, _) -> String.CompareOrdinal(a, b))
                |> List.map (fun (n, i) -> [ "run"; "1"; "0.25"; split; n; string i ]))
        records = expected)
