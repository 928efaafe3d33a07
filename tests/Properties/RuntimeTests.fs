/// Loading TorchSharp (design rule 2), each in a fresh process: `dotnet fsi` runs a short script that references the
/// Symmetry.Torch.dll and TorchSharp.dll of this test output folder and calls TorchRuntime.Ensure(). It loads and
/// computes from the NuGet natives (and no other libtorch); pointed at an empty folder, it fails with a message
/// naming the missing file and the setup command.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.RuntimeTests

open System
open System.Diagnostics
open System.IO
open NUnit.Framework
open Symmetry.Torch
open Symmetry.Properties.TestSupport

type private Outcome =
    { ExitCode: int
      Stdout: string
      Stderr: string }
    override o.ToString() =
        sprintf "exit code %d\n--- stdout\n%s\n--- stderr\n%s" o.ExitCode o.Stdout (o.Stderr.Substring(0, min 4000 o.Stderr.Length))

/// The script's header: the assemblies of this test output folder.
let private references () =
    let dll name = Path.Combine(AppContext.BaseDirectory, name)
    for name in [ "TorchSharp.dll"; "Symmetry.Torch.dll" ] do
        if not (File.Exists(dll name)) then Assert.Fail(sprintf "%s is not in the test output folder %s" name AppContext.BaseDirectory)
    sprintf "#r @\"%s\"\n#r @\"%s\"\nopen TorchSharp\n" (dll "TorchSharp.dll") (dll "Symmetry.Torch.dll")

/// Runs `body` (after the references) with `dotnet fsi` in a fresh process; SYMMETRY_TORCH_NATIVES is set to
/// `natives` or removed.
let private runScript (natives: string option) (body: string) : Outcome =
    let dir = Directory.CreateTempSubdirectory("symm-runtime-").FullName
    try
        let script = Path.Combine(dir, "probe.fsx")
        File.WriteAllText(script, references () + body)
        let dotnet =
            match Environment.GetEnvironmentVariable "DOTNET_HOST_PATH" with
            | null
            | "" -> "dotnet"
            | host -> host
        let start = ProcessStartInfo(dotnet, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir)
        start.ArgumentList.Add "fsi"
        start.ArgumentList.Add script
        match natives with
        | Some folder -> start.Environment.[TorchRuntime.NativesVariable] <- folder
        | None -> start.Environment.Remove TorchRuntime.NativesVariable |> ignore
        use child = Process.Start start |> nonNull
        let out = child.StandardOutput.ReadToEndAsync()
        let err = child.StandardError.ReadToEndAsync()
        if not (child.WaitForExit(TimeSpan.FromMinutes 3.0)) then
            child.Kill true
            Assert.Fail(sprintf "dotnet fsi %s did not finish within 3 minutes" script)
        child.WaitForExit()
        { ExitCode = child.ExitCode; Stdout = out.Result; Stderr = err.Result }
    finally
        Directory.Delete(dir, true)

[<Test>]
let ``a fresh process loads TorchSharp through TorchRuntime.Ensure, computes, and maps no other libtorch`` () =
    let outcome =
        runScript None "
Symmetry.Torch.TorchRuntime.Ensure()
let a = torch.tensor([| 1.0; 2.0; 3.0; 4.0 |], System.ReadOnlySpan<int64>([| 2L; 2L |]), dtype = torch.ScalarType.Float64)
let b = torch.tensor([| 5.0; 6.0; 7.0; 8.0 |], System.ReadOnlySpan<int64>([| 2L; 2L |]), dtype = torch.ScalarType.Float64)
let c = a.matmul b
printfn \"matmul %s\" (c.data<float>().ToArray() |> Array.map string |> String.concat \" \")
for folder in Symmetry.Torch.TorchRuntime.NativeFolders do printfn \"folder %s\" folder
if System.OperatingSystem.IsLinux() then
    for line in System.IO.File.ReadAllLines \"/proc/self/maps\" |> Array.map (fun l -> l.Split(' ', System.StringSplitOptions.RemoveEmptyEntries)) |> Array.filter (fun f -> f.Length >= 6) |> Array.map (fun f -> f.[5]) |> Array.distinct do
        let name = System.IO.Path.GetFileName line
        if name.StartsWith \"libtorch\" || name.StartsWith \"libc10\" then printfn \"mapped %s\" line
