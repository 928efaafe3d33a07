// Shared by every script: loads the built Symmetry assemblies (run `dotnet fsi build.fsx build` first).
#r "../Symmetry.Torch/bin/Release/net10.0/Symmetry.Torch.dll"
#r "../Symmetry.Core/bin/Release/net10.0/Symmetry.Core.dll"

open Symmetry.Torch

/// Reads `--name value` from the script's command line, or a default.
let argOr (name: string) (fallback: string) =
    let args = fsi.CommandLineArgs
    match Array.tryFindIndex ((=) ("--" + name)) args with
    | Some i when i + 1 < args.Length -> args.[i + 1]
    | _ -> fallback

/// Records the runtime settings a result depends on (design rule 10).
let describeRuntime () =
    sprintf "libtorch %s, %d thread(s), device %O" Torch.LibTorchVersion Torch.ThreadCount Device.Default
