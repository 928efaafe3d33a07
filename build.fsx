// Symmetry build script. Plain `dotnet fsi`, no FAKE and no NuGet references, so it runs on a
// fresh machine before anything has been restored.

#load "tools/WeakGlibcxx.fsx"
//
//   dotnet fsi build.fsx <target> [extra args passed through]
//   targets: setup | build | test | run | report | symmetry | demo | bench | pack

open System
open System.Diagnostics
open System.IO
open System.Xml.Linq

let root = __SOURCE_DIRECTORY__
let path (rel: string) = Path.Combine(root, rel)

let usage () =
    printfn """usage: dotnet fsi build.fsx <target> [args...]

  setup    install missing Debian packages (root: apt-get; else prints the sudo command), dotnet restore,
           make TorchSharp's native library loadable on Debian 12 (see tools/WeakGlibcxx.fsx)
  build    dotnet build -c Release
  test     setup + build + run the property tests; prints "N passed, N failed"  (args -> dotnet test)
  run      setup + build + the main job: `symmetry sweep` (args -> sweep), a small weight-symmetry sweep, its table
           and its figure (results/report/sweep.html, .svg, .png)
  report   setup + build + `symmetry report` (args -> report): every table and figure of the store in
           results/report/ with an index.html
  symmetry setup + build + the symmetry tool with your arguments, e.g. `symmetry run shuffled-mask --help`
  demo     setup + build + dotnet fsi src/Symmetry.Scripts/demo.fsx (smoke demo) (args -> demo.fsx)
  bench    setup + build + run bench/Symmetry.Bench                              (args -> bench)
  pack     setup + build + NuGet packages of Symmetry.Torch, Symmetry.Core and Symmetry.FSharp in build/packages,
           version 0.1.<commits>, for scripts outside this repository (README: "From your own script")"""

/// Stops the script with a message and an exit code.
exception Failed of message: string * code: int
let fail code msg = raise (Failed(msg, code))

let step (name: string) = printfn "==> %s" name

/// Runs a command with stdout/stderr inherited, so its output streams live; fails with its exit code.
let run (file: string) (args: string list) =
    let psi = ProcessStartInfo(file, WorkingDirectory = root, UseShellExecute = false)
    args |> List.iter psi.ArgumentList.Add
    use p =
        try Process.Start psi
        with e -> fail 127 (sprintf "cannot start '%s': %s" file e.Message)
    p.WaitForExit()
    if p.ExitCode <> 0 then
        fail p.ExitCode (sprintf "'%s %s' failed (exit code %d)" file (String.Join(" ", args)) p.ExitCode)

