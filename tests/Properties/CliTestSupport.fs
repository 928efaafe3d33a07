/// Running the built `symmetry` tool from tests.
module Symmetry.Properties.CliTestSupport

open System.Diagnostics
open System.IO
open Symmetry.Properties.DataTestSupport

/// The built `symmetry` tool, next to the solution's other outputs (looked up when a test first runs it, so that the
/// in-process tests do not depend on it).
let cli =
    lazy
        (let path = Path.Combine(repositoryRoot, "src", "Symmetry.Cli", "bin", "Release", "net10.0", "symmetry.dll")
         if not (File.Exists path) then failwithf "%s is missing: build the solution first (dotnet fsi build.fsx build)" path
         path)

/// Starts the tool with `args` (output redirected).
let start (args: string list) =
    let cli = cli.Force()
    let info = ProcessStartInfo("dotnet", [ cli ] @ args, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    info.Environment.["CI"] <- "1"
    match Process.Start info with
    | null -> failwithf "could not start dotnet %s" cli
    | proc -> proc

/// Runs the tool to the end: exit code, standard output, standard error.
let runCli (args: string list) =
    use proc = start args
    let output = proc.StandardOutput.ReadToEndAsync()
    let error = proc.StandardError.ReadToEnd()
    proc.WaitForExit()
    proc.ExitCode, output.Result, error


/// Runs script `name` of src/Symmetry.Scripts with `dotnet fsi` and returns its exit code and combined output; fails
/// the test if it runs past five minutes (the longest end-to-end script test, under load).
let runScript (name: string) (args: string list) =
    let path = Path.Combine(repositoryRoot, "src", "Symmetry.Scripts", name)
    let info = ProcessStartInfo("dotnet", [ "fsi"; path ] @ args, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    info.Environment.["CI"] <- "1"
    use proc =
        match Process.Start info with
        | null -> failwithf "could not start dotnet fsi %s" name
        | p -> p
    let output = proc.StandardOutput.ReadToEndAsync()
    let error = proc.StandardError.ReadToEnd()
    if not (proc.WaitForExit(System.TimeSpan.FromMinutes 5.0)) then
        proc.Kill true
        NUnit.Framework.Assert.Fail(name + " ran past 5 minutes")
    proc.ExitCode, output.Result + error

/// Runs script `name` with `--db` in a fresh temporary folder and `args` (split on spaces), and asserts the bad-input
/// contract: exit code 2, `message` in the output, and nothing written (the folder stays empty).
let assertScriptRefuses (name: string) (args: string) (message: string) =
    use dir = new TempDir()
    let code, output = runScript name ([ "--db"; dir.File "store/s.db" ] @ List.ofArray (args.Split ' '))
    NUnit.Framework.Assert.That(code, NUnit.Framework.Is.EqualTo 2, output)
    NUnit.Framework.Assert.That(output, NUnit.Framework.Does.Contain message)
    NUnit.Framework.Assert.That(Directory.GetFileSystemEntries dir.Path, NUnit.Framework.Is.Empty, "nothing written")
