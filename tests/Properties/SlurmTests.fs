/// Sweeps on a real SLURM: slurmctld, slurmd and munged from Debian's slurm-wlm and munge, started on localhost with a
/// one-node configuration written into a temporary folder, and stopped at the end.
module Symmetry.Properties.SlurmTests

open System
open System.Diagnostics
open System.IO
open System.Net
open System.Net.Sockets
open System.Threading
open NUnit.Framework
open Symmetry.Core.Results
open Symmetry.Properties.DataTestSupport
open Symmetry.Properties.CliTestSupport

/// Runs a program to the end: exit code and standard output + error.
let private run (program: string) (args: string list) =
    let info = ProcessStartInfo(program, args, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    use proc = Process.Start info |> nonNull
    let output = proc.StandardOutput.ReadToEndAsync()
    let error = proc.StandardError.ReadToEnd()
    proc.WaitForExit()
    proc.ExitCode, output.Result + error

let private freePort () =
    use listener = new TcpListener(IPAddress.Loopback, 0)
    listener.Start()
    (listener.LocalEndpoint :?> IPEndPoint).Port

let private waitFor (what: string) (seconds: float) (condition: unit -> bool) =
    let clock = Stopwatch.StartNew()
    while not (condition ()) do
        if clock.Elapsed.TotalSeconds > seconds then failwithf "timed out after %.0f s waiting for %s" seconds what
        Thread.Sleep 100

/// munged + slurmctld + slurmd for one node (this machine, all its CPUs), on free ports, everything under `dir`.
/// SLURM_CONF is set for this process, so the tool and the jobs it submits see this cluster.
type private LocalSlurm(dir: string) =
    let file name = Path.Combine(dir, name)
    let socket = file "munge/munge.sock"
    let log name = let path = file ("log/" + name) in if File.Exists path then File.ReadAllText path else "(no log)"
    let previousConf = Environment.GetEnvironmentVariable "SLURM_CONF"

    /// Why the daemons cannot run here, or None.
    static member Unavailable() =
        let missing = [ "munged"; "slurmctld"; "slurmd"; "sbatch"; "squeue"; "scancel" ] |> List.filter (fun tool ->
            not ([ "/usr/sbin"; "/usr/bin"; "/sbin"; "/bin" ] |> List.exists (fun d -> File.Exists(Path.Combine(d, tool)))))
        if not (OperatingSystem.IsLinux()) then Some "SLURM daemons run on Linux only"
        elif not missing.IsEmpty then Some(sprintf "%s not installed (Debian: slurm-wlm munge; `dotnet fsi build.fsx setup` installs them)" (String.Join(", ", missing)))
        elif Environment.UserName <> "root" then Some "slurmd must run as root to start jobs; run the tests as root"
        else None

    member _.Start() =
        for sub in [ "munge"; "state"; "spool"; "log" ] do Directory.CreateDirectory(file sub) |> ignore
        File.WriteAllBytes(file "munge/munge.key", Security.Cryptography.RandomNumberGenerator.GetBytes 1024)
        File.SetUnixFileMode(file "munge/munge.key", UnixFileMode.UserRead ||| UnixFileMode.UserWrite)
        File.SetUnixFileMode(file "munge", UnixFileMode.UserRead ||| UnixFileMode.UserWrite ||| UnixFileMode.UserExecute)
        let code, output =
            run "munged" [ "--force"; "--socket=" + socket; "--key-file=" + file "munge/munge.key"; "--log-file=" + file "log/munged.log"
                           "--pid-file=" + file "munge/munged.pid"; "--seed-file=" + file "munge/seed" ]
        if code <> 0 then failwithf "munged did not start: %s %s" output (log "munged.log")
        let host = Environment.MachineName
        let memory = (File.ReadLines "/proc/meminfo" |> Seq.head).Split(' ', StringSplitOptions.RemoveEmptyEntries).[1] |> int64
        File.WriteAllLines(file "slurm.conf",
            [ "ClusterName=symmetry-test"
              $"SlurmctldHost={host}(127.0.0.1)"
              "SlurmUser=root"
              "SlurmdUser=root"
              $"SlurmctldPort={freePort ()}"
              $"SlurmdPort={freePort ()}"
              "AuthType=auth/munge"
              "CredType=cred/munge"
              $"AuthInfo=socket={socket}"
              "StateSaveLocation=" + file "state"
              "SlurmdSpoolDir=" + file "spool"
              "SlurmctldPidFile=" + file "slurmctld.pid"
              "SlurmdPidFile=" + file "slurmd.pid"
              "SlurmctldLogFile=" + file "log/slurmctld.log"
              "SlurmdLogFile=" + file "log/slurmd.log"
              "ProctrackType=proctrack/linuxproc"
              "TaskPlugin=task/none"
              "JobAcctGatherType=jobacct_gather/none"
              "AccountingStorageType=accounting_storage/none"
              "MpiDefault=none"
              "SchedulerType=sched/backfill"
              "SelectType=select/cons_tres"
              "SelectTypeParameters=CR_Core"
              "ReturnToService=2"
              "KillWait=2"
              $"NodeName={host} NodeAddr=127.0.0.1 CPUs={Environment.ProcessorCount} RealMemory={memory / 1024L / 2L} State=UNKNOWN"
              "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP" ])
        Environment.SetEnvironmentVariable("SLURM_CONF", file "slurm.conf")
        for daemon, args in [ "slurmctld", [ "-i" ]; "slurmd", [ "-N"; host ] ] do
            let code, output = run daemon args
            if code <> 0 then failwithf "%s did not start: %s %s" daemon output (log (daemon + ".log"))
        try waitFor "the node to be idle" 30.0 (fun () -> (snd (run "sinfo" [ "--noheader"; "--format=%t" ])).Trim() = "idle")
        with e -> failwithf "%s; slurmctld: %s slurmd: %s" e.Message (log "slurmctld.log") (log "slurmd.log")

    /// Array tasks of `job` still in the queue.
    member _.Queued(job: string) =
        let _, output = run "squeue" [ "--noheader"; "--array"; "--jobs=" + job; "--format=%i %T" ]
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries) |> Array.filter (fun l -> l.StartsWith(job + "_"))

    interface IDisposable with
        member _.Dispose() =
            run "scontrol" [ "shutdown" ] |> ignore
            for pid in [ "slurmd.pid"; "slurmctld.pid"; "munge/munged.pid" ] do
                let path = file pid
                if File.Exists path then
                    try
                        use proc = Process.GetProcessById(int (File.ReadAllText(path).Trim()))
                        if not (proc.WaitForExit 5000) then proc.Kill()
                    with _ -> ()
            Environment.SetEnvironmentVariable("SLURM_CONF", previousConf)

