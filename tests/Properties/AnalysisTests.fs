/// The analysis (analysis/Symmetry.Analysis): store → Deedle frames, the repeated queries, the report's figures as
/// self-contained HTML and static images, and how an unusable store is refused.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.AnalysisTests

open System
open System.Diagnostics
open System.IO
open System.Numerics
open System.Text.Json
open Deedle
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open Plotly.NET
open Symmetry.Analysis
open Symmetry.Core.Results
open Symmetry.Properties.TestSupport
open Symmetry.Properties.ResultsStoreTestSupport

/// A store with two hand-written runs: `a` finished with config, mask statistics, two evaluations and best snapshots;
/// `b` still running with a different configuration and nothing else.
let private handStore (path: string) (permutations: BigInteger) =
    use store = ResultsStore.Open path
    let config = """{"model":"mnist-fc","widths":[16,16],"driver":{"kind":"shuffled-mask","mask":"PerNeuron","sparsity":0.5},"seed":3,"maskSeed":3,"lr":0.01,"huge":18446744073709551615,"bn":false}"""
    store.BeginRun("a", "shuffled-mask", config, 3UL, runtime) |> ignore
    store.RecordMaskStats("a", MaskStage.Mask,
        modelStats [ layerStats "layers.1.weight" true 12544L 6272L 16L 0L 16L 16L 2L permutations
                     layerStats "layers.4.weight" false 160L 0L 10L 0L 10L 10L 10L 1I ])
    store.RecordMaskStats("a", MaskStage.Propagated, modelStats [ layerStats "layers.1.weight" true 12544L 6272L 16L 1L 15L 15L 2L 6I ])
    for step, epoch, acc, loss in [ 10L, 1.0, 0.6, 0.9; 20L, 2.0, 0.7, 0.8 ] do
        store.RecordMetrics("a", step, epoch, "eval", metricValues [ "test_accuracy", acc; "train_loss", loss ])
    store.RecordBest("a", BestCriterion.TestAccuracy, 20L, 2.0, metricValues [ "test_accuracy", 0.7; "train_loss", 0.8 ])
    store.PutState("root", null, "init", """{"recipe":{"kind":"init","seed":3}}""", null) |> ignore
    store.PutState("leaf", "root", "train", """{"recipe":{"kind":"train"}}""", null) |> ignore
    store.LinkRunState("a", "leaf")
    store.FinishRun("a", 12.5)
    store.BeginRun("b", "train", """{"model":"lenet-300-100","seed":4,"lr":0.1}""", 4UL, runtime) |> ignore

[<Test>]
let ``the runs frame has one row per run and the configuration, statistics and snapshots as typed columns`` () =
    use dir = new TempDir()
    let path = dir.File "s.db"
    let big = BigInteger.Parse "20922789888000000000000000000001"
    handStore path big
    let runs = Frames.runs (StoreData.read path)
    Assert.That(runs.RowKeys |> List.ofSeq, equalList [ "a"; "b" ], "one row per run, oldest first")
    let types = Seq.zip runs.ColumnKeys runs.ColumnTypes |> dict
    let expectType (column: string) (t: Type) = Assert.That(types.[column], Is.EqualTo t, column)
    expectType "config/model" typeof<string>
    expectType "config/lr" typeof<float>
    expectType "config/seed" typeof<int64>
    expectType "config/huge" typeof<BigInteger>
    expectType "config/bn" typeof<bool>
    expectType "config/widths" typeof<string>
    expectType "mask/permutations" typeof<BigInteger>
    expectType "mask/weights" typeof<int64>
    expectType "seed" typeof<uint64>
    Assert.That(runs.GetColumn<string>("config/widths").["a"], Is.EqualTo "[16,16]")
    Assert.That(runs.GetColumn<BigInteger>("config/huge").["a"], Is.EqualTo(BigInteger.Parse "18446744073709551615"))
    Assert.That(runs.GetColumn<string>("mask_type").["a"], Is.EqualTo "per-neuron")
    Assert.That(runs.GetColumn<float>("config/driver/sparsity").["a"], Is.EqualTo 0.5)
    Assert.That(runs.GetColumn<BigInteger>("mask/permutations").["a"], Is.EqualTo big, "the model's count is its hidden layer's")
    Assert.That(runs.GetColumn<int64>("mask/weights").["a"], Is.EqualTo 12704L)
    Assert.That(runs.GetColumn<int64>("propagated_mask/zeroed_neurons").["a"], Is.EqualTo 1L)
    Assert.That(runs.GetColumn<float>("best_test_acc/test_accuracy").["a"], Is.EqualTo 0.7)
    Assert.That(runs.GetColumn<int64>("final/step").["a"], Is.EqualTo 20L)
    Assert.That(runs.GetColumn<float>("final/train_loss").["a"], Is.EqualTo 0.8)
    Assert.That(runs.GetColumn<float>("wall_seconds").["a"], Is.EqualTo 12.5)
    Assert.That(runs.GetColumn<string>("state_key").["a"], Is.EqualTo "leaf")
    // Unfinished and held by no process: interrupted (a killed run; the next command resumes it).
    Assert.That(runs.GetColumn<string>("status").["b"], Is.EqualTo "interrupted")
    // The second run has no mask statistics and no metrics: missing, not zero.
    Assert.That(runs.GetColumn<BigInteger>("mask/permutations").TryGet("b").HasValue, Is.False)
    Assert.That(runs.GetColumn<float>("config/driver/sparsity").TryGet("b").HasValue, Is.False)

