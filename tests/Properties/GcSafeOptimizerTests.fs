/// Our optimizers keep every Scalar alive through its native call (TorchSharp's implicit Scalars can be finalized
/// mid-call); they must compute exactly what TorchSharp's own optimizers compute.
module Symmetry.Properties.GcSafeOptimizerTests

open FsCheck
open FsCheck.FSharp
open FsCheck.NUnit
open NUnit.Framework
open TorchSharp
open TorchSharp.Modules
open Symmetry.Torch
open Symmetry.Torch.Optimizers

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

type private Kind =
    | Adam
    | AdamW
    | Sgd of momentum: float * nesterov: bool

type private Case = { Kind: Kind; Size: int; Steps: int; Lr: float; Decay: float; Seed: int }

let private genCase =
    gen {
        let! kind = Gen.elements [ Adam; AdamW; Sgd(0.0, false); Sgd(0.9, false); Sgd(0.9, true) ]
        let! size = Gen.choose (1, 40)
        let! steps = Gen.choose (1, 8)
        let! lr = Gen.elements [ 1e-3; 0.01; 0.1 ]
        let! decay = Gen.elements [ 0.0; 1e-5; 0.01 ]
        let! seed = Gen.choose (0, 10_000)
        return { Kind = kind; Size = size; Steps = steps; Lr = lr; Decay = decay; Seed = seed }
    }

let private create (c: Case) (safe: bool) (p: Parameter) : torch.optim.Optimizer =
    match c.Kind, safe with
    | Adam, true -> new GcSafeAdam([ p ], c.Lr, 0.9, 0.999, 1e-8, c.Decay)
    | Adam, false -> torch.optim.Adam([ p ], c.Lr, 0.9, 0.999, 1e-8, c.Decay)
    | AdamW, true -> new GcSafeAdamW([ p ], c.Lr, 0.9, 0.999, 1e-8, c.Decay)
    | AdamW, false -> torch.optim.AdamW([ p ], c.Lr, 0.9, 0.999, 1e-8, c.Decay)
    | Sgd(m, n), true -> new GcSafeSgd([ p ], c.Lr, m, n, c.Decay)
    | Sgd(m, n), false -> torch.optim.SGD([ p ], c.Lr, m, nesterov = n, weight_decay = c.Decay)

/// The parameter's float32 values after `c.Steps` steps on gradients drawn from `c.Seed`.
let private train (c: Case) (safe: bool) =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create(uint64 c.Seed)
    use p = new Parameter(torch.randn([| int64 c.Size |], generator = g))
    use optimizer = create c safe p
    for _ in 1 .. c.Steps do
        use grad = torch.randn([| int64 c.Size |], generator = g)
        p.grad <- grad
        optimizer.step() |> ignore
    p.data<float32>().ToArray()

[<FsCheck.NUnit.Property(MaxTest = 60)>]
let ``the GC-safe optimizers update bit for bit as TorchSharp's Adam, AdamW and SGD`` () =
    Prop.forAll (Arb.fromGen genCase) (fun c ->
        let ours, theirs = train c true, train c false
        (ours = theirs) |> Prop.label (sprintf "%A: %A vs %A" c ours theirs))
