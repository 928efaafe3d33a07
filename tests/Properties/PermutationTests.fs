/// Permutations as a group (associativity, identity, inverse, order, sign, cycles) and permutation specs of the zoo:
/// applying a random permutation set leaves every model's function unchanged (float64, eval mode, BatchNorm statistics
/// randomised), the inverse set restores every tensor bit for bit, breaking the spec changes the function, and spec
/// validation refuses wrong names, ranks and sizes with clear messages.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.PermutationTests

open System
open System.Numerics
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Models
open Symmetry.Core.Permutations
open Symmetry.Properties.TestSupport



// ---------------------------------------------------------------- generators

/// A uniformly random permutation of size n.
let private permOf (n: int) : Gen<Permutation> =
    Gen.shuffle [ 0 .. n - 1 ] |> Gen.map (fun a -> Permutation(a :> Collections.Generic.IReadOnlyList<int>))

let private sizeGen = Gen.choose (0, 8)

/// One, two or three permutations of one size.
let private one = Arb.fromGen (sizeGen |> Gen.bind permOf)

let private two =
    Arb.fromGen (
        gen {
            let! n = sizeGen
            let! p = permOf n
            let! q = permOf n
            return p, q
        }
    )

let private three =
    Arb.fromGen (
        gen {
            let! n = sizeGen
            let! p = permOf n
            let! q = permOf n
            let! r = permOf n
            return p, q, r
        }
    )

let private factorial (n: int) = Seq.fold (fun (a: BigInteger) k -> a * BigInteger(k: int)) BigInteger.One [ 1..n ]

// ---------------------------------------------------------------- group laws

[<Property(MaxTest = 200)>]
let ``composition is associative`` () =
    Prop.forAll three (fun (p, q, r) -> (p * q) * r = p * (q * r))

[<Property(MaxTest = 200)>]
let ``the identity is neutral on both sides`` () =
    Prop.forAll one (fun p ->
        let e = Permutation.Identity p.Size
        p * e = p && e * p = p && e.IsIdentity)

[<Property(MaxTest = 200)>]
let ``the inverse composes to the identity on both sides`` () =
    Prop.forAll one (fun p ->
        let e = Permutation.Identity p.Size
        p * p.Inverse() = e && p.Inverse() * p = e && p.Inverse().Inverse() = p)

[<Property(MaxTest = 200)>]
let ``composition means (p ∘ q)[i] = p[q[i]] and gathers apply p then q`` () =
    Prop.forAll two (fun (p, q) ->
        let pq = p.Compose q
        let xs = Array.init p.Size (fun i -> 10 * i + 7)
        [ 0 .. p.Size - 1 ] |> List.forall (fun i -> pq.[i] = p.[q.[i]])
        && q.Apply(p.Apply xs) = pq.Apply xs
        && p.Inverse().Apply(p.Apply xs) = xs)

[<Property(MaxTest = 200)>]
let ``the order divides n! and is the least power giving the identity`` () =
    Prop.forAll one (fun p ->
        let order = p.Order()
        let mutable power = p
        let mutable k = 1
        while not power.IsIdentity do
            power <- power * p
            k <- k + 1
        BigInteger.Remainder(factorial p.Size, order).IsZero && order = BigInteger(k))

[<Property(MaxTest = 200)>]
let ``the sign is multiplicative and matches the inversion count`` () =
    Prop.forAll two (fun (p, q) ->
        let inversions =
            [ for i in 0 .. p.Size - 1 do
                  for j in i + 1 .. p.Size - 1 do
                      if p.[i] > p.[j] then 1 ]
            |> List.length
        (p * q).Sign = p.Sign * q.Sign && p.Sign = (if inversions % 2 = 0 then 1 else -1))

[<Property(MaxTest = 200)>]
let ``the cycles partition 0..n-1 and reconstruct the permutation`` () =
    Prop.forAll one (fun p ->
        let cycles = p.Cycles()
        let elements = cycles |> Seq.collect id |> Seq.sort |> List.ofSeq
        let follows =
            cycles
            |> Seq.forall (fun c -> c |> Array.mapi (fun k x -> p.[x] = c.[(k + 1) % c.Length]) |> Array.forall id)
        elements = [ 0 .. p.Size - 1 ]
        && follows
        && Permutation.FromCycles(p.Size, cycles |> Seq.map (fun c -> c :> Collections.Generic.IReadOnlyList<int>)) = p)