"
    if outcome.ExitCode <> 0 then Assert.Fail(sprintf "the script failed:\n%O" outcome)
    let lines = outcome.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
    Assert.That(lines, Does.Contain "matmul 19 22 43 50", sprintf "%O" outcome)
    let folders = lines |> Array.filter (fun l -> l.StartsWith "folder ") |> Array.map (fun l -> l.Substring 7)
    let mapped = lines |> Array.filter (fun l -> l.StartsWith "mapped ") |> Array.map (fun l -> l.Substring 7)
    if OperatingSystem.IsLinux() then
        Assert.That(folders, Is.Not.Empty, "TorchRuntime.NativeFolders is empty after Ensure on Linux")
        Assert.That(mapped |> Array.exists (fun p -> Path.GetFileName p = "libtorch_cpu.so"), Is.True, sprintf "libtorch_cpu.so is not mapped: %A" mapped)
        for path in mapped do
            let inside = folders |> Array.exists (fun f -> path.StartsWith(Path.TrimEndingDirectorySeparator f + "/", StringComparison.Ordinal))
            Assert.That(inside, Is.True, sprintf "%s is mapped but lies outside the natives folders %A (another libtorch was loaded)" path folders)

[<Test>]
let ``TorchRuntime.Ensure with SYMMETRY_TORCH_NATIVES pointing at an empty folder names the missing file and the setup command`` () =
    let empty = Directory.CreateTempSubdirectory("symm-no-natives-").FullName
    try
        let outcome =
            runScript (Some empty) "
try
    Symmetry.Torch.TorchRuntime.Ensure()
    printfn \"loaded\"
    exit 0
with e ->
    printfn \"%s: %s\" (e.GetType().FullName) e.Message
    exit 3
"
        if outcome.ExitCode <> 3 then Assert.Fail(sprintf "expected Ensure to fail (exit code 3):\n%O" outcome)
        let message = outcome.Stdout.Trim()
        contains "Symmetry.Torch.TorchRuntimeException: " message
        // The missing file, by its full path in the chosen folder.
        contains ("missing native library " + Path.Combine(empty, "")) message
        Assert.That(message, Does.Match(@"missing native library \S+\.so"), message)
        contains "dotnet fsi build.fsx setup" message
        contains TorchRuntime.SetupCommand message
    finally
        Directory.Delete(empty, true)

/// UPSTREAM BUG WATCH (skipped with the reason while the bug is present, passes once fixed): TorchSharp 0.107.0's native matmul does not catch libtorch's error, so a shape mismatch
/// aborts the process ("terminate called after throwing an instance of 'c10::Error'") instead of raising an
/// ExternalException as mm, reshape and the other ops do (ErrorTests). Run in a fresh process so that the abort
/// does not take the test host with it. Until TorchSharp is fixed, code must check shapes before matmul.
[<Test>]
let ``a matmul shape mismatch raises ExternalException with libtorch's message and the process keeps working`` () =
    let outcome =
        runScript None "
Symmetry.Torch.TorchRuntime.Ensure()
let a = torch.ones(3L, 4L)
try
    a.matmul a |> ignore
    printfn \"no error\"
with :? System.Runtime.InteropServices.ExternalException as e ->
    printfn \"caught: %s\" (e.Message.Split('\\n').[0])
printfn \"still works %g\" (torch.ones(2L, 2L).matmul(torch.ones(2L, 2L)).sum().ToSingle())
"
    let said = outcome.Stdout
    if outcome.ExitCode = 134 && outcome.Stderr.Contains "c10::Error" then
        Assert.Ignore "TorchSharp 0.107.0 bug: a matmul shape mismatch aborts the process (c10::Error not caught); check shapes before matmul"
    if outcome.ExitCode <> 0 then Assert.Fail(sprintf "the process did not survive the matmul error:\n%O" outcome)
    contains "caught: mat1 and mat2 shapes cannot be multiplied (3x4 and 3x4)" said
    contains "still works 8" said
