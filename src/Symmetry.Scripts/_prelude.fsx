// Shared by every script: loads the built assemblies (run `dotnet fsi build.fsx build` first) from the symmetry
// tool's output folder, which holds Symmetry.Torch, Symmetry.Core, TorchSharp and every managed dependency; then
// loads TorchSharp's natives (by full path from the NuGet package folder: they are not copied next to the assemblies).
#I "../Symmetry.Cli/bin/Release/net10.0"
#r "TorchSharp.dll"
#r "Google.Protobuf.dll"
#r "ICSharpCode.SharpZipLib.dll"
#r "Symmetry.Torch.dll"
#r "Symmetry.Core.dll"

open TorchSharp
open Symmetry.Torch

// Before the first TorchSharp call (design rule 2); a missing or unloadable libtorch stops the script with the fix.
try
    TorchRuntime.Ensure()
with :? TorchRuntimeException as error ->
    eprintfn "error: %s" error.Message
    exit 2

/// Reads `--name value` from the script's command line, or a default.
let argOr (name: string) (fallback: string) =
    let args = fsi.CommandLineArgs
    match Array.tryFindIndex ((=) ("--" + name)) args with
    | Some i when i + 1 < args.Length -> args.[i + 1]
    | _ -> fallback

/// Sets libtorch's intra-op thread count (at least 1) for the rest of the script.
let setThreads (count: int) =
    try
        Guards.SetThreads count
    with :? System.ArgumentOutOfRangeException ->
        eprintfn "error: --threads %d: the thread count must be at least 1" count
        exit 2

/// The best device here: cuda:0 when TorchSharp sees a GPU, else the CPU.
let defaultDevice () = if torch.cuda.is_available () then torch.CUDA else torch.CPU

/// Parses `cpu`, `cuda` or `cuda:N`; CUDA only where TorchSharp can use it.
let parseDevice (text: string) : torch.Device =
    match text.Trim().ToLowerInvariant() with
    | "cpu" -> torch.CPU
    | t when t = "cuda" || t.StartsWith "cuda:" ->
        if not (torch.cuda.is_available ()) then
            eprintfn "error: --device %s: CUDA is not available here (no GPU visible, or TorchSharp's CPU-only libtorch is installed); use --device cpu" text
            exit 2
        match t with
        | "cuda" -> torch.CUDA
        | _ ->
            match System.Int32.TryParse(t.Substring 5) with
            | true, index when index >= 0 && index < torch.cuda.device_count () -> torch.device (DeviceType.CUDA, index)
            | _ ->
                eprintfn "error: --device %s: expected cuda:N with N below %d" text (torch.cuda.device_count ())
                exit 2
    | _ ->
        eprintfn "error: unknown device '%s': expected cpu, cuda or cuda:N" text
        exit 2

/// Records the runtime settings a result depends on (design rule 11).
let describeRuntime (device: torch.Device) =
    sprintf "TorchSharp on libtorch %s, %d thread(s), device %O" Symmetry.Core.Results.RuntimeInfo.CurrentLibTorchVersion (torch.get_num_threads ()) device