let private jobOf (output: string) =
    let marker = "submitted job "
    let start = output.IndexOf marker
    if start < 0 then failwithf "no job submitted: %s" output
    output.Substring(start + marker.Length).Split(':').[0]

[<Test>]
[<NonParallelizable>]
let ``a sweep runs as a SLURM job array, a cancelled task resumes on resubmission, and the merged store equals a local run`` () =
    LocalSlurm.Unavailable() |> Option.iter (fun reason -> Assert.Ignore("SLURM test skipped: " + reason))
    use dir = new TempDir()
    let data = dir.Sub "data"
    writeBandedMnist 12000 data
    use slurm = new LocalSlurm(Path.Combine(dir.Path, "slurm"))
    try slurm.Start() with e -> Assert.Ignore("SLURM test skipped: the daemons did not start here: " + e.Message)
    // 2 masks × 3 sparsities × 1 seed = 6 configs, one per array task.
    let sweep db = [ "sweep"; "--masks"; "random,symmetric"; "--sparsities"; "0.5,0.75,0.875"; "--seeds"; "3"; "--epochs"; "4"
                     "--data"; data; "--db"; db ]
    let db = Path.Combine(dir.Path, "cluster", "symmetry.db")
    let clock = Stopwatch.StartNew()
    let code, output, err = runCli (sweep db @ [ "--slurm"; "--array-parallelism"; "2" ])
    Assert.That(code, Is.EqualTo 0, err)
    TestContext.Out.WriteLine output
    let job = jobOf output
    let folder = (output.Split('\n') |> Array.find (fun l -> l.StartsWith "sweep folder ")).Substring("sweep folder ".Length).Trim()
    // Cancel the last task once its run has an epoch checkpoint and is still training.
    let victim = 5
    let shard = Path.Combine(folder, $"task-{victim}", "shard.db")
    let midRun () =
        File.Exists shard
        && (use store = ResultsStore.Open shard
            store.Runs() |> Seq.exists (fun r -> r.Status = RunStatus.Running && store.Checkpoints(r.Id).Count > 0))
    waitFor "task 5 to be mid-run" 180.0 midRun
    let code, cancelled = run "scancel" [ $"{job}_{victim}" ]
    Assert.That(code, Is.EqualTo 0, cancelled)
    waitFor "the array to leave the queue" 180.0 (fun () -> slurm.Queued(job).Length = 0)
    let firstWave = clock.Elapsed.TotalSeconds
    let _, status, _ = runCli [ "status"; folder ]
    TestContext.Out.WriteLine status
    Assert.That(status, Does.Contain "5 done")
    Assert.That(status, Does.Contain "1 interrupted", "the cancelled task's run stays unfinished, with its checkpoints")
    // Resubmitting the same sweep sends only the unfinished task, which resumes from its checkpoint.
    let code, output, err = runCli (sweep db @ [ "--slurm" ])
    Assert.That(code, Is.EqualTo 0, err)
    TestSupport.contains $"task(s) {victim} of 6" output
    let job2 = jobOf output
    waitFor "the resubmitted task" 180.0 (fun () -> slurm.Queued(job2).Length = 0)
    let log = File.ReadAllText(Path.Combine(folder, "logs", $"task-{victim}.out"))
    TestSupport.contains "resumed from epoch" log
    let _, status, _ = runCli [ "status"; folder ]
    Assert.That(status, Does.Contain "6 done")
    let code, merged, err = runCli [ "merge"; folder; "--into"; db ]
    Assert.That(code, Is.EqualTo 0, err)
    TestSupport.contains "6 run(s) added, 0 replaced, 0 kept" merged
    let _, again, _ = runCli [ "merge"; folder; "--into"; db ]
    TestSupport.contains "0 run(s) added, 0 replaced, 6 kept" again
    // The same sweep run here, into another store, one run at a time as the tasks did: every metric of every run is
    // identical.
    let localClock = Stopwatch.StartNew()
    let local = Path.Combine(dir.Path, "local", "symmetry.db")
    let code, _, err = runCli (sweep local @ [ "--batch-models"; "1" ])
    Assert.That(code, Is.EqualTo 0, err)
    TestContext.Out.WriteLine(sprintf "array (first wave, 6 tasks, 2 at a time): %.1f s; local sweep: %.1f s" firstWave localClock.Elapsed.TotalSeconds)
    use a = ResultsStore.Open db
    use b = ResultsStore.Open local
    let runs = b.Runs()
    Assert.That(runs.Count, Is.EqualTo 6)
    for run in runs do
        let mine = a.GetRun run.Id |> nonNull
        Assert.That(mine.Status, Is.EqualTo RunStatus.Finished, run.Id)
        // Everything but the wall-clock time, which differs from run to run.
        let values (s: ResultsStore) =
            [ for m in s.Metrics run.Id do
                if m.Name <> Symmetry.Core.Training.MetricNames.WallSeconds then sprintf "%d %s %s %.17g" m.Step m.Split m.Name m.Value ]
        Assert.That(values a, Is.Not.Empty)
        Assert.That(values a, Is.EqualTo(box (values b)), run.Id)
