/// A script outside the repository loads the library in one line: `#r "nuget: Symmetry.FSharp"` beside a
/// nuget.config that names a folder of packages (what `build.fsx pack` makes), no registry host.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.PackageTests

open System
open System.Diagnostics
open System.IO
open NUnit.Framework
open Symmetry.Properties.DataTestSupport

/// Runs a command to completion; its exit code and combined output.
let private exec (file: string) (args: string list) (workingDirectory: string) =
    let info = ProcessStartInfo(file, args, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                                WorkingDirectory = workingDirectory)
    use proc = Process.Start info |> nonNull
    let output = proc.StandardOutput.ReadToEndAsync()
    let error = proc.StandardError.ReadToEnd()
    if not (proc.WaitForExit(TimeSpan.FromMinutes 5.0)) then
        proc.Kill true
        Assert.Fail(sprintf "%s %s ran past 5 minutes" file (String.Join(" ", args)))
    proc.ExitCode, output.Result + error

[<Test>]
let ``a script outside the repository loads the packed library with one #r line`` () =
    use packages = new TempDir()
    use scriptDir = new TempDir()
    // A version of its own, so that NuGet's cache cannot hand back an earlier package of the same version.
    let version = sprintf "0.1.0.%d" (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1_700_000_000L)
    for project in [ "Symmetry.Torch"; "Symmetry.Core"; "Symmetry.FSharp" ] do
        let code, output =
            exec "dotnet" [ "pack"; Path.Combine(repositoryRoot, "src", project); "-c"; "Release"; "--no-build"; "--nologo"
                            "-o"; packages.Path; "-p:Version=" + version ] repositoryRoot
        Assert.That(code, Is.EqualTo 0, output)
    let lines (xs: string list) = String.Join("\n", xs) + "\n"
    File.WriteAllText(Path.Combine(scriptDir.Path, "nuget.config"),
                      lines [ "<?xml version=\"1.0\" encoding=\"utf-8\"?>"; "<configuration>"; "  <packageSources>"
                              sprintf "    <add key=\"symmetry-local\" value=\"%s\" />" packages.Path; "  </packageSources>"; "</configuration>" ])
    File.WriteAllText(Path.Combine(scriptDir.Path, "outside.fsx"),
                      lines [ "#r \"nuget: Symmetry.FSharp\""
                              "open Symmetry"
                              "let recipe = Recipes.named \"seed-000\" |> Recipes.epochs 2"
                              "printfn \"recipe: %s\" (recipe.Describe())"
                              "let model = Symmetry.Core.Models.ModelConfig(1, 28, 10) |> Model.create \"mnist-fc\" 1UL"
                              "printfn \"parameters: %d\" (model.ParameterCount())"
                              "printfn \"natives: %s\" (String.concat \";\" Symmetry.Torch.TorchRuntime.NativeFolders)" ])
    let code, output = exec "dotnet" [ "fsi"; "outside.fsx" ] scriptDir.Path
    Assert.That(code, Is.EqualTo 0, output)
    Assert.That(output, Does.Contain "recipe: adamw lr 0.01, weight decay 1E-05, batch 128, schedule piecewise 50:0.01,70:0.001,90:0.0001, 2 epochs")
    Assert.That(output, Does.Contain "parameters: 14090")
    Assert.That(output, Does.Contain "libtorch-cpu-linux-x64")
    Assert.That(File.ReadAllText(Path.Combine(scriptDir.Path, "nuget.config")), Does.Not.Contain "http", "no registry host")
