// Shared by every script: loads the built assemblies (run `dotnet fsi build.fsx build` first) from the F# face's
// output folder, which holds Symmetry.FSharp, Symmetry.Core, Symmetry.Torch, TorchSharp and every managed dependency;
// then loads TorchSharp's natives (by full path from the NuGet package folder: they are not copied next to them).
// Outside this repository, one line does the same from a package: see the README ("From your own script").
#I "../Symmetry.FSharp/bin/Release/net10.0"
#r "TorchSharp.dll"
#r "Google.Protobuf.dll"
#r "ICSharpCode.SharpZipLib.dll"
#r "Symmetry.Torch.dll"
#r "Symmetry.Core.dll"
#r "Symmetry.FSharp.dll"

open TorchSharp
open Symmetry.Torch

// Before the first TorchSharp call (design rule 2); a missing or unloadable libtorch stops the script with the fix.
try
    TorchRuntime.Ensure()
with :? TorchRuntimeException as error ->
    eprintfn "error: %s" error.Message
    exit 2
