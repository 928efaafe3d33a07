/// Mask statistics (ALGORITHMS §1): a dense model keeps Π N_i! permutations, a symmetric mask keeps the full symmetry
/// of the neurons that survive it, and on tiny models every count — permutations included, checked against a brute
/// force over all permutations of each hidden layer — matches oracles computed from the mask arrays.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.MaskStatisticsTests

open System
open System.Numerics
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Models
open Symmetry.Core.Masks
open Symmetry.Properties.MaskTestSupport

let private hidden (net: TestNet) = net.Layers.[.. net.Layers.Length - 2]

let private checkTotals (what: string) (expected: BigInteger) (stats: MaskStatistics) =
    Assert.That(stats.Permutations, Is.EqualTo expected, what + ": permutations")
    Assert.That(stats.PermutationDigits, Is.EqualTo(expected.ToString().Length), what + ": digits")
    Assert.That(stats.PermutationLog10, Is.EqualTo(log10PlusOne expected).Within(1e-9 * max 1.0 (log10PlusOne expected)), what + ": log10")

[<Property(MaxTest = 40)>]
let ``a dense model keeps the product of N factorial over its hidden layers`` () =
    let gen =
        gen {
            let! widths = Gen.choose (1, 6) |> Gen.bind (fun d -> Gen.listOfLength d (Gen.choose (1, 40)))
            let! features = Gen.choose (1, 10)
            let! classes = Gen.choose (1, 10)
            return features, widths, classes
        }
    Prop.forAll (Arb.fromGen gen) (fun (features, widths, classes) ->
        use scope = torch.NewDisposeScope()
        let net = mlp features widths classes 1UL
        use model = net.Model
        use dense = new ModelMask()
        let expected = widths |> List.fold (fun (a: BigInteger) w -> a * factorial w) BigInteger.One
        let stats = MaskStatistics.Compute(model, dense)
        checkTotals "dense" expected stats
        Assert.That(stats.TotalNeurons, Is.EqualTo(int64 (List.sum widths + classes)))
        Assert.That(stats.ZeroedNeurons, Is.EqualTo 0L)
        Assert.That(stats.UniqueNeurons, Is.EqualTo(int64 (widths.Length + 1)), "dense rows are all alike")
        Assert.That(stats.Sparsity, Is.EqualTo 0.0)
        // an all-ones mask is the same as no mask
        use ones = ModelMasks.Create(model, MaskType.Random, 0.0, 3UL)
        checkTotals "all ones" expected (MaskStatistics.Compute(model, ones)))

[<Test>]
let ``the seed's example: six layers of sixteen neurons have 8.39e79 symmetries`` () =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 1UL
    use model = ModelZoo.Create("mnist-fc", ModelConfig.Mnist, g)
    let stats = MaskStatistics.Compute(model) // no masks on the model: dense
    let expected = BigInteger.Pow(factorial 16, 6)
    checkTotals "mnist-fc" expected stats
    Assert.That(stats.PermutationDigits, Is.EqualTo 80)
    Assert.That(stats.PermutationLog10, Is.EqualTo(79.9238).Within(1e-4))
    // a dense conv model too: mnist-cnn filters 3, 4 and a dense layer of 5 → 3!·4!·5!
    use cnn = ModelZoo.Create("mnist-cnn", ConvNetConfig(1, 8, Filters = [| 3; 4 |], Kernel = Nullable 3, DenseWidth = Nullable 5), g)
    checkTotals "mnist-cnn" (factorial 3 * factorial 4 * factorial 5) (MaskStatistics.Compute(cnn))

[<Property(MaxTest = 40)>]
let ``symmetric masks keep the full symmetry of the neurons they keep`` () =
    let gen =
        gen {
            let! features = Gen.choose (1, 12)
            let! widths = Gen.choose (1, 4) |> Gen.bind (fun d -> Gen.listOfLength d (Gen.choose (1, 30)))
            let! p, q = genFraction
            let! seed = Gen.choose (0, Int32.MaxValue)
            return features, widths, p, q, uint64 seed
        }
    Prop.forAll (Arb.fromGen gen) (fun (features, widths, p, q, seed) ->
        use scope = torch.NewDisposeScope()
        let net = mlp features widths 4 seed
        use model = net.Model
        for excludeOutput in [ false; true ] do
            use mask = ModelMasks.Create(model, MaskType.Symmetric, fraction p q, seed, excludeOutputLayer = excludeOutput)
            let masks = readMasks net mask
            let stats = MaskStatistics.Compute(model, mask)
            for i, l in Array.indexed (hidden net) do
                let rows = Array.init l.Units (row net masks i)
                Assert.That(rows |> Array.forall ((=) rows.[0]), sprintf "%s: identical rows" l.Name)
                // every neuron has the same inputs; the next layer's pattern keeps some of them: those are interchangeable
                let kept = if allZero rows.[0] then 0 else Seq.length (Seq.filter (fun u -> not (allZero (outgoing net masks i u))) (seq { 0 .. l.Units - 1 }))
                Assert.That(stats.Layers.[i].Permutations, Is.EqualTo(factorial kept), sprintf "%s: %d! permutations" l.Name kept)
                Assert.That(stats.Layers.[i].PermutationGroups, Is.EqualTo(if kept > 0 then 1L else 0L))
                if excludeOutput && i = net.Layers.Length - 2 && not (allZero rows.[0]) then
                    Assert.That(stats.Layers.[i].Permutations, Is.EqualTo(factorial l.Units), "last hidden layer before a dense output: N!"))