[<Test>]
let ``metrics, mask statistics and states frames hold every stored row`` () =
    use dir = new TempDir()
    let path = dir.File "s.db"
    handStore path 24I
    let data = StoreData.read path
    let metrics = Frames.metrics data
    Assert.That(metrics.RowCount, Is.EqualTo 4)
    Assert.That(metrics.ColumnKeys |> List.ofSeq, equalList [ "run_id"; "step"; "epoch"; "split"; "name"; "value" ])
    let wide = Frames.metricsWide data
    Assert.That(wide.RowKeys |> List.ofSeq, equalList [ ("a", 10L); ("a", 20L) ])
    Assert.That(wide.GetColumn<float>("test_accuracy").[("a", 20L)], Is.EqualTo 0.7)
    let masks = Frames.maskStats data
    // Stage mask: the model and two layers; propagated: the model and one layer.
    Assert.That(masks.RowCount, Is.EqualTo 5)
    Assert.That(masks.GetColumn<string>("layer").Values |> Seq.filter ((=) "") |> Seq.length, Is.EqualTo 2)
    let states = Frames.states data
    Assert.That(states.RowKeys, Is.EquivalentTo [ "root"; "leaf" ])
    Assert.That(states.GetColumn<string>("parent_key").["leaf"], Is.EqualTo "root")
    Assert.That(states.GetColumn<string>("parent_key").TryGet("root").HasValue, Is.False, "a root has no parent")
    Assert.That(states.GetColumn<int>("depth").["leaf"], Is.EqualTo 1)
    Assert.That(states.GetColumn<string>("run_id").["leaf"], Is.EqualTo "a")

[<Test>]
let ``a generated store gives frames of the sizes its generator implies`` () =
    use dir = new TempDir()
    let path = dir.File "synthetic.db"
    // 5 mask types × 2 sparsities × 2 seeds, 3 evaluations of 9 metrics each, 7 layers.
    SyntheticStore.write path 20 [ 0.5; 0.9 ] 3 7
    let data = StoreData.read path
    Assert.That((Frames.runs data).RowCount, Is.EqualTo 20)
    Assert.That((Frames.metrics data).RowCount, Is.EqualTo(20 * 3 * 9))
    Assert.That((Frames.metricsWide data).RowCount, Is.EqualTo(20 * 3))
    Assert.That((Frames.maskStats data).RowCount, Is.EqualTo(20 * 2 * (1 + 7)))
    // One init state per seed, one mask state per (seed, type, sparsity), one train state per run.
    Assert.That((Frames.states data).RowCount, Is.EqualTo(2 + 20 + 20))
    let table = Queries.weightSymmetryTable (Frames.runs data)
    Assert.That(table.RowCount, Is.EqualTo 10, "one row per mask type × sparsity")
    Assert.That(table.GetColumn<int>("runs").Values |> Seq.distinct |> List.ofSeq, equalList [ 2 ])

[<Property(MaxTest = 20)>]
let ``exact permutation counts survive store, frames and the runs CSV`` () =
    let genCount = Gen.listOf (Gen.choose (0, 200)) |> Gen.map (List.fold (fun p n -> p * Symmetry.Core.Masks.MaskStatistics.Factorial(int64 n)) 1I)
    Prop.forAll (arb genCount) (fun count ->
        use dir = new TempDir()
        let path = dir.File "s.db"
        handStore path count
        let data = StoreData.read path
        let runs = Frames.runs data
        let masks = Frames.maskStats data
        let csv = Report.csv (Some "run_id") runs
        runs.GetColumn<BigInteger>("mask/permutations").["a"] = count
        && (masks.GetColumn<BigInteger>("permutations").Values |> Seq.contains count)
        && csv.Contains(count.ToString()))

