// Symmetry build script. Plain `dotnet fsi`, no FAKE and no NuGet references, so it runs on a
// fresh machine before anything has been restored.
//
//   dotnet fsi build.fsx <target> [extra args passed through]
//   targets: setup | build | test | run | symmetry | demo | bench

open System
open System.Diagnostics
open System.IO
open System.Xml.Linq

let root = __SOURCE_DIRECTORY__
let path (rel: string) = Path.Combine(root, rel)

let usage () =
    printfn """usage: dotnet fsi build.fsx <target> [args...]

  setup    install missing Debian packages (root: apt-get; else prints the sudo command), dotnet restore
  build    native shim (CMake) + dotnet build -c Release
  test     setup + build + run the property tests; prints "N passed, N failed"  (args -> dotnet test)
  run      setup + build + the main job: `symmetry sweep` (args -> sweep), a small weight-symmetry sweep
  symmetry setup + build + the symmetry tool with your arguments, e.g. `symmetry run shuffled-mask --help`
  demo     setup + build + dotnet fsi src/Symmetry.Scripts/demo.fsx (smoke demo) (args -> demo.fsx)
  bench    setup + build + run bench/Symmetry.Bench                              (args -> bench)

env: LIBTORCH=/path/to/libtorch or Torch_DIR=/path/share/cmake/Torch to build against another libtorch"""

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

let onPath exe =
    (defaultArg (env "PATH") "").Split(':')
    |> Array.exists (fun dir -> dir <> "" && File.Exists(Path.Combine(dir, exe)))

// ---------------------------------------------------------------- setup

let debianPackages =
    [ "libtorch-dev"; "libopenblas0-pthread"; "dataset-fashion-mnist"; "cmake"; "g++"; "python3-torch"; "python3-scipy" ]

// "install ok unpacked" (mid-install) counts as missing: only a configured package is usable.
let isInstalled pkg = query "dpkg-query" [ "-W"; "-f=${Status}"; pkg ] = Some "install ok installed"

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

// ---------------------------------------------------------------- build

let nativeSrc = "src/Symmetry.Native"
let nativeObj = "build/native-obj"
let nativeLib = "build/native/libsymm_native.so"
let stampFile = Path.Combine(nativeObj, "symmetry-torch.stamp")

/// Fails early with a pointer to `setup` rather than a CMake error deep in find_package.
let checkNativePrerequisites () =
    let hint = "run `dotnet fsi build.fsx setup` first (or set LIBTORCH / Torch_DIR)"
    if not (onPath "cmake") then fail 1 (sprintf "cmake not found; %s" hint)
    if not (File.Exists(path (Path.Combine(nativeSrc, "CMakeLists.txt")))) then
        fail 1 (sprintf "%s/CMakeLists.txt is missing" nativeSrc)
    match env "LIBTORCH", env "Torch_DIR" with
    | Some dir, _ when not (Directory.Exists dir) -> fail 1 (sprintf "LIBTORCH=%s does not exist" dir)
    | _, Some dir when not (Directory.Exists dir) -> fail 1 (sprintf "Torch_DIR=%s does not exist" dir)
    | None, None when not (isInstalled "libtorch-dev") -> fail 1 (sprintf "libtorch not found (libtorch-dev not installed); %s" hint)
    | _ -> ()

let buildNative () =
    checkNativePrerequisites ()
    let torchArgs =
        [ match env "LIBTORCH" with Some d -> yield "-DCMAKE_PREFIX_PATH=" + d | None -> ()
          match env "Torch_DIR" with Some d -> yield "-DTorch_DIR=" + d | None -> () ]
    let stamp = String.Join("\n", torchArgs)
    let cache = path (Path.Combine(nativeObj, "CMakeCache.txt"))
    let stampPath = path stampFile
    let stampChanged = not (File.Exists stampPath) || File.ReadAllText stampPath <> stamp
    // Configure only when needed: a fresh cache, or a different libtorch. A stale cache would
    // keep the old Torch_DIR, so it is dropped when the libtorch choice changes.
    if not (File.Exists cache) || stampChanged then
        if File.Exists cache then File.Delete cache
        step "native: cmake configure"
        run "cmake" ([ "-S"; nativeSrc; "-B"; nativeObj; "-DCMAKE_BUILD_TYPE=Release" ] @ torchArgs)
        File.WriteAllText(stampPath, stamp)
    step "native: cmake build"
    run "cmake" [ "--build"; nativeObj; "-j"; "2" ]
    if not (File.Exists(path nativeLib)) then fail 1 (sprintf "native build did not produce %s" nativeLib)

let build () =
    buildNative ()
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

// ---------------------------------------------------------------- main

let main (argv: string list) =
    try
        match argv with
        | [] -> usage (); 0
        | "setup" :: _ -> setup (); 0
        | "build" :: _ -> build (); 0
        | "test" :: extra -> test extra; 0
        | "run" :: extra -> symmetry ("sweep" :: extra); 0
        | "symmetry" :: extra -> symmetry extra; 0
        | "demo" :: extra -> demo extra; 0
        | "bench" :: extra -> bench extra; 0
        | ("-h" | "--help" | "help") :: _ -> usage (); 0
        | t :: _ -> eprintfn "unknown target '%s'\n" t; usage (); 2
    with Failed(msg, code) ->
        eprintfn "build.fsx: %s" msg
        code

// fsi.CommandLineArgs.[0] is the script itself.
exit (main (List.ofArray fsi.CommandLineArgs |> List.tail))
