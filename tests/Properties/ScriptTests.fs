/// The F# scripts as a researcher runs them (`dotnet fsi`), on a small generated data set: they print the settings
/// they use, honour flags over per-model recipes, and end with a parseable result line.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ScriptTests

open System
open System.Diagnostics
open System.Globalization
open System.IO
open NUnit.Framework
open Symmetry.Properties.DataTestSupport

let private trainScript = Path.Combine(repositoryRoot, "src", "Symmetry.Scripts", "train.fsx")

/// Runs train.fsx with the given arguments under CI=1 and returns its exit code and combined output.
let private runTrain (args: string list) =
    let info = ProcessStartInfo("dotnet", [ "fsi"; trainScript ] @ args, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    info.Environment.["CI"] <- "1"
    use proc = Process.Start info |> nonNull
    let output = proc.StandardOutput.ReadToEndAsync()
    let error = proc.StandardError.ReadToEnd()
    if not (proc.WaitForExit(TimeSpan.FromMinutes 5.0)) then
        proc.Kill true
        Assert.Fail "train.fsx ran past 5 minutes"
    proc.ExitCode, output.Result + error

/// The value of the final `test_accuracy=<value>` line.
let private finalAccuracy (output: string) =
    let lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
    match lines |> Array.tryFindBack (fun line -> line.StartsWith "test_accuracy=") with
    | Some line -> Double.Parse(line.Substring "test_accuracy=".Length, CultureInfo.InvariantCulture)
    | None -> failwithf "no test_accuracy line in:\n%s" output

[<Test>]
let ``train.fsx uses the generic defaults and learns a separable data set`` () =
    use dir = new TempDir()
    writeBandedMnist 1200 dir.Path
    let code, output = runTrain [ "--model"; "lenet-300-100"; "--epochs"; "2"; "--data"; dir.Path; "--threads"; "1" ]
    Assert.That(code, Is.EqualTo 0, output)
    Assert.That(output, Does.Contain "adam lr 0.001, weight decay 0, batch 128, schedule constant, 2 epochs, seed 42")
    Assert.That(finalAccuracy output, Is.GreaterThan 0.5, output)

[<Test>]
let ``train.fsx applies the mnist-cnn recipe and a flag overrides it`` () =
    use dir = new TempDir()
    writeBandedMnist 600 dir.Path
    let code, output = runTrain [ "--model"; "mnist-cnn"; "--epochs"; "1"; "--batch"; "100"; "--data"; dir.Path; "--threads"; "1" ]
    Assert.That(code, Is.EqualTo 0, output)
    Assert.That(output, Does.Contain "adam lr 0.01, weight decay 0, batch 100, schedule cosine, 1 epochs")
    Assert.That(finalAccuracy output, Is.InRange(0.0, 1.0))

[<Test>]
let ``train.fsx refuses an unknown schedule by name`` () =
    use dir = new TempDir()
    writeBandedMnist 100 dir.Path
    let code, output = runTrain [ "--model"; "lenet-300-100"; "--schedule"; "warm"; "--data"; dir.Path; "--threads"; "1" ]
    Assert.That(code, Is.Not.EqualTo 0)
    Assert.That(output, Does.Contain "unknown schedule 'warm'; known schedules: constant, cosine")

[<Test>]
let ``train.fsx refuses a malformed value and a misspelt flag with exit code 2`` () =
    let code, output = runTrain [ "--model"; "lenet-300-100"; "--epochs"; "x" ]
    Assert.That(code, Is.EqualTo 2, output)
    Assert.That(output, Does.Contain "error: --epochs: expected an integer, got 'x'")
    let code, output = runTrain [ "--model"; "lenet-300-100"; "--epohcs"; "1" ]
    Assert.That(code, Is.EqualTo 2, output)
    Assert.That(output, Does.Contain "error: unknown flag(s) --epohcs; this script takes")
    Assert.That(output, Does.Contain "--epochs")

let private reconnectScript = Path.Combine(repositoryRoot, "src", "Symmetry.Scripts", "train_by_reconnect.fsx")

/// Runs train_by_reconnect.fsx with the given arguments under CI=1: exit code and combined output.
let private runReconnect (args: string list) =
    let info = ProcessStartInfo("dotnet", [ "fsi"; reconnectScript ] @ args, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    info.Environment.["CI"] <- "1"
    use proc = Process.Start info |> nonNull
    let output = proc.StandardOutput.ReadToEndAsync()
    let error = proc.StandardError.ReadToEnd()
    if not (proc.WaitForExit(TimeSpan.FromMinutes 5.0)) then
        proc.Kill true
        Assert.Fail "train_by_reconnect.fsx ran past 5 minutes"
    proc.ExitCode, output.Result + error

[<Test>]
let ``train_by_reconnect.fsx trains LaPerm and its Adam sibling, keeps every row's values, and a rerun loads both`` () =
    use dir = new TempDir()
    writeBandedMnist 600 dir.Path
    let db = Path.Combine(dir.Path, "store", "symmetry.db")
    let args = [ "--model"; "f1"; "--agnosticize"; "--k"; "2"; "--epochs"; "2"; "--data"; dir.Path; "--db"; db; "--threads"; "1" ]
    let code, output = runReconnect args
    Assert.That(code, Is.EqualTo 0, output)
    Assert.That(output, Does.Contain "LaPerm k 2, biases synced")
    Assert.That(output, Does.Contain "laperm (")
    Assert.That(output, Does.Contain "every synchronised row is a rearrangement of θ₀'s: true")
    Assert.That(output, Does.Contain "every synchronised row is a rearrangement of θ₀'s: false", "Adam's weights leave θ₀'s values")
    Assert.That(output, Does.Contain "final laperm test accuracy")
    Assert.That(output, Does.Contain "LaPerm − Adam:")
    let code, again = runReconnect args
    Assert.That(code, Is.EqualTo 0, again)
    Assert.That(again, Does.Contain "computed 0 states", "a rerun loads every state")

[<Test>]
let ``train_by_reconnect.fsx refuses an unknown recipe and a pruned fraction outside [0, 1] with exit code 2, writing nothing`` () =
    use dir = new TempDir()
    let db = Path.Combine(dir.Path, "store", "symmetry.db")
    let code, output = runReconnect [ "--model"; "f3"; "--db"; db ]
    Assert.That(code, Is.EqualTo 2, output)
    Assert.That(output, Does.Contain "unknown LaPerm recipe 'f3'; known recipes: conv7, conv7-short, f1, f2")
    let code, output = runReconnect [ "--model"; "f1"; "--prune"; "1.5"; "--db"; db ]
    Assert.That(code, Is.EqualTo 2, output)
    Assert.That(output, Does.Contain "error: --prune is the fraction of weights pruned, in [0, 1]; got 1.5")
    Assert.That(Directory.Exists(Path.GetDirectoryName db), Is.False, "nothing written")