[<Property(MaxTest = 50)>]
let ``tensor round trip, Random is a bijection from its seed, equality and hashing agree`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (0, 40)) (Gen.choose (0, Int32.MaxValue)))) (fun (n, seed) ->
        use scope = torch.NewDisposeScope()
        let draw () =
            use g = Generators.Create(uint64 seed)
            Permutation.Random(n, g)
        let p = draw ()
        let q = draw ()
        use t = p.ToTensor()
        t.dtype = torch.ScalarType.Int64 && Permutation.FromTensor t = p && p = q && p.GetHashCode() = q.GetHashCode()
        && (p.ToArray() |> Array.sort) = Array.init n id)

[<Test>]
let ``the constructor refuses non-bijections with clear messages`` () =
    let repeated = throws<ArgumentException> (fun () -> Permutation([| 0; 2; 0 |]) |> ignore)
    contains "value 0 appears at positions 0 and 2" repeated.Message
    let outside = throws<ArgumentException> (fun () -> Permutation([| 0; 3; 1 |]) |> ignore)
    contains "entry 1 is 3, outside 0…2" outside.Message
    let negative = throws<ArgumentException> (fun () -> Permutation([| -1L; 0L |]) |> ignore)
    contains "entry 0 is -1" negative.Message
    let sizes = throws<ArgumentException> (fun () -> Permutation.Identity(2).Compose(Permutation.Identity 3) |> ignore)
    contains "sizes 2 and 3" sizes.Message

[<Test>]
let ``examples: cycles, order, sign and printing`` () =
    let p = Permutation([| 1; 2; 0; 4; 3; 5 |])
    Assert.That(p.ToCycleString(), Is.EqualTo "(0 1 2)(3 4)")
    Assert.That(p.Order(), Is.EqualTo(BigInteger 6))
    Assert.That(p.Sign, Is.EqualTo -1)
    Assert.That(p.ToString(), Is.EqualTo "[1 2 0 4 3 5]")
    Assert.That(Permutation.Identity(0).Order(), Is.EqualTo BigInteger.One)
    // Landau's function g(30) = 4620: the order of a product of cycles of lengths 3, 4, 5, 7, 11 (n = 30).
    let lengths = [ 3; 4; 5; 7; 11 ]
    let starts = List.scan (+) 0 lengths
    let cycles = List.map2 (fun s l -> [| s .. s + l - 1 |] :> Collections.Generic.IReadOnlyList<int>) (List.take 5 starts) lengths
    Assert.That(Permutation.FromCycles(30, cycles).Order(), Is.EqualTo(BigInteger 4620))

// ---------------------------------------------------------------- spec invariance on the zoo

/// A zoo model with small generated widths, and the input it is fed.
type SpecCase =
    { Name: string
      Config: ModelConfig
      Seed: uint64 }
    override c.ToString() = sprintf "%s (%O, seed %d)" c.Name c.Config c.Seed

let private widthGen = Gen.choose (2, 6)
let private widthsGen lo hi = gen {
    let! k = Gen.choose (lo, hi)
    return! Gen.listOfLength k widthGen }
let private boolGen = Gen.elements [ true; false ]

/// Every family with generated widths and options (fixed-width models with small inputs).
let private caseGen =
    gen {
        let! seed = Gen.choose (0, Int32.MaxValue)
        let! bn = boolGen
        let! widths = widthsGen 1 3
        let! filters = widthsGen 1 3
        let! dense = widthGen
        let! width = Gen.choose (2, 3)
        let! n = Gen.choose (1, 2)
        let! depth = Gen.elements [ 5; 7; 10 ]
        let! name, config =
            Gen.elements
                [ "mnist-fc", (MlpConfig(1, 5, Widths = ResizeArray widths, BatchNorm = Nullable bn) :> ModelConfig)
                  "lenet-300-100", (MlpConfig(2, 3, 4, Widths = ResizeArray widths) :> ModelConfig)
                  "f1", ModelConfig(1, 4)
                  "f2", ModelConfig(1, 3)
                  "mnist-cnn", (ConvNetConfig(2, 6, Filters = ResizeArray filters, Kernel = Nullable 3, DenseWidth = Nullable dense, BatchNorm = Nullable bn) :> ModelConfig)
                  "cifar10-cnn", (ConvNetConfig(3, 6, Filters = ResizeArray filters, Kernel = Nullable 3, BatchNorm = Nullable bn) :> ModelConfig)
                  "lenet-5", ModelConfig(1, 14)
                  "conv2", (ConvNetConfig(1, 6, DenseWidth = Nullable dense, BatchNorm = Nullable bn) :> ModelConfig)
                  "laperm-conv2", (ConvNetConfig(1, 6, DenseWidth = Nullable dense, BatchNorm = Nullable bn) :> ModelConfig)
                  "myrtle-cnn", (MyrtleConfig(3, 8, Width = Nullable width, BatchNorm = Nullable bn) :> ModelConfig)
                  "myrtle-shankar", (MyrtleConfig(3, 6, Width = Nullable(width + 1), Depth = Nullable depth, BatchNorm = Nullable bn) :> ModelConfig)
                  "cifar-resnet", (ResNetConfig(3, 6, BlocksPerStage = Nullable n) :> ModelConfig) ]
        return { Name = name; Config = config; Seed = uint64 seed }
    }

/// The model of a case in float64 and eval mode, with random BatchNorm scales and shifts and running statistics
/// gathered from random inputs in training mode (the defaults 1, 0, 0, 1 would let a spec that forgets them pass;
/// statistics drawn out of scale with the activations would make the outputs blind to the layers before).
let private buildModelWith (passes: int) (c: SpecCase) : ZooModel =
    use g = Generators.Create c.Seed
    use dropout = Generators.Create(c.Seed + 3UL)
    let model = ModelZoo.Create(c.Name, c.Config, g, dropout)
    model.``to``(torch.float64) |> ignore
    use scope = torch.NewDisposeScope()
    use noGrad = torch.no_grad()
    let mutable hasBatchNorm = false
    for struct (_, m) in model.named_modules() do
        match m with
        | :? Modules.BatchNorm as bn ->
            hasBatchNorm <- true
            let r () = torch.randn([| bn.num_features |], dtype = torch.float64, generator = g) * 0.3
            if bn.affine then
                bn.weight.copy_(r () + 1.0) |> ignore
                match bn.bias with
                | null -> ()
                | bias -> bias.copy_(r ()) |> ignore
        | _ -> ()
    if hasBatchNorm then
        model.train()
        for _ in 1..passes do
            use step = torch.NewDisposeScope()
            model.call(torch.randn([| 4L; int64 c.Config.InputChannels; int64 c.Config.ImageSize; int64 c.Config.ImageSize |], dtype = torch.float64, generator = g)) |> ignore
    model.eval()
    model

let private buildModel = buildModelWith 10

let private inputFor (c: SpecCase) =
    use g = Generators.Create(c.Seed + 1UL)
    torch.randn([| 4L; int64 c.Config.InputChannels; int64 c.Config.ImageSize; int64 c.Config.ImageSize |], dtype = torch.float64, generator = g)

/// max |a − b| / max |a| of two float64 tensors.
let private relativeError (a: torch.Tensor) (b: torch.Tensor) =
    use scope = torch.NewDisposeScope()
    (a - b).abs().max().item<float>() / max (a.abs().max().item<float>()) 1e-300

/// Outputs of `model` with `state` loaded.
let private outputWith (model: ZooModel) (state: NamedTensors) (x: torch.Tensor) =
    StateDicts.Load(model, state)
    model.call x

[<Property(MaxTest = 40)>]
let ``a random permutation set leaves every zoo family's outputs unchanged and its inverse restores every tensor`` () =
    Prop.forAll (Arb.fromGen caseGen) (fun c ->
        use scope = torch.NewDisposeScope()
        use model = buildModel c
        let spec = PermutationSpec.For model
        use x = inputFor c
        use original = StateDicts.Copy model
        let y0 = outputWith model original x
        use g = Generators.Create(c.Seed + 2UL)
        let perms = spec.Random g
        use permuted = spec.Apply(perms, original)
        let y1 = outputWith model permuted x
        use restored = PermutationSpec.Apply(spec, PermutationSets.Inverse perms, permuted)
        let err = relativeError y0 y1
        let moved = perms.Values |> Seq.exists (fun p -> not p.IsIdentity)
        (err <= 1e-10 |@ sprintf "relative error %g" err)
        .&. (identicalStates original restored |@ "P⁻¹ after P restores every tensor bitwise")
        .&. ((not moved || not (identicalStates original permuted)) |@ "a non-identity set changes the state"))

[<Property(MaxTest = 40)>]
let ``permuting only one axis of a hidden layer changes the outputs`` () =
    let gen = caseGen |> Gen.filter (fun c -> c.Name <> "f1")
    Prop.forAll (Arb.fromGen gen) (fun c ->
        use scope = torch.NewDisposeScope()
        use model = buildModel c
        let spec = PermutationSpec.For model
        use x = inputFor c
        use original = StateDicts.Copy model
        let y0 = outputWith model original x
        // The first hidden permutation, on the producing layer's weight rows only (its bias and the next layer's
        // columns left alone): a cyclic shift moves every unit.
        let p = spec.PermutationNames.[0]
        let n = spec.SizeOf p
        let use0 = spec.UsesOf(p) |> Seq.find (fun u -> u.Axis = 0)
        let axes = spec.AxesOf(use0.Tensor) |> Seq.mapi (fun k a -> if k = 0 then a else Nullable()) |> Array.ofSeq
        let broken = PermutationSpecBuilder().Add(use0.Tensor, axes).Build(model, requireComplete = false)
        let shift = readOnlyDict [ p, Permutation(Array.init n (fun i -> (i + 1) % n)) ]
        use permuted = broken.Apply(shift, original)
        let y1 = outputWith model permuted x
        let err = relativeError y0 y1
        // Float64 rounding is ~1e-16, a valid permutation stays under 1e-10: any change above 1e-9 is the broken spec.
        // A model whose outputs do not depend on its input (every unit of some layer dead, e.g. a deep net of
        // width 3) cannot show anything: such cases are discarded.
        let live = relativeError (y0.narrow(0L, 0L, 1L)) (y0.narrow(0L, 1L, 1L)) > 1e-9
        live ==> (err > 1e-9 |@ sprintf "breaking the spec at %s left the outputs unchanged (relative change %g)" use0.Tensor err))

[<Test>]
let ``every zoo model has a spec that leaves its outputs unchanged`` () =
    // The heavy fixed-width models once each, on their smallest inputs, in float64.
    for name in ModelZoo.Names do
        use scope = torch.NewDisposeScope()
        let size = ModelZoo.MinimumImageSize(name, ModelConfig(3, 32)).Value
        let c = { Name = name; Config = ModelConfig(3, max size 4); Seed = 11UL }
        use model = buildModelWith 2 c
        let spec = PermutationSpec.For model
        use x = inputFor c
        use original = StateDicts.Copy model
        let y0 = outputWith model original x
        use g = Generators.Create 3UL
        use permuted = spec.Apply(spec.Random g, original)
        let err = relativeError y0 (outputWith model permuted x)
        Assert.That(err, Is.LessThanOrEqualTo 1e-10, sprintf "%s: relative error %g" name err)
        // Every permuted name exists in the model and every hidden layer is permuted; the classes never are.
        let last = spec.TensorNames |> Seq.filter (fun n -> n.EndsWith ".weight" && original.[n].dim() = 2L) |> Seq.last
        Assert.That(spec.AxesOf(last).[0].HasValue, Is.False, sprintf "%s: output classes permuted" name)

// ---------------------------------------------------------------- spec structure (oracles)

let private axesText (spec: PermutationSpec) (name: string) =
    spec.AxesOf name |> Seq.map (fun a -> if a.HasValue then a.Value.ToString() else "-") |> String.concat ", "

[<Test>]
let ``mnist-fc with BatchNorm: the spec names each hidden layer's output on weight, bias and BatchNorm`` () =
    use model = ModelZoo.Create("mnist-fc", MlpConfig(Widths = [| 3; 4 |], BatchNorm = Nullable true), null)
    let spec = PermutationSpec.For model
    let expected =
        [ "layers.1.weight", "P_layers.1, -"
          "layers.1.bias", "P_layers.1"
          "layers.2.weight", "P_layers.1"
          "layers.2.bias", "P_layers.1"
          "layers.5.weight", "P_layers.5, P_layers.1"
          "layers.5.bias", "P_layers.5"
          "layers.6.weight", "P_layers.5"
          "layers.6.bias", "P_layers.5"
          "layers.9.weight", "-, P_layers.5"
          "layers.9.bias", "-"
          "layers.2.running_mean", "P_layers.1"
          "layers.2.running_var", "P_layers.1"
          "layers.2.num_batches_tracked", ""
          "layers.6.running_mean", "P_layers.5"
          "layers.6.running_var", "P_layers.5"
          "layers.6.num_batches_tracked", "" ]
    assertArrayEqual "tensor names" (expected |> List.map fst |> Array.ofList) (Array.ofSeq spec.TensorNames)
    for name, axes in expected do
        Assert.That(axesText spec name, Is.EqualTo axes, name)
    assertArrayEqual "permutation names" [| "P_layers.1"; "P_layers.5" |] (Array.ofSeq spec.PermutationNames)
    Assert.That(spec.SizeOf "P_layers.1", Is.EqualTo 3)
    Assert.That(spec.SizeOf "P_layers.5", Is.EqualTo 4)

[<Test>]
let ``lenet-5: the first Linear permutes blocks of 5x5 columns by the last conv's channels`` () =
    use model = ModelZoo.Create("lenet-5", ModelConfig.Mnist, null)
    let spec = PermutationSpec.For model
    Assert.That(axesText spec "layers.3.weight", Is.EqualTo "P_layers.3, P_layers.0, -, -")
    Assert.That(axesText spec "layers.7.weight", Is.EqualTo "P_layers.7, P_layers.3×25")
    Assert.That(axesText spec "layers.11.weight", Is.EqualTo "-, P_layers.9")
    Assert.That(spec.SizeOf "P_layers.3", Is.EqualTo 16)

[<Test>]
let ``cifar-resnet: each stage's stream is one permutation shared by block outputs and shortcuts`` () =
    use model = ModelZoo.Create("cifar-resnet", ResNetConfig(3, 8, BlocksPerStage = Nullable 2), null)
    let spec = PermutationSpec.For model
    let out name = (spec.AxesOf name).[0].Value.Permutation
    let inp name = (spec.AxesOf name).[1].Value.Permutation
    // Stage 1 (identity shortcuts): the stem's permutation runs through every block output.
    let s1 = out "layers.0.weight"
    for name in [ "layers.3.0.conv2.weight"; "layers.3.1.conv2.weight"; "layers.3.1.bn2.running_var"; "layers.1.weight" ] do
        Assert.That(out name, Is.EqualTo s1, name)
    Assert.That(inp "layers.3.0.conv1.weight", Is.EqualTo s1)
    Assert.That(inp "layers.4.0.shortcut.0.weight", Is.EqualTo s1)
    Assert.That(inp "layers.4.0.conv1.weight", Is.EqualTo s1)
    // Stage 2: the projection shortcut, both block outputs and the next stage's inputs share a new one.
    let s2 = out "layers.4.0.conv2.weight"
    Assert.That(s2, Is.Not.EqualTo s1)
    for name in [ "layers.4.0.shortcut.0.weight"; "layers.4.0.shortcut.1.weight"; "layers.4.1.conv2.weight"; "layers.4.0.bn2.bias" ] do
        Assert.That(out name, Is.EqualTo s2, name)
    Assert.That(inp "layers.5.0.conv1.weight", Is.EqualTo s2)
    Assert.That(inp "layers.4.1.conv1.weight", Is.EqualTo s2)
    // Inner block permutations are their own; the classifier reads stage 3's stream and outputs classes.
    Assert.That(out "layers.4.0.conv1.weight", Is.EqualTo "P_layers.4.0.conv1")
    Assert.That(inp "layers.4.0.conv2.weight", Is.EqualTo "P_layers.4.0.conv1")
    Assert.That(inp "layers.8.weight", Is.EqualTo(out "layers.5.1.conv2.weight"))
    Assert.That((spec.AxesOf "layers.8.weight").[0].HasValue, Is.False)
    Assert.That(axesText spec "layers.0.weight", Is.EqualTo(s1 + ", -, -, -"))
    // 3 streams + one inner permutation per block.
    Assert.That(spec.PermutationNames.Count, Is.EqualTo(3 + 6))

[<Test>]
let ``resnet-20 has one stream per stage`` () =
    use model = ModelZoo.Create("resnet-20", ModelConfig(3, 8), null)
    let spec = PermutationSpec.For model
    Assert.That(spec.PermutationNames.Count, Is.EqualTo(3 + 9))
    Assert.That(spec.PermutationNames |> Seq.filter (fun p -> spec.SizeOf p = 64) |> Seq.length, Is.EqualTo 4)

// ---------------------------------------------------------------- validation

/// A module the spec derivation does not know.
type Doubler() =
    inherit torch.nn.Module<torch.Tensor, torch.Tensor>("Doubler")
    override _.forward(x: torch.Tensor) = x * 2.0

let private mlp () = ModelZoo.Create("mnist-fc", MlpConfig(1, 4, Widths = [| 3; 5 |]), null)

[<Test>]
let ``validation refuses a name the model lacks`` () =
    use model = mlp ()
    let e =
        throws<ArgumentException> (fun () ->
            PermutationSpecBuilder().Add("layers.1.weight", "h", null).Add("layers.9.weight", "h", null).Build(model, false) |> ignore)
    contains "'layers.9.weight', which the model does not have" e.Message

[<Test>]
let ``validation refuses a rank mismatch`` () =
    use model = mlp ()
    let e = throws<ArgumentException> (fun () -> PermutationSpecBuilder().Add("layers.1.bias", "h", null).Build(model, false) |> ignore)
    contains "'layers.1.bias' has rank 1 (shape [3])" e.Message
    contains "gives it 2 axes" e.Message

[<Test>]
let ``validation refuses one permutation on axes of different sizes`` () =
    use model = mlp ()
    let e =
        throws<ArgumentException> (fun () ->
            PermutationSpecBuilder().Linear("layers.1", null, "h").Linear("layers.4", "h", "h").Build(model, false) |> ignore)
    contains "permutation 'h' is used on axes of different sizes" e.Message
    contains "layers.1.weight axis 0 has 3" e.Message
    contains "layers.4.weight axis 0 has 5" e.Message

[<Test>]
let ``validation refuses an incomplete spec and blocks that do not divide an axis`` () =
    use model = mlp ()
    let e = throws<ArgumentException> (fun () -> PermutationSpecBuilder().Linear("layers.1", null, "h").Build(model) |> ignore)
    contains "no entry for 'layers.4.weight'" e.Message
    let b = throws<ArgumentException> (fun () -> PermutationSpecBuilder().Linear("layers.1", "x", "h", inputBlock = 3L).Build(model, false) |> ignore)
    contains "blocks of 3 entries on layers.1.weight axis 1, which has 16 entries" b.Message

[<Test>]
let ``a hand-built spec equals the derived one and Apply checks its permutation set`` () =
    use model = mlp ()
    let built =
        PermutationSpecBuilder()
            .Linear("layers.1", null, "P_layers.1")
            .Linear("layers.4", "P_layers.1", "P_layers.4")
            .Linear("layers.7", "P_layers.4", null)
            .Build(model)
    let derived = PermutationSpec.For model
    Assert.That(built.ToString(), Is.EqualTo(derived.ToString()))
    use state = StateDicts.Copy model
    let missing = throws<ArgumentException> (fun () -> built.Apply(readOnlyDict [ "P_layers.1", Permutation.Identity 3 ], state) |> ignore)
    contains "no permutation given for P_layers.4" missing.Message
    let wrong =
        throws<ArgumentException> (fun () ->
            built.Apply(readOnlyDict [ "P_layers.1", Permutation.Identity 4; "P_layers.4", Permutation.Identity 5 ], state) |> ignore)
    contains "'P_layers.1' has size 4, the spec needs 3" wrong.Message

[<Test>]
let ``generic Sequential and Residual stacks get specs; unknown modules are refused`` () =
    TorchRuntime.Ensure()
    use model = torch.nn.Sequential(torch.nn.Linear(3L, 4L), torch.nn.Dropout(0.1), torch.nn.Linear(4L, 2L))
    let spec = PermutationSpec.For model
    Assert.That(axesText spec "2.weight", Is.EqualTo "-, P_0")
    use seeded = torch.nn.Sequential(torch.nn.Linear(3L, 4L), new SeededDropout(0.1, null), torch.nn.Linear(4L, 2L))
    Assert.That(axesText (PermutationSpec.For seeded) "2.weight", Is.EqualTo "-, P_0")
    use custom = torch.nn.Sequential(torch.nn.Linear(3L, 4L), new Residual(torch.nn.Sequential(torch.nn.Linear(4L, 4L)), null, true), torch.nn.Linear(4L, 2L))
    let tied = PermutationSpec.For custom
    Assert.That(axesText tied "1.body.0.weight", Is.EqualTo "P_0, P_0")
    Assert.That(axesText tied "2.weight", Is.EqualTo "-, P_0")
    use unknown = torch.nn.Sequential(torch.nn.Linear(3L, 4L), new Doubler(), torch.nn.Linear(4L, 2L))
    let e = throws<NotSupportedException> (fun () -> PermutationSpec.For unknown |> ignore)
    contains "module '1' of type Doubler" e.Message
    contains "PermutationSpecBuilder" e.Message