/// Compares every statistic of `mask` (and of its propagation) with the oracles.
let private checkAgainstOracles (net: TestNet) (mask: ModelMask) =
    let check (what: string) (m: ModelMask) =
        let masks = readMasks net m
        let stats = MaskStatistics.Compute(net.Model, m)
        Assert.That(stats.Layers.Count, Is.EqualTo net.Layers.Length)
        let mutable total = BigInteger.One
        let mutable weights, zerosAll = 0, 0
        for i, l in Array.indexed net.Layers do
            let s = stats.Layers.[i]
            let zeros, zeroed, unique, surviving, groups = layerCounts net masks i
            let where = sprintf "%s %s" what l.Name
            Assert.That(s.Name, Is.EqualTo l.Name, where)
            Assert.That(s.IsMasked, Is.EqualTo masks.[i].IsSome, where + " masked")
            Assert.That(s.Zeros, Is.EqualTo(int64 zeros), where + " zeros")
            Assert.That(s.TotalNeurons, Is.EqualTo(int64 l.Units), where + " total")
            Assert.That(s.ZeroedNeurons, Is.EqualTo(int64 zeroed), where + " zeroed")
            Assert.That(s.UniqueNeurons, Is.EqualTo(int64 unique), where + " unique")
            Assert.That(s.SurvivingNeurons, Is.EqualTo(int64 surviving), where + " surviving")
            Assert.That(s.PermutationGroups, Is.EqualTo(int64 groups), where + " groups")
            let expected = if i < net.Layers.Length - 1 then bruteForcePermutations net masks i else BigInteger.One
            Assert.That(s.Permutations, Is.EqualTo expected, where + " permutations (brute force)")
            total <- total * expected
            if masks.[i].IsSome then
                weights <- weights + l.Units * l.FanIn
                zerosAll <- zerosAll + zeros
        checkTotals what total stats
        Assert.That(stats.Sparsity, Is.EqualTo(if weights = 0 then 0.0 else float zerosAll / float weights).Within(1e-12), what + " sparsity")
        Assert.That(stats.TotalNeurons, Is.EqualTo(net.Layers |> Array.sumBy (fun l -> int64 l.Units)))
    check "mask" mask
    use propagated = MaskPropagation.Propagate(net.Model, mask)
    check "propagated" propagated
    use both = MaskPropagation.Propagate(net.Model, mask, removeUnitsWithoutOutputs = true)
    check "propagated both ways" both

[<Property(MaxTest = 150)>]
let ``permutation counts match a brute force over every permutation of each hidden layer`` () =
    let gen =
        gen {
            let! spec = genNetSpec 5
            let! t = Gen.elements [| MaskType.Random; MaskType.Bernoulli; MaskType.Symmetric; MaskType.PerNeuron; MaskType.PerNeuronNoInputAblation |]
            let! p, q = Gen.oneof [ genFraction; genHighFraction ]
            let! seed = Gen.choose (0, Int32.MaxValue)
            let! excludeOutput = Gen.elements [ false; false; true ]
            return spec, t, p, q, uint64 seed, excludeOutput
        }
    Prop.forAll (Arb.fromGen gen) (fun (spec, t, p, q, seed, excludeOutput) ->
        use scope = torch.NewDisposeScope()
        let net = build spec seed
        use model = net.Model
        let created =
            try
                Some(ModelMasks.Create(model, t, fraction p q, seed, excludeOutputLayer = excludeOutput))
            with :? ArgumentException when t = MaskType.PerNeuronNoInputAblation -> None
        match created with
        | None -> ()
        | Some mask ->
            use mask = mask
            checkAgainstOracles net mask)

