/// The permutations a mask preserves, as counted by the mask statistics, really are symmetries of the masked
/// network: they map the mask onto itself and leave the outputs unchanged.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.MaskSymmetryTests

open System
open System.Numerics
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open FsCheck.NUnit
open Symmetry.Torch
open Symmetry.Torch.NN
open Symmetry.Core.Models
open Symmetry.Core.Masks
open Symmetry.Core.Permutations

type Case = { Widths: int[]; MaskType: string; Sparsity: float; Seed: int }

let private cases =
    gen {
        let! depth = Gen.choose (2, 3)
        let! widths = Gen.arrayOfLength depth (Gen.choose (3, 6))
        let! maskType = Gen.elements [ "random"; "symmetric"; "per-neuron"; "bernoulli" ]
        let! sparsity = Gen.choose (1, 6) |> Gen.map (fun k -> float k / 10.0)
        let! seed = Gen.choose (0, 100000)
        return { Widths = widths; MaskType = maskType; Sparsity = sparsity; Seed = seed }
    }
    |> Arb.fromGen

type Cases = static member Case() = cases

/// The mask of `name` as a boolean matrix (rows = neurons).
let private rows (mask: ModelMask) (name: string) =
    let t =
        match mask.TryGet name with
        | true, found ->
            match found with
            | null -> failwithf "no mask for %s" name
            | t -> t
        | _ -> failwithf "no mask for %s" name
    let shape = t.Shape
    let data = t.ToArray<float32>()
    Array.init (int shape.[0]) (fun r -> Array.init (int shape.[1]) (fun c -> data.[r * int shape.[1] + c] <> 0.0f))

let rec private factorial (n: int) : BigInteger = if n <= 1 then BigInteger.One else BigInteger n * factorial (n - 1)

[<Property(MaxTest = 40, Arbitrary = [| typeof<Cases> |])>]
let ``permuting neurons within the mask's symmetry classes preserves the mask and the outputs`` (case: Case) =
    use scope = Torch.NewScope()
    use init = new Generator(uint64 case.Seed)
    use model = ModelZoo.Create("mnist-fc", ModelConfig(1, 3, 4, Widths = case.Widths), init)
    model.To(Device.Cpu, DType.Float64) |> ignore
    model.Eval() |> ignore
    use drawn = ModelMasks.Create(model, case.MaskType, case.Sparsity, uint64 case.Seed + 1UL)
    use mask = MaskPropagation.Propagate(model, drawn)
    mask.ApplyTo model
    let weights = [ for name, _ in model.NamedParameters() do if name.EndsWith ".weight" then yield name ]
    let spec = PermutationSpec.For model
    let random = Random case.Seed
    let perms = spec.Identity()
    let mutable expectedCount = BigInteger.One
    // Oracle, from the mask arrays alone: in each hidden layer, neurons with a kept input and a kept output, grouped by
    // (incoming row, outgoing column); shuffle each group.
    for layer in 0 .. weights.Length - 2 do
        let incoming = rows mask weights.[layer]
        let outgoing = rows mask weights.[layer + 1]
        let key j = (Array.map id incoming.[j], Array.init outgoing.Length (fun o -> outgoing.[o].[j]))
        let survivors = [ for j in 0 .. incoming.Length - 1 do if Array.exists id incoming.[j] && Array.exists id (snd (key j)) then yield j ]
        let map = Array.init incoming.Length id
        for _, group in survivors |> List.groupBy (fun j -> let a, b = key j in String(Array.map (fun x -> if x then '1' else '0') (Array.append a b))) do
            expectedCount <- expectedCount * factorial group.Length
            let shuffled = group |> List.sortBy (fun _ -> random.Next()) |> Array.ofList
            List.iteri (fun k j -> map.[j] <- shuffled.[k]) group
        let name = (spec.AxesOf weights.[layer]).[0].Value.Permutation
        perms.[name] <- Permutation(map)
    // The statistics count exactly these permutations.
    let statistics = MaskStatistics.Compute(model, mask)
    Assert.That(statistics.Permutations, Is.EqualTo expectedCount, "permutation count")
    // The permutation maps the mask onto itself...
    use state = model.StateDict()
    use maskState = new StateDict()
    for KeyValue(name, t) in state.Entries do
        match mask.TryGet name with
        | true, found ->
            match found with
            | null -> maskState.Add(name, t.Clone())
            | m -> maskState.Add(name, m.To(DType.Float64).Clone())
        | _ -> maskState.Add(name, t.Clone())
    use permutedMask = spec.Apply(perms, maskState)
    for name in weights do
        TestSupport.assertArrayEqual ("mask " + name) (maskState.[name].ToArray<float>()) (permutedMask.[name].ToArray<float>())
    // ...and the permuted masked network computes the same function.
    let x = Torch.Randn([| 7L; 1L; 3L; 3L |], init, DType.Float64)
    let before = model.Forward(x).ToArray<float>()
    use permuted = spec.Apply(perms, state)
    model.Load permuted
    let after = model.Forward(x).ToArray<float>()
    TestSupport.assertAllClose "outputs" 1e-10 1e-12 before after
