/// The permutations a mask preserves, as counted by the mask statistics, really are symmetries of the masked
/// network: they map the mask onto itself and leave the outputs unchanged. A researcher's own plain TorchSharp
/// nn.Sequential (not a zoo model) goes through mask statistics, ModelMask.ApplyTo, spec inference and weight
/// matching with every result checked against an oracle.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.MaskSymmetryTests

open System
open System.Numerics
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
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
    let shape = t.shape
    let data = MaskTestSupport.values t
    Array.init (int shape.[0]) (fun r -> Array.init (int shape.[1]) (fun c -> data.[r * int shape.[1] + c] <> 0.0f))

let rec private factorial (n: int) : BigInteger = if n <= 1 then BigInteger.One else BigInteger n * factorial (n - 1)

[<Property(MaxTest = 40, Arbitrary = [| typeof<Cases> |])>]
let ``permuting neurons within the mask's symmetry classes preserves the mask and the outputs`` (case: Case) =
    use scope = torch.NewDisposeScope()
    use init = Generators.Create(uint64 case.Seed)
    use model = ModelZoo.Create("mnist-fc", MlpConfig(1, 3, 4, Widths = case.Widths), init)
    model.``to``(torch.float64) |> ignore
    model.eval()
    use drawn = ModelMasks.Create(model, case.MaskType, case.Sparsity, uint64 case.Seed + 1UL)
    use mask = MaskPropagation.Propagate(model, drawn)
    model.SetMask mask
    let weights = [ for struct (name, _) in model.named_parameters() do if name.EndsWith ".weight" then yield name ]
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
    use state = StateDicts.Copy model
    use maskState = new NamedTensors()
    for KeyValue(name, t) in state do
        match mask.TryGet name with
        | true, found ->
            match found with
            | null -> maskState.Add(name, t.clone())
            | m -> maskState.Add(name, m.``to``(torch.float64).clone())
        | _ -> maskState.Add(name, t.clone())
    use permutedMask = spec.Apply(perms, maskState)
    for name in weights do
        TestSupport.assertArrayEqual ("mask " + name) (maskState.[name].data<float>().ToArray()) (permutedMask.[name].data<float>().ToArray())
    // ...and the permuted masked network computes the same function.
    let x = torch.randn([| 7L; 1L; 3L; 3L |], dtype = torch.float64, generator = init)
    let before = model.call(x).data<float>().ToArray()
    use permuted = spec.Apply(perms, state)
    StateDicts.Load(model, permuted)
    let after = model.call(x).data<float>().ToArray()
    TestSupport.assertAllClose "outputs" 1e-10 1e-12 before after

// ---------------------------------------------------------------- a researcher's own nn.Sequential

// Core works in TorchSharp's own types: a model a researcher builds directly with nn.Sequential (not through the zoo)
// goes through mask generation and statistics, ModelMask.ApplyTo, permutation-spec inference and weight matching,
// and each result is checked against an oracle computed without the code under test.

/// A plain MLP case: features, hidden widths, classes, mask type, sparsity p/q, seed.
type PlainCase =
    { Features: int
      Widths: int list
      Classes: int
      Kind: MaskType
      P: int
      Q: int
      Seed: uint64 }

let private plainCases =
    gen {
        let! features = Gen.choose (1, 4)
        let! widths = Gen.choose (1, 3) |> Gen.bind (fun d -> Gen.listOfLength d (Gen.choose (1, 5)))
        let! classes = Gen.choose (1, 3)
        let! t = Gen.elements [ MaskType.Random; MaskType.Bernoulli; MaskType.Symmetric; MaskType.PerNeuron; MaskType.PerNeuronNoInputAblation ]
        let! p, q = Gen.oneof [ MaskTestSupport.genFraction; MaskTestSupport.genHighFraction ]
        let! seed = Gen.choose (0, Int32.MaxValue)
        return { Features = features; Widths = widths; Classes = classes; Kind = t; P = p; Q = q; Seed = uint64 seed }
    }

let private axesText (spec: PermutationSpec) (name: string) =
    spec.AxesOf name |> Seq.map (fun a -> if a.HasValue then a.Value.ToString() else "-") |> String.concat ", "

/// The float64 values of a state entry.
let private doublesOf (state: NamedTensors) (name: string) = state.[name].data<float>().ToArray()

