/// Git Re-Basin weight matching (ALGORITHMS §6): it recovers a known random permutation of random and of briefly
/// trained zoo models exactly (B = P(A) gives P⁻¹, and applying it to B gives A bit for bit), never lowers the
/// objective, and state interpolation is exact at its ends.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.WeightMatchingTests

open System
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Models
open Symmetry.Core.Permutations
open Symmetry.Properties.TestSupport



/// Small zoo models of the three kinds: MLP, CNN with BatchNorm (and lenet-5, whose flatten makes blocks of 5×5
/// columns), ResNet with tied streams. Weight matching is a local search: with PyTorch's default init, a layer of
/// very small fan-in (2–6 units) after a permuted one lets the search stop in a local optimum from identities now and
/// then (about 1 in 300 for 6–10 units, 1 in 3 for lenet-5 on 14×14 inputs, whose flatten then has 16 features);
/// from 8 units per layer (and on 28×28 for lenet-5) no failure was seen in 1500 runs, so the generated sizes start
/// there.
let private modelGen =
    gen {
        let! seed = Gen.choose (0, Int32.MaxValue)
        let! k = Gen.choose (1, 3)
        let! widths = Gen.listOfLength k (Gen.choose (8, 16))
        let! filters = Gen.listOfLength 2 (Gen.choose (6, 10))
        let! dense = Gen.choose (6, 10)
        let! name, config =
            Gen.elements
                [ "mnist-fc", (MlpConfig(1, 8, Widths = ResizeArray widths) :> ModelConfig)
                  "mnist-cnn", (ConvNetConfig(3, 6, Filters = ResizeArray filters, Kernel = Nullable 3, DenseWidth = Nullable dense) :> ModelConfig)
                  "lenet-5", ModelConfig.Mnist
                  "cifar-resnet", (ResNetConfig(3, 6, BlocksPerStage = Nullable 1) :> ModelConfig) ]
        return name, config, uint64 seed
    }

/// A's state with random BatchNorm statistics and affine parameters (so that they carry information too).
let private randomState (name: string) (config: ModelConfig) (seed: uint64) : NamedTensors =
    use g = Generators.Create seed
    use model = ModelZoo.Create(name, config, g)
    use scope = torch.NewDisposeScope()
    use noGrad = torch.no_grad()
    for struct (_, m) in model.named_modules() do
        match m with
        | :? Modules.BatchNorm as bn ->
            match bn.running_mean, bn.running_var with
            | null, _
            | _, null -> failwithf "a BatchNorm of %s without running statistics" name
            | mean, var ->
                mean.copy_(torch.randn([| bn.num_features |], generator = g)) |> ignore
                var.copy_(torch.rand([| bn.num_features |], generator = g) + 0.5) |> ignore
        | _ -> ()
    StateDicts.Copy model

let private recovers (spec: PermutationSpec) (a: NamedTensors) (seed: uint64) =
    use g = Generators.Create seed
    let p = spec.Random g
    use b = spec.Apply(p, a)
    let result = WeightMatching.Match(spec, a, b, g)
    use aligned = spec.Apply(result.Permutations, b)
    let expected = PermutationSets.Inverse p
    (PermutationSets.SetEquals(result.Permutations, expected) |@ "matching B = P(A) to A returns P⁻¹")
    .&. (identicalStates a aligned |@ "P⁻¹(B) = A bitwise")
    .&. (result.Converged |@ "converged")
    .&. (result.Objective >= result.InitialObjective |@ "the objective does not decrease")

[<Property(MaxTest = 24)>]
let ``weight matching recovers a known permutation of a random model exactly`` () =
    Prop.forAll (Arb.fromGen modelGen) (fun (name, config, seed) ->
        use scope = torch.NewDisposeScope()
        use a = randomState name config seed
        use model = ModelZoo.Create(name, config, null)
        let spec = PermutationSpec.For model
        recovers spec a (seed + 1UL))

