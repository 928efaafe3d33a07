/// Merging shard stores (one per SLURM task) into one store.
module Symmetry.Properties.StoreMergeTests

open System.IO
open NUnit.Framework
open Symmetry.Core.Results
open Symmetry.Properties.ResultsStoreTestSupport

/// A shard at `dir/name/shard.db` with run `id` (status `finished` or not), one metric, one checkpoint file beside it
/// and one state whose parent is another state.
let private shard (dir: TempDir) (name: string) (id: string) (finished: bool) (accuracy: float) =
    let path = dir.File(Path.Combine(name, "shard.db"))
    use store = ResultsStore.Open path
    begin' store id |> ignore
    store.RecordMetrics(id, 10L, 1.0, "eval", metricValues [ "test_acc", accuracy ])
    let checkpoint = store.CheckpointPath(id, 1)
    Directory.CreateDirectory(Path.GetDirectoryName checkpoint |> must) |> ignore
    File.WriteAllText(checkpoint, name)
    store.RecordCheckpoint(id, 1, 10L, checkpoint)
    store.PutState("root", null, "init", """{"seed":1}""", null) |> ignore
    store.PutState("child-" + name, "root", "train", sprintf """{"by":"%s"}""" name, checkpoint) |> ignore
    if finished then store.FinishRun(id, 1.0)
    path

[<Test>]
let ``merge copies runs with their rows, rewrites checkpoint paths, lets a finished run win and is idempotent`` () =
    use dir = new TempDir()
    let a = shard dir "task-0" "run-a" true 0.5
    let runningB = shard dir "task-1" "run-b" false 0.25
    let finishedB = shard dir "task-2" "run-b" true 0.75
    use target = ResultsStore.Open(dir.File "results/symmetry.db")
    Assert.That(target.Merge a, Is.EqualTo(MergeReport(1, 0, 0, 2)))
    Assert.That(target.Merge runningB, Is.EqualTo(MergeReport(1, 0, 0, 1)), "the root state is there already")
    // The finished copy of run-b replaces the running one, rows and all.
    Assert.That(target.Merge finishedB, Is.EqualTo(MergeReport(0, 1, 0, 1)))
    Assert.That((must (target.GetRun "run-b")).Status, Is.EqualTo RunStatus.Finished)
    Assert.That([ for m in target.Metrics "run-b" -> m.Value ], equalList [ 0.75 ])
    // A running copy never replaces a finished run; merging again changes nothing.
    Assert.That(target.Merge runningB, Is.EqualTo(MergeReport(0, 0, 1, 0)))
    Assert.That(target.Merge a, Is.EqualTo(MergeReport(0, 0, 1, 0)))
    Assert.That(target.Runs().Count, Is.EqualTo 2)
    // Checkpoint paths were relative to each shard's folder; from the target they still name the same files.
    for id, name in [ "run-a", "task-0"; "run-b", "task-2" ] do
        let checkpoint = target.Checkpoints(id) |> Seq.exactlyOne
        Assert.That(File.ReadAllText checkpoint.Path, Is.EqualTo name, id)
    Assert.That(File.ReadAllText(must (must (target.GetState "child-task-2")).CheckpointPath), Is.EqualTo "task-2")

[<Test>]
let ``merging a missing shard or the store into itself is refused and writes nothing`` () =
    use dir = new TempDir()
    use target = ResultsStore.Open(dir.File "results/symmetry.db")
    let missing = dir.File "nowhere/shard.db"
    let e = must (Assert.Throws<System.ArgumentException>(System.Action(fun () -> target.Merge missing |> ignore)))
    Assert.That(e.Message, Does.Contain "does not exist")
    Assert.That(File.Exists missing, Is.False)
    let e = must (Assert.Throws<System.ArgumentException>(System.Action(fun () -> target.Merge target.DatabasePath |> ignore)))
    Assert.That(e.Message, Does.Contain "into itself")
