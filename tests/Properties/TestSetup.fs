namespace Symmetry.Properties

open NUnit.Framework

/// Loads TorchSharp's natives (Symmetry.Torch.TorchRuntime.Ensure) once, before any test of this namespace touches
/// TorchSharp: the one way the project loads them (design rule 2), so that no by-name lookup can pick up another
/// libtorch on the machine.
[<SetUpFixture>]
type TorchSetUp() =
    [<OneTimeSetUp>]
    member _.LoadTorch() = Symmetry.Torch.TorchRuntime.Ensure()