[<Property(MaxTest = 50)>]
let ``meanStd gives each group's count, mean and sample standard deviation`` () =
    let genRows = Gen.listOf (Gen.zip (Gen.elements [ "x"; "y"; "z" ]) (Gen.choose (-1000, 1000) |> Gen.map (fun i -> float i / 8.0)))
    Prop.forAll (arb genRows) (fun rows ->
        let keys = rows |> List.mapi (fun i _ -> sprintf "r%d" i)
        let frame =
            Frame.ofColumns
                [ "g", (Series.ofObservations (List.zip keys (List.map fst rows)) :> ISeries<string>)
                  "v", (Series.ofObservations (List.zip keys (List.map snd rows)) :> ISeries<string>) ]
        let result = Queries.meanStd [ "g" ] "v" frame
        let groups = rows |> List.groupBy fst |> List.sortBy fst
        result.RowCount = groups.Length
        && groups |> List.mapi (fun i (g, members) ->
            let xs = members |> List.map snd
            let n = float xs.Length
            // Oracle: the shortcut formula n/(n−1)·(E[x²] − E[x]²), not the two-pass sum the code uses.
            let mean = List.sum xs / n
            let variance = n / (n - 1.0) * (List.sumBy (fun x -> x * x) xs / n - mean * mean)
            let std = result.GetColumn<float>("std").TryGet i
            result.GetColumn<string>("g").[i] = g
            && result.GetColumn<int>("n").[i] = xs.Length
            && abs (result.GetColumn<float>("mean").[i] - mean) < 1e-9
            // One row has no sample deviation: Deedle holds NaN as missing.
            && (if xs.Length < 2 then not std.HasValue else abs (std.Value - sqrt (max 0.0 variance)) < 1e-6))
           |> List.forall id)

[<Test>]
let ``bestEpoch takes the highest value per run, ties to the later step`` () =
    use dir = new TempDir()
    let path = dir.File "s.db"
    do
        use store = ResultsStore.Open path
        begin' store "r" |> ignore
        for step, acc in [ 1L, 0.5; 2L, 0.8; 3L, 0.8; 4L, 0.6 ] do
            store.RecordMetrics("r", step, float step, "eval", metricValues [ "test_accuracy", acc; "train_loss", 1.0 / float step ])
    let best = Queries.bestEpoch "test_accuracy" (Frames.metrics (StoreData.read path))
    Assert.That(best.GetColumn<int64>("step").["r"], Is.EqualTo 3L)
    Assert.That(best.GetColumn<float>("value").["r"], Is.EqualTo 0.8)

[<Test>]
let ``a missing, foreign or empty store is refused with one line, and left as it was`` () =
    use dir = new TempDir()
    let missing = dir.File "none/s.db"
    let e = throws<ArgumentException> (fun () -> StoreData.read missing |> ignore)
    Assert.That(e.Message, Does.Contain "no results store at")
    Assert.That(Directory.Exists(dir.File "none"), Is.False, "nothing created")
    let foreign = dir.File "foreign.db"
    do
        use c = rawConnection foreign
        execute c "CREATE TABLE x (a INTEGER)"
    let e = throws<ArgumentException> (fun () -> StoreData.read foreign |> ignore)
    Assert.That(e.Message, Does.Contain "not a results store")
    do
        use c = rawConnection foreign
        Assert.That(count c "SELECT count(*) FROM sqlite_master", Is.EqualTo 1L, "the foreign file is untouched")
    File.WriteAllText(dir.File "text.db", "not a database at all")
    Assert.That((throws<ArgumentException> (fun () -> StoreData.read (dir.File "text.db") |> ignore)).Message, Does.Contain "not a results store")
    (ResultsStore.Open(dir.File "empty.db") :> IDisposable).Dispose()
    let e = throws<ArgumentException> (fun () -> StoreData.read (dir.File "empty.db") |> ignore)
    Assert.That(e.Message, Does.Contain "holds no runs")
    for message in [ e.Message ] do Assert.That(message, Does.Not.Contain "\n")

/// The scripts of every figure on one page must not fetch anything.
let private assertSelfContained (html: string) =
    Assert.That(html, Does.Contain(Html.plotlyJs.Value), "plotly.js is inlined whole")
    Assert.That(html, Does.Contain("plotly.js v" + Globals.PLOTLYJS_VERSION))
    // Outside plotly.js itself (whose code names URLs for map tiles and fonts that scatter plots never fetch), the page
    // refers to nothing on the network and loads no file.
    let page = html.Replace(Html.plotlyJs.Value, "")
    Assert.That(page, Does.Not.Contain "http://", "no URL")
    Assert.That(page, Does.Not.Contain "https://", "no URL")
    Assert.That(page, Does.Not.Contain " src=", "no external script or image")

