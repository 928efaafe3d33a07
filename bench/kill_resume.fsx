// The kill experiment of issue 18: a small 3-epoch run of the `symmetry` tool is killed with SIGKILL at N random
// points (start-up included), each into a fresh store; after each kill the store is opened and read in full (is it
// corrupt?), then the same command is rerun to completion (does it resume, and from where?) and its metrics — every
// value except wall time — are compared bit for bit with an uninterrupted run's.
//   dotnet fsi build.fsx build && dotnet fsi bench/kill_resume.fsx [--kills 20] [--seed 11] [--train 20000]
// --train sets the training images: with enough of them training, not start-up, fills most of the run, so most kills
// land between epoch checkpoints.
// Prints one line per kill and a summary line `bench: kill-resume kills=… corrupt=… resumed=… identical=…`.
#load "../src/Symmetry.Scripts/_prelude.fsx"
#r "Microsoft.Data.Sqlite.dll"
#r "SQLitePCLRaw.core.dll"
open System
open System.Diagnostics
open System.IO
open Symmetry
open Symmetry.Core.Results

let flags = Flags.OfScript fsi.CommandLineArgs
let kills = flags.Int("kills", 20)
let random = Random(flags.Int("seed", 11))
let trainImages = flags.Int("train", 20000)
flags.Finish()

let root = Path.Combine(Path.GetTempPath(), "symmetry-kill-" + Guid.NewGuid().ToString("N"))
let cli = Path.Combine(__SOURCE_DIRECTORY__, "..", "src", "Symmetry.Cli", "bin", "Release", "net10.0", "symmetry.dll") |> Path.GetFullPath
if not (File.Exists cli) then Flags.Fail(sprintf "%s is missing: run `dotnet fsi build.fsx build` first" cli)

/// A small MNIST-format data set: `trainImages` training and 300 test 28×28 images whose label is a bright band of rows.
let writeData (dir: string) =
    Directory.CreateDirectory dir |> ignore
    let rng = Random 7
    let bigEndian (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]
    let split prefix n =
        let labels = Array.init n (fun _ -> byte (rng.Next 10))
        let pixels = Array.init (n * 784) (fun k -> let i, p = k / 784, k % 784 in byte (rng.Next 60 + (if (p / 28) / 3 = int labels.[i] then 150 else 0)))
        File.WriteAllBytes(Path.Combine(dir, prefix + "-images-idx3-ubyte"), Array.concat [ [| 0uy; 0uy; 8uy; 3uy |]; bigEndian n; bigEndian 28; bigEndian 28; pixels ])
        File.WriteAllBytes(Path.Combine(dir, prefix + "-labels-idx1-ubyte"), Array.concat [ [| 0uy; 0uy; 8uy; 1uy |]; bigEndian n; labels ])
    split "train" trainImages
    split "t10k" 300

let data = Path.Combine(root, "data")
writeData data
let args (db: string) =
    [ cli; "run"; "shuffled-mask"; "--widths"; "64,64"; "--mask"; "random"; "--sparsity"; "0.5"; "--seeds"; "1"; "--epochs"; "3"
      "--batch"; "32"; "--data"; data; "--db"; db; "--threads"; "1" ]

let start (db: string) =
    let info = ProcessStartInfo("dotnet", args db, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    info.Environment.["CI"] <- "1"
    Process.Start info |> nonNull

let runToEnd (db: string) =
    use proc = start db
    let out = proc.StandardOutput.ReadToEndAsync()
    let err = proc.StandardError.ReadToEnd()
    proc.WaitForExit()
    proc.ExitCode, out.Result, err

/// Every metric but wall time, as exact text; reading every row is also the corruption check.
let metrics (db: string) =
    use store = ResultsStore.Open db
    [ for run in store.Runs() do
        for m in store.Metrics run.Id do
            if m.Name <> "wall_seconds" then yield sprintf "%d %s %s %s" m.Step m.Split m.Name (m.Value.ToString "R") ]

let integrity (db: string) =
    use connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False")
    connection.Open()
    use command = connection.CreateCommand()
    command.CommandText <- "PRAGMA integrity_check"
    string (command.ExecuteScalar())

let clock = Stopwatch.StartNew()
let code, _, err = runToEnd (Path.Combine(root, "reference", "r.db"))
if code <> 0 then Flags.Fail(sprintf "the uninterrupted run failed: %s" err)
// Timed on a second, warm run (the first pays for cold caches).
let warm = Stopwatch.StartNew()
runToEnd (Path.Combine(root, "timing", "t.db")) |> ignore
let uninterrupted = warm.Elapsed.TotalMilliseconds
let reference = metrics (Path.Combine(root, "reference", "r.db"))
printfn "uninterrupted run: %.1f s, %d metric values" (uninterrupted / 1000.0) reference.Length

let mutable corrupt, resumed, fresh, reusedAfterKill, identical, k, attempts = 0, 0, 0, 0, 0, 0, 0
// Only kills that interrupt the run count: a process that finished before its kill point is retried.
while k < kills && attempts < 3 * kills do
    attempts <- attempts + 1
    let db = Path.Combine(root, sprintf "attempt-%02d" attempts, "k.db")
    // Anywhere from start-up to the end of a warm uninterrupted run.
    let delay = int (uninterrupted * (0.05 + 0.95 * random.NextDouble()))
    use proc = start db
    let finishedFirst = proc.WaitForExit delay
    if not finishedFirst then
        k <- k + 1
        proc.Kill()
        proc.WaitForExit()
    let state =
        if not (File.Exists db) then "no store yet"
        else
            try
                let check = integrity db
                let rows = (metrics db).Length
                use store = ResultsStore.Open db
                let statuses = store.Runs() |> Seq.map (fun r -> ResultsStore.StatusName r.Status) |> String.concat ","
                if check <> "ok" then corrupt <- corrupt + 1 // (counted for every attempt: any corruption matters)
                sprintf "integrity %s, %d metric values, status %s" check rows (if statuses = "" then "-" else statuses)
            with e ->
                corrupt <- corrupt + 1
                sprintf "CORRUPT: %s" e.Message
    let code, out, err = runToEnd db
    let how =
        if out.Contains "resumed from epoch" then ((if not finishedFirst then resumed <- resumed + 1); out.Substring(out.IndexOf "resumed from epoch").Split(')').[0])
        elif out.Contains "(reused)" then ((if not finishedFirst then reusedAfterKill <- reusedAfterKill + 1); "reused (killed after finishing)")
        else ((if not finishedFirst then fresh <- fresh + 1); "trained from the start")
    let same = code = 0 && metrics db = reference
    if same && not finishedFirst then identical <- identical + 1
    printfn "%s at %5d ms: %s; rerun exit %d, %s, metrics %s%s" (if finishedFirst then "no kill (had finished)" else sprintf "kill %2d" k) delay
        state code how (if same then "bit-identical" else "DIFFER") (if code <> 0 then " " + err.Trim() else "")

printfn "bench: kill-resume kills=%d (attempts %d) corrupt=%d resumed=%d from-start=%d reused-after-kill=%d identical=%d/%d (%.0f s)"
    k attempts corrupt resumed fresh reusedAfterKill identical k clock.Elapsed.TotalSeconds
try Directory.Delete(root, true) with _ -> ()