/// Runs a short query command and returns its stdout (None if it cannot start or fails).
let query (file: string) (args: string list) =
    try
        let psi = ProcessStartInfo(file, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
        args |> List.iter psi.ArgumentList.Add
        use p = Process.Start psi
        let out = p.StandardOutput.ReadToEnd()
        p.StandardError.ReadToEnd() |> ignore
        p.WaitForExit()
        if p.ExitCode = 0 then Some(out.Trim()) else None
    with _ -> None

let env name = Environment.GetEnvironmentVariable name |> Option.ofObj |> Option.filter (String.IsNullOrWhiteSpace >> not)

// ---------------------------------------------------------------- setup

// The data set of the main job, the benchmark peers (PyTorch 1.13, scipy), headless Chromium, which draws the
// report's static SVG/PNG figures with the plotly.js inside Plotly.NET, and a SLURM to test sweeps on (slurm-wlm,
// munge). libtorch itself comes from NuGet.
let debianPackages = [ "dataset-fashion-mnist"; "python3-torch"; "python3-scipy"; "chromium"; "slurm-wlm"; "munge" ]

// "install ok unpacked" (mid-install) counts as missing: only a configured package is usable.
let isInstalled pkg = query "dpkg-query" [ "-W"; "-f=${Status}"; pkg ] = Some "install ok installed"

/// NuGet's global packages folder, as dotnet itself reports it (NUGET_PACKAGES and config included).
let globalPackages () =
    match query "dotnet" [ "nuget"; "locals"; "global-packages"; "--list" ] with
    | Some line when line.Contains ": " -> line.Substring(line.IndexOf ": " + 2).Trim()
    | _ -> fail 1 "cannot find NuGet's global packages folder (`dotnet nuget locals global-packages --list` failed)"

let torchSharpNative = "torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so"

/// Debian 12's libstdc++ lacks GLIBCXX_3.4.32, which libLibTorchSharp.so names for one symbol it never calls:
/// mark that requirement weak in the package-folder copy (every restore can bring the original back).
let patchTorchSharp () =
    if OperatingSystem.IsLinux() then
        step "setup: TorchSharp native library"
        let lib = Path.Combine(globalPackages (), torchSharpNative)
        if not (File.Exists lib) then fail 1 (sprintf "%s is missing after restore" lib)
        if WeakGlibcxx.systemProvides WeakGlibcxx.Version then
            printfn "system libstdc++ provides %s: nothing to patch" WeakGlibcxx.Version
        else
            match WeakGlibcxx.markWeak lib WeakGlibcxx.Version with
            | WeakGlibcxx.Patched -> printfn "marked %s weak in %s" WeakGlibcxx.Version lib
            | WeakGlibcxx.AlreadyWeak -> printfn "%s already weak in %s" WeakGlibcxx.Version lib
            | WeakGlibcxx.NotRequired -> printfn "%s does not require %s" lib WeakGlibcxx.Version

let isRoot () = Environment.UserName = "root" || query "id" [ "-u" ] = Some "0"

let setup () =
    step "setup: Debian packages"
    match debianPackages |> List.filter (isInstalled >> not) with
    | [] -> printfn "all present: %s" (String.Join(" ", debianPackages))
    | missing when isRoot () ->
        // Wait for a dpkg lock held by another apt run instead of failing at once.
        let lockWait = "-o=DPkg::Lock::Timeout=600"
        run "apt-get" [ lockWait; "update" ]
        let env' = [ "DEBIAN_FRONTEND=noninteractive"; "apt-get"; lockWait; "install"; "-y"; "--no-install-recommends" ]
        run "env" (env' @ missing)
    | missing ->
        eprintfn "missing Debian packages; install them with:\n  sudo apt-get install -y %s" (String.Join(" ", missing))
        fail 1 "setup needs root to install packages"
    step "setup: dotnet restore"
    run "dotnet" [ "restore"; "Symmetry.slnx" ]
    patchTorchSharp ()

// ---------------------------------------------------------------- build

let build () =
    step "dotnet build"
    run "dotnet" [ "build"; "Symmetry.slnx"; "-c"; "Release"; "--nologo" ]

// ---------------------------------------------------------------- test

let testResults = "build/test-results"
let trxName = "properties.trx"

/// Reads (passed, failed, skipped, total) from the TRX <Counters> element.
let readCounters (trx: string) =
    let counters = XDocument.Load(trx).Descendants() |> Seq.find (fun e -> e.Name.LocalName = "Counters")
    let n name = match counters.Attribute(XName.Get name) with null -> 0 | a -> int a.Value
    // error/timeout/aborted are failures too, even though VSTest counts them separately.
    let failed = n "failed" + n "error" + n "timeout" + n "aborted"
    // VSTest leaves notExecuted at 0 for ignored tests; they only show as total - executed.
    let skipped = max (n "notExecuted") (n "total" - n "executed")
    n "passed", failed, skipped, n "total"

/// (test name, error message and first stack lines) of every failed test in a TRX file.
let failedTests (trx: string) =
    let local (e: XElement) = e.Name.LocalName
    XDocument.Load(trx).Descendants()
    |> Seq.filter (fun e -> local e = "UnitTestResult" && (match e.Attribute(XName.Get "outcome") with null -> false | a -> a.Value = "Failed"))
    |> Seq.map (fun e ->
        let text name = e.Descendants() |> Seq.tryFind (fun d -> local d = name) |> Option.map (fun d -> d.Value) |> Option.defaultValue ""
        e.Attribute(XName.Get "testName").Value, (text "Message" + "\n" + text "StackTrace").Trim())
    |> List.ofSeq

let test (extra: string list) =
    setup ()
    build ()
    step "dotnet test"
    // Start from an empty results folder so a stale TRX can never be read as this run's.
    let dir = path testResults
    if Directory.Exists dir then Directory.Delete(dir, true)
    let ciLogger = if (env "CI").IsSome then [ "--logger"; "console;verbosity=normal" ] else []
    let args =
        [ "test"; "tests/Properties/Symmetry.Properties.fsproj"; "-c"; "Release"; "--no-build"
          "--results-directory"; testResults; "--logger"; "trx;LogFileName=" + trxName ] @ ciLogger @ extra
    let testError = try run "dotnet" args; None with Failed(msg, code) -> Some(msg, code)
    let trx = Path.Combine(dir, trxName)
    if not (File.Exists trx) then
        fail (match testError with Some(_, c) -> c | None -> 1) (sprintf "no test results at %s/%s" testResults trxName)
    let passed, failed, skipped, total = readCounters trx
    // CI keeps only the log's tail: repeat each failure there, just above the closing line.
    for name, message in failedTests trx do
        printfn "FAILED %s" name
        for line in message.Split('\n') |> Seq.truncate 25 do printfn "    %s" (line.TrimEnd())
    if skipped > 0 then printfn "%d passed, %d failed, %d skipped" passed failed skipped
    else printfn "%d passed, %d failed" passed failed
    match testError with
    | Some(msg, code) -> fail code msg
    | None when failed > 0 -> fail 1 (sprintf "%d test(s) failed" failed)
    | None when total = 0 || passed + failed = 0 -> fail 1 "no tests ran"
    | None -> ()

// ---------------------------------------------------------------- demo, bench

let demoScript = "src/Symmetry.Scripts/demo.fsx"

let demo (extra: string list) =
    if not (File.Exists(path demoScript)) then fail 1 (sprintf "%s is missing" demoScript)
    setup ()
    build ()
    step "demo"
    run "dotnet" ([ "fsi"; demoScript ] @ extra)

let cli = "src/Symmetry.Cli/bin/Release/net10.0/symmetry.dll"

let symmetry (extra: string list) =
    setup ()
    build ()
    step ("symmetry " + String.Join(" ", extra))
    run "dotnet" (cli :: extra)

let bench (extra: string list) =
    setup ()
    build ()
    step "bench"
    run "dotnet" ([ "run"; "--project"; "bench/Symmetry.Bench"; "-c"; "Release"; "--no-build"; "--" ] @ extra)

// ---------------------------------------------------------------- pack

let packages = "build/packages"
let packed = [ "src/Symmetry.Torch"; "src/Symmetry.Core"; "src/Symmetry.FSharp" ]

let pack () =
    setup ()
    build ()
    // One version per commit: NuGet caches a package by id and version, so a rebuilt package needs a new version.
    let commits = query "git" [ "-C"; root; "rev-list"; "--count"; "HEAD" ] |> Option.defaultValue "0"
    let version = sprintf "0.1.%s" commits
    if query "git" [ "-C"; root; "status"; "--porcelain" ] |> Option.exists ((<>) "") then
        eprintfn "note: uncommitted changes are packed as %s too; commit before packing again, or clear ~/.nuget/packages/symmetry.*/%s" version version
    step (sprintf "pack %s" version)
    for project in packed do
        run "dotnet" [ "pack"; project; "-c"; "Release"; "--no-build"; "--nologo"; "-o"; packages; "-p:Version=" + version ]
    printfn "packages in %s; a script beside a nuget.config naming that folder loads them with #r \"nuget: Symmetry.FSharp\"" (path packages)

// ---------------------------------------------------------------- main

let main (argv: string list) =
    try
        match argv with
        | [] -> usage (); 0
        | "setup" :: _ -> setup (); 0
        | "build" :: _ -> build (); 0
        | "test" :: extra -> test extra; 0
        | "run" :: extra -> symmetry ("sweep" :: extra); 0
        | "report" :: extra -> symmetry ("report" :: extra); 0
        | "symmetry" :: extra -> symmetry extra; 0
        | "demo" :: extra -> demo extra; 0
        | "bench" :: extra -> bench extra; 0
        | "pack" :: _ -> pack (); 0
        | ("-h" | "--help" | "help") :: _ -> usage (); 0
        | t :: _ -> eprintfn "unknown target '%s'\n" t; usage (); 2
    with Failed(msg, code) ->
        eprintfn "build.fsx: %s" msg
        code

// fsi.CommandLineArgs.[0] is the script itself.
exit (main (List.ofArray fsi.CommandLineArgs |> List.tail))