[<Test>]
let ``the report writes self-contained HTML for every figure, an index and the tables`` () =
    use dir = new TempDir()
    let path = dir.File "synthetic.db"
    SyntheticStore.write path 20 [ 0.5; 0.9 ] 2 1
    let out = dir.File "report"
    Directory.CreateDirectory out |> ignore
    File.WriteAllText(Path.Combine(out, "weight-symmetry-0000old00000.html"), "an experiment no longer in the store")
    File.WriteAllText(Path.Combine(out, "notes.html"), "the user's own file")
    let result = Report.writeStore { Directory = out; Images = [] } path
    Assert.That(File.Exists(Path.Combine(out, "weight-symmetry-0000old00000.html")), Is.False, "an earlier report's figure is gone")
    Assert.That(File.Exists(Path.Combine(out, "notes.html")), Is.True, "other files stay")
    let names = result.Figures |> List.map (Path.GetFileNameWithoutExtension >> nonNull)
    Assert.That(names |> List.map (fun n -> n.Substring(0, n.LastIndexOf '-')), equalList [ "weight-symmetry"; "training-curves" ])
    for file in result.Index :: result.Figures do assertSelfContained (File.ReadAllText file)
    let index = File.ReadAllText result.Index
    for name in names do Assert.That(index, Does.Contain(sprintf "id=\"%s-plot\"" name))
    Assert.That(index, Does.Contain "per-neuron-no-input-ablation", "the table is on the page")
    Assert.That(result.Images, Is.Empty)
    Assert.That(File.ReadAllLines(Path.Combine(out, "tables", "runs.csv")).Length, Is.EqualTo 21, "header and one line per run")
    Assert.That(File.ReadAllLines(Path.Combine(out, "tables", "weight-symmetry.csv")).Length, Is.EqualTo 11)
    // The weight-symmetry figure: each of the 5 mask types in both panels, and the dense network's line.
    let figure = (WeightSymmetryFigures.family.Build { Data = StoreData.read path; Runs = Frames.runs (StoreData.read path) }).Figures.Head
    use json = JsonDocument.Parse(Html.figureJson figure)
    Assert.That(json.RootElement.GetProperty("data").GetArrayLength(), Is.EqualTo(5 * 2 + 1))

/// Width and height from a PNG's IHDR chunk.
let private pngSize (bytes: byte[]) =
    let be (i: int) = (int bytes.[i] <<< 24) ||| (int bytes.[i + 1] <<< 16) ||| (int bytes.[i + 2] <<< 8) ||| int bytes.[i + 3]
    be 16, be 20

[<Test>]
let ``static SVG and PNG are drawn by plotly.js in headless Chromium`` () =
    match StaticImages.findChromium () with
    | Result.Error reason -> Assert.Ignore reason
    | Result.Ok _ ->
        use dir = new TempDir()
        let chart = Chart.Line([ 0.0; 1.0; 2.0 ], [ 1.0; 3.0; 2.0 ], Name = "probe")
        let figure = { Name = "probe"; Title = "probe"; Caption = ""; Chart = chart; Width = 400; Height = 300 }
        match StaticImages.export dir.Path [ Svg; Png ] [ figure ] with
        | Result.Error reason -> Assert.Fail reason
        | Result.Ok paths ->
            Assert.That(paths |> List.map Path.GetFileName, equalList [ "probe.svg"; "probe.png" ])
            let svg = File.ReadAllText(dir.File "probe.svg")
            Assert.That(svg, Does.StartWith "<svg")
            Assert.That(svg, Does.Contain "width=\"400\"")
            // The trace itself was drawn: a scatter layer with a line path through the three points.
            Assert.That(svg, Does.Match "class=\"js-line\"[^>]* d=\"M[0-9.,]+L[0-9.,]+L[0-9.,]+\"")
            let png = File.ReadAllBytes(dir.File "probe.png")
            Assert.That(Text.Encoding.ASCII.GetString(png, 1, 3), Is.EqualTo "PNG")
            Assert.That(pngSize png, Is.EqualTo((800, 600)), "drawn at twice the figure's size")

