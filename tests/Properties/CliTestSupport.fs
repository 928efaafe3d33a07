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