[<Property(MaxTest = 5)>]
let ``weight matching recovers a known permutation of a briefly trained MLP exactly`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.listOfLength 2 (Gen.choose (8, 16))) (Gen.choose (0, Int32.MaxValue)))) (fun (widths, seed) ->
        use scope = torch.NewDisposeScope()
        let seed = uint64 seed
        use g = Generators.Create seed
        use model = ModelZoo.Create("mnist-fc", MlpConfig(1, 8, Widths = ResizeArray widths), g)
        use x = torch.randn([| 64L; 1L; 8L; 8L |], generator = g)
        use y = torch.randint(0L, 10L, [| 64L |], generator = g)
        use opt = torch.optim.SGD(model.parameters(), 0.1, momentum = 0.9)
        for _ in 1..20 do
            use step = torch.NewDisposeScope()
            opt.zero_grad()
            let loss = torch.nn.functional.cross_entropy(model.call x, y)
            loss.backward()
            opt.step() |> ignore
        use a = StateDicts.Copy model
        recovers (PermutationSpec.For model) a (seed + 1UL))

[<Test>]
let ``matching a model to itself keeps the identities; the objective is the squared norm`` () =
    use scope = torch.NewDisposeScope()
    use a = randomState "mnist-fc" (MlpConfig(1, 4, Widths = [| 5; 4 |])) 3UL
    use model = ModelZoo.Create("mnist-fc", MlpConfig(1, 4, Widths = [| 5; 4 |]), null)
    let spec = PermutationSpec.For model
    use g = Generators.Create 1UL
    let result = WeightMatching.Match(spec, a, a, g)
    Assert.That(PermutationSets.SetEquals(result.Permutations, spec.Identity()), Is.True)
    Assert.That(result.Sweeps, Is.EqualTo 1)
    let squared = a |> Seq.sumBy (fun kv -> kv.Value.``to``(torch.float64).square().sum().item<float>())
    Assert.That(result.Objective, Is.EqualTo(squared).Within(1e-9).Percent)

[<Test>]
let ``interpolation is exact at its ends, linear in between, and copies integer buffers from A`` () =
    use scope = torch.NewDisposeScope()
    use a = randomState "mnist-cnn" (ConvNetConfig(1, 6, Filters = [| 3; 4 |], Kernel = Nullable 3, DenseWidth = Nullable 5)) 1UL
    use b = randomState "mnist-cnn" (ConvNetConfig(1, 6, Filters = [| 3; 4 |], Kernel = Nullable 3, DenseWidth = Nullable 5)) 2UL
    b.["layers.1.num_batches_tracked"].add_((7L).ToScalar()) |> ignore
    use at0 = StateInterpolation.Lerp(a, b, 0.0)
    use at1 = StateInterpolation.Lerp(a, b, 1.0)
    use mid = StateInterpolation.Lerp(a, b, 0.25)
    Assert.That(identicalStates a at0, Is.True, "α = 0 gives A")
    for kv in at1 do
        let expected = if kv.Value.is_floating_point() then b.[kv.Key] else a.[kv.Key]
        Assert.That(kv.Value.eq(expected).all().item<bool>(), Is.True, kv.Key)
    let w = "layers.0.weight"
    let err = (mid.[w] - (a.[w] * 0.75 + b.[w] * 0.25)).abs().max().item<float32>()
    Assert.That(err, Is.LessThan 1e-6f)
    Assert.That(mid.["layers.1.num_batches_tracked"].item<int64>(), Is.EqualTo(a.["layers.1.num_batches_tracked"].item<int64>()))
    Assert.That(StateInterpolation.Alphas 25 |> Array.last, Is.EqualTo 1.0)
    Assert.That((StateInterpolation.Alphas 5 = [| 0.0; 0.25; 0.5; 0.75; 1.0 |]), Is.True, "Alphas 5")

[<Test>]
let ``apply, matching and interpolation leave no tensor behind`` () =
    use model = ModelZoo.Create("cifar-resnet", ResNetConfig(3, 6, BlocksPerStage = Nullable 1), null)
    let spec = PermutationSpec.For model
    use a = StateDicts.Copy model
    let before = TestSupport.liveTensorsSettled ()
    do
        use scope = torch.NewDisposeScope()
        use g = Generators.Create 5UL
        use b = spec.Apply(spec.Random g, a)
        let result = WeightMatching.Match(spec, a, b, g)
        use aligned = spec.Apply(result.Permutations, b)
        use mid = StateInterpolation.Lerp(a, aligned, 0.5)
        ()
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo before)