/// Runs `dotnet <args>` from the repository root and returns the exit code and both outputs.
let private dotnet (args: string list) =
    let info = ProcessStartInfo("dotnet", args, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                                WorkingDirectory = DataTestSupport.repositoryRoot)
    info.Environment.["CI"] <- "1"
    use proc = Process.Start info |> nonNull
    let output = proc.StandardOutput.ReadToEndAsync()
    let error = proc.StandardError.ReadToEnd()
    if not (proc.WaitForExit(TimeSpan.FromMinutes 5.0)) then
        proc.Kill true
        Assert.Fail(sprintf "dotnet %s ran past 5 minutes" (String.Join(" ", args)))
    proc.ExitCode, output.Result, error

let private cli = Path.Combine(DataTestSupport.repositoryRoot, "src", "Symmetry.Cli", "bin", "Release", "net10.0", "symmetry.dll")

[<Test>]
let ``symmetry report writes the index of a store, and refuses a missing one with exit code 2`` () =
    use dir = new TempDir()
    let path = dir.File "synthetic.db"
    SyntheticStore.write path 10 [ 0.5 ] 1 1
    let out = dir.File "report"
    let code, output, error = dotnet [ cli; "report"; "--db"; path; "--out"; out; "--no-images" ]
    Assert.That(code, Is.EqualTo 0, output + error)
    Assert.That(File.Exists(Path.Combine(out, "index.html")), Is.True)
    Assert.That(output, Does.Contain "report: ")
    let code, output, error = dotnet [ cli; "report"; "--db"; dir.File "missing.db"; "--out"; dir.File "none" ]
    Assert.That(code, Is.EqualTo 2)
    Assert.That(error.Trim().Split('\n').Length, Is.EqualTo 1, error)
    Assert.That(error, Does.Contain "no results store at")
    Assert.That(Directory.Exists(dir.File "none"), Is.False, "nothing written")
    ignore output

[<Test>]
let ``the representation-alignment figure script draws alignment.csv, and refuses a missing or malformed one`` () =
    use dir = new TempDir()
    let csv = dir.File "alignment.csv"
    let rows =
        [ for layer in [ "layers.2"; "layers.10" ] do
            for metric in [ "G_ReLU-CKA"; "orthogonal Procrustes" ] do
                for a, b in [ 1, 2; 1, 3; 2, 3 ] -> sprintf "mnist-cnn,%s,%s,%d,%d,0.%d%d" layer metric a b a b ]
    File.WriteAllLines(csv, "model,layer,metric,a,b,similarity" :: rows)
    let script = Path.Combine(DataTestSupport.repositoryRoot, "analysis", "representation_alignment.fsx")
    let out = dir.File "figures"
    let code, output, error = dotnet [ "fsi"; script; "--csv"; csv; "--out"; out; "--no-images" ]
    Assert.That(code, Is.EqualTo 0, output + error)
    let html = File.ReadAllText(Path.Combine(out, "representation-alignment.html"))
    assertSelfContained html
    // Each metric is one trace over both layers, mean over the three pairs: (0.12 + 0.13 + 0.23) / 3 = 0.16.
    Assert.That(html, Does.Contain "layers.10")
    Assert.That(html, Does.Contain "0.16")
    File.WriteAllLines(dir.File "bad.csv", [ "model,layer,metric,a,b,similarity"; "mnist-cnn,layers.2,G_ReLU-CKA,1,2" ])
    for bad, expected in [ dir.File "missing.csv", "does not exist"; dir.File "bad.csv", "not an alignment.csv row" ] do
        let code, _, error = dotnet [ "fsi"; script; "--csv"; bad; "--out"; dir.File "none" ]
        Assert.That(code, Is.EqualTo 2, error)
        Assert.That(error, Does.Contain expected)
        Assert.That(Directory.Exists(dir.File "none"), Is.False, "nothing written")

[<Test>]
let ``the weight-symmetry figure script reads the store and writes its figure`` () =
    use dir = new TempDir()
    let path = dir.File "synthetic.db"
    SyntheticStore.write path 10 [ 0.5; 0.75 ] 1 1
    let out = dir.File "figures"
    let script = Path.Combine(DataTestSupport.repositoryRoot, "analysis", "weight_symmetry.fsx")
    let code, output, error = dotnet [ "fsi"; script; "--db"; path; "--out"; out; "--no-images" ]
    Assert.That(code, Is.EqualTo 0, output + error)
    let written = Directory.GetFiles(out, "weight-symmetry-*.html")
    Assert.That(written.Length, Is.EqualTo 1, output)
    assertSelfContained (File.ReadAllText written.[0])
    let code, _, error = dotnet [ "fsi"; script; "--db"; path; "--bogus"; "1" ]
    Assert.That(code, Is.EqualTo 2)
    Assert.That(error, Does.Contain "unknown flag(s) --bogus")