[<Property(MaxTest = 60)>]
let ``a researcher's own nn.Sequential: mask statistics, ApplyTo, spec inference and permuted outputs match oracles`` () =
    Prop.forAll (Arb.fromGen plainCases) (fun c ->
        use scope = torch.NewDisposeScope()
        let net = MaskTestSupport.plainMlp c.Features c.Widths c.Classes c.Seed
        use model = net.Model
        model.``to``(torch.float64) |> ignore
        model.eval()
        let hidden = c.Widths.Length
        let linear = net.Layers |> Array.map (fun l -> l.Name)
        MaskTestSupport.same "the Linear weights of the plain net" [| for i in 0..hidden -> sprintf "%d.weight" (2 * i) |] linear
        // Dense (no mask, an empty mask): Π wᵢ! over the hidden layers.
        let dense = c.Widths |> List.fold (fun (a: BigInteger) w -> a * MaskTestSupport.factorial w) BigInteger.One
        use empty = new ModelMask()
        Assert.That(MaskStatistics.Compute(model).Permutations, Is.EqualTo dense, "no mask: Π wᵢ!")
        Assert.That(MaskStatistics.Compute(model, empty).Permutations, Is.EqualTo dense, "empty mask: Π wᵢ!")
        // Spec inference: each hidden Linear's output is permuted by P_<child>, and the next Linear's input by it too.
        let spec = PermutationSpec.For model
        for i in 0..hidden do
            let output = if i < hidden then sprintf "P_%d" (2 * i) else "-"
            let input = if i > 0 then sprintf "P_%d" (2 * (i - 1)) else "-"
            Assert.That(axesText spec (sprintf "%d.weight" (2 * i)), Is.EqualTo(output + ", " + input), sprintf "%d.weight" (2 * i))
            Assert.That(axesText spec (sprintf "%d.bias" (2 * i)), Is.EqualTo output, sprintf "%d.bias" (2 * i))
        MaskTestSupport.same "permutation names" [| for i in 0 .. hidden - 1 -> sprintf "P_%d" (2 * i) |] (Array.ofSeq spec.PermutationNames)
        c.Widths |> List.iteri (fun i w -> Assert.That(spec.SizeOf(sprintf "P_%d" (2 * i)), Is.EqualTo w, "size of P_" + string (2 * i)))
        let created =
            try
                Some(ModelMasks.Create(model, c.Kind, MaskTestSupport.fraction c.P c.Q, c.Seed))
            with :? ArgumentException when c.Kind = MaskType.PerNeuronNoInputAblation -> None
        match created with
        | None -> ()
        | Some mask ->
            use mask = mask
            MaskTestSupport.same "mask entries: every Linear weight, in order" linear (Array.ofSeq mask.Names)
            // Statistics against the oracles of MaskTestSupport (counts from the arrays, permutations by brute force).
            let masks = MaskTestSupport.readMasks net mask
            let stats = MaskStatistics.Compute(model, mask)
            Assert.That(stats.Layers.Count, Is.EqualTo net.Layers.Length)
            let mutable total = BigInteger.One
            for i, l in Array.indexed net.Layers do
                let s = stats.Layers.[i]
                let zeros, zeroed, unique, surviving, groups = MaskTestSupport.layerCounts net masks i
                Assert.That((s.Name, s.Zeros, s.ZeroedNeurons, s.UniqueNeurons, s.SurvivingNeurons, s.PermutationGroups),
                            Is.EqualTo((l.Name, int64 zeros, int64 zeroed, int64 unique, int64 surviving, int64 groups)), l.Name)
                let expected = if i < hidden then MaskTestSupport.bruteForcePermutations net masks i else BigInteger.One
                Assert.That(s.Permutations, Is.EqualTo expected, l.Name + ": permutations (brute force)")
                total <- total * expected
            Assert.That(stats.Permutations, Is.EqualTo total, "total permutations")
            // ApplyTo on the plain module: masked weights become exactly zero, everything else is untouched.
            use before = StateDicts.Copy model
            mask.ApplyTo model
            use state = StateDicts.Copy model
            for KeyValue(name, _) in state do
                let original = doublesOf before name
                let expected =
                    match Array.tryFindIndex ((=) name) linear with
                    | Some i -> Array.mapi (fun k x -> if MaskTestSupport.at masks.[i] k = 0.0f then 0.0 else x) original
                    | None -> original
                TestSupport.assertArrayEqual (name + " after ApplyTo") expected (doublesOf state name)
            // P(W ⊙ M) = P(W) ⊙ P(M), and the permuted masked net computes the same function.
            use maskState = new NamedTensors()
            for KeyValue(name, t) in state do
                match mask.TryGet name with
                | true, found ->
                    match found with
                    | null -> maskState.Add(name, torch.ones_like(t))
                    | m -> maskState.Add(name, m.``to``(torch.float64).clone())
                | _ -> maskState.Add(name, torch.ones_like(t))
            use g = Generators.Create(c.Seed + 1UL)
            let perms = spec.Random g
            use permuted = spec.Apply(perms, state)
            use permutedMask = spec.Apply(perms, maskState)
            for name in linear do
                let expected = Array.map2 (fun (w: float) (m: float) -> if m = 0.0 then 0.0 else w) (doublesOf permuted name) (doublesOf permutedMask name)
                TestSupport.assertArrayEqual (name + ": permuted weights zero exactly where the permuted mask is") expected (doublesOf permuted name)
            use x = torch.randn([| 5L; int64 c.Features |], dtype = torch.float64, generator = g)
            let y0 = model.call(x).data<float>().ToArray()
            StateDicts.Load(model, permuted)
            let y1 = model.call(x).data<float>().ToArray()
            TestSupport.assertAllClose "outputs of the permuted masked net" 1e-10 1e-12 y0 y1)

