/// Mask propagation (ALGORITHMS §1): it never adds a connection, is idempotent, matches an independent forward
/// propagation, leaves dead units without outgoing connections (Linear columns, conv input-channel slices, the H·W
/// columns of a flattened channel), optionally removes units without outputs, and refuses residual models.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.MaskPropagationTests

open System
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Models
open Symmetry.Core.Masks
open Symmetry.Properties.MaskTestSupport

let private propagationTypes = [| MaskType.Random; MaskType.Bernoulli; MaskType.PerNeuron; MaskType.Symmetric |]

[<Property(MaxTest = 120)>]
let ``propagation only removes, is idempotent and leaves dead units without outputs`` () =
    let gen =
        gen {
            let! spec = genNetSpec 8
            let! t = Gen.elements propagationTypes
            let! p, q = genHighFraction
            let! seed = Gen.choose (0, Int32.MaxValue)
            let! backward = Gen.elements [ false; true ]
            let! excludeOutput = Gen.elements [ false; false; true ]
            return spec, t, p, q, uint64 seed, backward, excludeOutput
        }
    Prop.forAll (Arb.fromGen gen) (fun (spec, t, p, q, seed, backward, excludeOutput) ->
        use scope = torch.NewDisposeScope()
        let net = build spec seed
        use model = net.Model
        use mask = ModelMasks.Create(model, t, fraction p q, seed, excludeOutputLayer = excludeOutput)
        use propagated = MaskPropagation.Propagate(model, mask, removeUnitsWithoutOutputs = backward)
        use again = MaskPropagation.Propagate(model, propagated, removeUnitsWithoutOutputs = backward)
        same "same entries" (List.ofSeq mask.Names) (List.ofSeq propagated.Names)
        let before, after = readMasks net mask, readMasks net propagated
        assertSubset "propagated ≤ mask" net after before
        assertSameMasks "idempotent" net after (readMasks net again)
        let forward = forwardOracle net before
        if backward then assertSubset "backward removes at least as much" net after forward
        else assertSameMasks "forward propagation oracle" net forward after
        let last = net.Layers.Length - 1
        for i in 0 .. last - 1 do
            for u in 0 .. net.Layers.[i].Units - 1 do
                let dead = before.[i].IsSome && allZero (row net after i u)
                if dead && after.[i + 1].IsSome then
                    Assert.That(allZero (outgoing net after i u), sprintf "dead unit %d of %s still feeds %s" u net.Layers.[i].Name net.Layers.[i + 1].Name)
                if backward && after.[i].IsSome && not (allZero (row net after i u)) then
                    Assert.That(allZero (outgoing net after i u), Is.False, sprintf "unit %d of %s kept without outputs" u net.Layers.[i].Name))

[<Test>]
let ``a dead conv channel loses its H·W columns after a flatten and its slice in the next conv`` () =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 1UL
    use model = ModelZoo.Create("lenet-5", ModelConfig.Mnist, g)
    // layers.0 conv 6, layers.3 conv 16 (5×5), flatten of 16×5×5, layers.7 Linear(400 → 120), …
    use mask = ModelMasks.Create(model, MaskType.Random, 0.0, 1UL)
    let conv1 = values mask.["layers.0.weight"]
    for k in 2 * 25 .. 3 * 25 - 1 do
        conv1.[k] <- 0.0f // filter 2 of the first conv: no inputs
    mask.Add("layers.0.weight", floatTensor [| 6L; 1L; 5L; 5L |] conv1) |> ignore
    let conv2 = values mask.["layers.3.weight"]
    for k in 5 * 150 .. 6 * 150 - 1 do
        conv2.[k] <- 0.0f // filter 5 of the second conv
    mask.Add("layers.3.weight", floatTensor [| 16L; 6L; 5L; 5L |] conv2) |> ignore
    use propagated = MaskPropagation.Propagate(model, mask)
    let next = values propagated.["layers.3.weight"]
    for o in 0 .. 15 do
        for c in 0 .. 5 do
            for k in 0 .. 24 do
                let expected = if o = 5 || c = 2 then 0.0f else 1.0f
                Assert.That(next.[(o * 6 + c) * 25 + k], Is.EqualTo expected, sprintf "conv2[%d, %d, %d]" o c k)
    let dense = values propagated.["layers.7.weight"]
    for r in 0 .. 119 do
        for col in 0 .. 399 do
            let expected = if col / 25 = 5 then 0.0f else 1.0f
            Assert.That(dense.[r * 400 + col], Is.EqualTo expected, sprintf "linear[%d, %d]" r col)
    Assert.That(values propagated.["layers.9.weight"] |> Array.forall ((=) 1.0f), "later layers untouched")

[<Test>]
let ``residual models are refused clearly`` () =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 1UL
    use model = ModelZoo.Create("resnet-20", ModelConfig.Cifar10, g)
    use mask = ModelMasks.Create(model, MaskType.PerNeuron, 0.5, 1UL) // generation itself works for any model
    let e = raises<NotSupportedException> "propagate" (fun () -> MaskPropagation.Propagate(model, mask) |> ignore)
    contains "residual" e.Message
    raises<NotSupportedException> "statistics" (fun () -> MaskStatistics.Compute(model, mask) |> ignore) |> ignore