[<Test>]
let ``a hand-made mask: twins, a dead unit and a unit without outputs`` () =
    use scope = torch.NewDisposeScope()
    let net = mlp 3 [ 4 ] 2 1UL
    use model = net.Model
    use mask = new ModelMask()
    // hidden units 0 and 1 are twins (same inputs, same outputs); 2 has no inputs; 3 has inputs but no outputs.
    mask.Add(net.Layers.[0].Name, matrix [ [ 1.0f; 0.0f; 1.0f ]; [ 1.0f; 0.0f; 1.0f ]; [ 0.0f; 0.0f; 0.0f ]; [ 0.0f; 1.0f; 0.0f ] ]) |> ignore
    mask.Add(net.Layers.[1].Name, matrix [ [ 1.0f; 1.0f; 1.0f; 0.0f ]; [ 0.0f; 0.0f; 1.0f; 0.0f ] ]) |> ignore
    let stats = MaskStatistics.Compute(model, mask)
    let h = stats.Layers.[0]
    Assert.That((h.TotalNeurons, h.ZeroedNeurons, h.UniqueNeurons, h.SurvivingNeurons, h.PermutationGroups), Is.EqualTo((4L, 1L, 2L, 2L, 1L)))
    Assert.That(h.Permutations, Is.EqualTo(BigInteger 2))
    Assert.That(stats.Permutations, Is.EqualTo(BigInteger 2))
    use forward = MaskPropagation.Propagate(model, mask)
    same "forward, output layer" [| 1.0f; 1.0f; 0.0f; 0.0f; 0.0f; 0.0f; 0.0f; 0.0f |] (values forward.[net.Layers.[1].Name])
    same "forward only: unit 3 keeps its inputs" (values mask.[net.Layers.[0].Name]) (values forward.[net.Layers.[0].Name])
    use both = MaskPropagation.Propagate(model, mask, removeUnitsWithoutOutputs = true)
    same "both ways, hidden layer" [| 1.0f; 0.0f; 1.0f; 1.0f; 0.0f; 1.0f; 0.0f; 0.0f; 0.0f; 0.0f; 0.0f; 0.0f |] (values both.[net.Layers.[0].Name])
    let report = MaskReport.Create(model, mask, removeUnitsWithoutOutputs = true)
    Assert.That(report.Mask.ZeroedNeurons, Is.EqualTo 1L)
    Assert.That(report.Propagated.ZeroedNeurons, Is.EqualTo 3L, "units 2 and 3 of the hidden layer, output unit 1 (all its inputs dead)")

[<Test>]
let ``the flat view has the documented keys and exact permutations`` () =
    use scope = torch.NewDisposeScope()
    let net = mlp 4 [ 20; 20 ] 3 1UL
    use model = net.Model
    use mask = ModelMasks.Create(model, MaskType.Symmetric, 0.25, 2UL)
    let stats = MaskStatistics.Compute(model, mask)
    let flat = stats.ToFlat()
    let keys = flat |> Seq.map (fun kv -> kv.Key) |> List.ofSeq
    same "keys" [ "sparsity"; "weights"; "zeros"; "total_neurons"; "zeroed_neurons"; "unique_neurons"; "surviving_neurons"; "permutation_groups"; "permutations"; "permutation_digits"; "permutation_log10" ] keys
    let value key = (flat |> Seq.find (fun kv -> kv.Key = key)).Value
    Assert.That(BigInteger.Parse(value "permutations" :?> string), Is.EqualTo stats.Permutations)
    Assert.That(value "permutation_digits" :?> int, Is.EqualTo stats.PermutationDigits)
    Assert.That(value "permutation_log10" :?> float, Is.EqualTo stats.PermutationLog10)
    Assert.That(value "sparsity" :?> float, Is.EqualTo stats.Sparsity)
    Assert.That(value "total_neurons" :?> int64, Is.EqualTo 43L)
    // symmetric at 0.25: each hidden layer keeps 20 − 5 = 15 interchangeable neurons (the next layer drops 5)
    Assert.That(stats.Permutations, Is.EqualTo(factorial 15 * factorial 15))
    let withLayers = stats.ToFlat("mask/", includeLayers = true) |> Seq.map (fun kv -> kv.Key) |> Set.ofSeq
    Assert.That(withLayers.Contains "mask/permutations")
    Assert.That(withLayers.Contains(sprintf "mask/layers/%s/permutations" net.Layers.[1].Name))
    let report = MaskReport.Create(model, mask).ToFlat() |> Seq.map (fun kv -> kv.Key) |> List.ofSeq
    Assert.That(report |> List.filter (fun k -> k.StartsWith "mask/") |> List.length, Is.EqualTo 11)
    Assert.That(report |> List.contains "propagated_mask/unique_neurons")