[<Property(MaxTest = 12)>]
let ``weight matching of a researcher's own nn.Sequential with a permuted copy recovers one hidden layer's permutation and keeps deeper nets' function`` () =
    // Widths from 8 (see WeightMatchingTests: smaller layers let the local search stop early now and then).
    let cases =
        gen {
            let! features = Gen.choose (8, 12)
            let! widths = Gen.choose (1, 3) |> Gen.bind (fun d -> Gen.listOfLength d (Gen.choose (8, 16)))
            let! classes = Gen.choose (3, 10)
            let! seed = Gen.choose (0, Int32.MaxValue)
            return features, widths, classes, uint64 seed
        }
    Prop.forAll (Arb.fromGen cases) (fun (features, widths, classes, seed) ->
        use scope = torch.NewDisposeScope()
        let net = MaskTestSupport.plainMlp features widths classes seed
        use model = net.Model
        use a = StateDicts.Copy model
        let spec = PermutationSpec.For model
        use g = Generators.Create(seed + 1UL)
        let p = spec.Random g
        use b = spec.Apply(p, a)
        Assert.That(TestSupport.identicalStates a b, Is.False, "a random permutation set moves the weights")
        // The permuted copy: another plain net of the same shape, holding P(A), computes the same outputs.
        let other = MaskTestSupport.plainMlp features widths classes (seed + 2UL)
        use copy = other.Model
        StateDicts.Load(copy, b)
        use x = torch.randn([| 16L; int64 features |], generator = g)
        use noGrad = torch.no_grad()
        let y0 = model.call(x).data<float32>().ToArray()
        let y1 = copy.call(x).data<float32>().ToArray()
        let scale = y0 |> Array.map abs |> Array.max |> max 1.0f
        let err = Array.map2 (fun (u: float32) v -> abs (u - v)) y0 y1 |> Array.max
        Assert.That(err, Is.LessThanOrEqualTo(1e-5f * scale), "the permuted copy computes the original's outputs (float32)")
        // With one hidden layer the matching is one exact assignment problem, so it must return P⁻¹; applying it to
        // the copy gives A bit for bit. Deeper, coordinate descent may stop at another fixed point (weight matching
        // is a heuristic there), but any permutation it returns keeps the copy's function.
        let result = WeightMatching.Match(spec, a, b, g)
        Assert.That(result.Converged, Is.True, "converged")
        Assert.That(result.Objective, Is.GreaterThanOrEqualTo result.InitialObjective, "the objective does not decrease")
        use aligned = spec.Apply(result.Permutations, b)
        StateDicts.Load(copy, aligned)
        let y2 = copy.call(x).data<float32>().ToArray()
        if List.length widths = 1 then
            Assert.That(PermutationSets.SetEquals(result.Permutations, PermutationSets.Inverse p), Is.True, "matching B = P(A) to A returns P⁻¹")
            Assert.That(TestSupport.identicalStates a aligned, Is.True, "P⁻¹(B) = A bitwise")
            MaskTestSupport.same "outputs of the aligned copy, bit for bit" y0 y2
        else
            let err2 = Array.map2 (fun (u: float32) v -> abs (u - v)) y0 y2 |> Array.max
            Assert.That(err2, Is.LessThanOrEqualTo(1e-5f * scale), "the aligned copy computes the original's outputs (float32)"))
