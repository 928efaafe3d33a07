/// The model zoo: every model builds for every input shape it supports, gives (N, classes) logits, back-propagates
/// into every parameter, round-trips its state, names its parameters PyTorch-style, initialises reproducibly from
/// its generator, and refuses unknown names, unused config fields and inputs too small for its layers.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ModelZooTests

open System
open System.Text.RegularExpressions
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open TorchSharp.Modules
open Symmetry.Torch
open Symmetry.Core.Models

type private Tensor = torch.Tensor
type private Module = torch.nn.Module

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

let private batch = 2L

/// The two standard inputs.
let private mnist = ModelConfig.Mnist
let private cifar = ModelConfig.Cifar10

let private configFor (channels: int) (size: int) = ModelConfig(channels, size)

/// Models whose layers cannot take 28×28 inputs (five 2×2 max-pools).
let private needs32 = set [ "conv13"; "vgg-16" ]

/// Every (model, input) pair the zoo supports among 1×28×28 and 3×32×32.
let supportedCases: TestCaseData seq =
    [ for name in ModelZoo.Names do
          for channels, size in [ 1, 28; 3, 32 ] do
              if ModelZoo.Supports(name, configFor channels size) then
                  TestCaseData(name, channels, size).SetName(sprintf "%s %dx%dx%d" name channels size size) ]

let private names (m: Module) = [ for struct (n, _) in m.named_parameters() -> n ]

let private bufferNames (m: Module) = [ for struct (n, _) in m.named_buffers() -> n ]

/// The number of parameters (elements) of a model.
let private parameterCount (m: Module) = m.parameters() |> Seq.sumBy (fun p -> p.numel())

/// The i-th child module of a model's layer stack.
let private layer (model: ZooModel) (i: int) = Seq.item i (model.Layers.children())

let private values (t: Tensor) : float[] =
    use scope = torch.NewDisposeScope()
    t.detach().``to``(torch.ScalarType.Float64, torch.CPU).flatten().data<float>().ToArray()

/// Fails unless two values are equal by F# structural equality.
let private same (what: string) (expected: 'T) (actual: 'T) =
    if expected <> actual then Assert.Fail(sprintf "%s:\nexpected %A\nactual   %A" what expected actual)

/// The ArgumentException that `f` throws (fails when it throws none).
let private argumentError (what: string) (f: unit -> unit) : ArgumentException =
    try
        f ()
        Assert.Fail(sprintf "%s: expected an ArgumentException" what)
        failwith "unreachable"
    with :? ArgumentException as e ->
        e


/// Parameters then buffers, by name.
let private entries (m: Module) =
    [ for struct (n, p) in m.named_parameters() -> n, (p :> Tensor) ] @ [ for struct (n, b) in m.named_buffers() -> n, b ]

/// True when two modules have the same names and bit-identical parameters and buffers (compared by libtorch).
let private sameState (a: Module) (b: Module) =
    use scope = torch.NewDisposeScope()
    let ea, eb = entries a, entries b
    List.length ea = List.length eb
    && List.forall2
        (fun (na: string, ta: Tensor) (nb, tb: Tensor) -> na = nb && ta.shape = tb.shape && ta.eq(tb).all().item<bool>())
        ea
        eb

/// The bias of a layer that has one.
let private biasOf (p: Parameter | null) : Tensor =
    match p with
    | null -> failwith "layer has no bias"
    | b -> b

let private randomInput (seed: uint64) (config: ModelConfig) =
    use g = new torch.Generator(seed)
    torch.randn([| batch; int64 config.InputChannels; int64 config.ImageSize; int64 config.ImageSize |], generator = g)

let private targets () = torch.tensor([| 3L; 7L |])

/// Finalises what earlier tests left to the garbage collector, so that a finaliser running later cannot change the
/// live-tensor count this test measures (anything this test leaks still shows: nothing is collected after the first count).
let private settleLiveTensors () =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()

/// Parameter counts computed by hand from the architectures (the oracle).
let private expectedCounts =
    [ "lenet-300-100", mnist, 266_610L // 784·300+300 + 300·100+100 + 100·10+10
      "f1", mnist, 7_840L // 784·10
      "f2", mnist, 109_184L // 784·128 + 128·64 + 64·10
      "mnist-fc", mnist, 14_090L // 784·16+16 + 5·(16·16+16) + 16·10+10
      "mnist-cnn", mnist, 16_106L // 416 + 32 + 12 832 + 64 + 2 112 + 650
      "cifar10-cnn", cifar, 288_298L
      "lenet-5", mnist, 61_706L // 156 + 2 416 + 48 120 + 10 164 + 850
      "lenet-5", cifar, 62_006L
      "conv2", cifar, 4_301_642L // Frankle & Carbin: 4.3M
      "conv4", cifar, 2_425_930L // 2.4M
      "conv6", cifar, 2_262_602L // 2.3M
      "laperm-conv2", cifar, 4_302_922L // conv2 + BatchNorm 256 + 1 024
      "laperm-conv4", cifar, 2_427_722L
      "conv7", mnist, 325_578L
      "conv13", cifar, 14_991_946L // VGG-16 convs 14 714 688 + BN 8 448 + 262 656 + 1 024 + 5 130
      "vgg-16", cifar, 14_728_266L // 14 714 688 + 8 448 + 5 130
      "resnet-20", cifar, 272_474L // 269 722 with option-A shortcuts + 576 + 2 176 for the two projections
      "cifar-resnet", cifar, 758_554L // n = 8
      "myrtle-cnn", cifar, 1_557_066L // bias-free convs 1 350 016 + BN 1 920 + 5 130
      "myrtle-shankar", cifar, 447_626L ] // 3 584 + 3 · 147 584 + 1 290

// ---------------------------------------------------------------- coverage

[<Test>]
let ``every model takes 3x32x32 and all but the five-pool nets take 1x28x28`` () =
    same "registry"
        [ "mnist-fc"; "lenet-300-100"; "f1"; "f2"; "mnist-cnn"; "cifar10-cnn"; "lenet-5"; "conv2"; "conv4"; "conv6"; "conv7"
          "conv13"; "laperm-conv2"; "laperm-conv4"; "cifar-resnet"; "resnet-20"; "myrtle-cnn"; "myrtle-shankar"; "vgg-16" ]
        (List.ofSeq ModelZoo.Names)
    for name in ModelZoo.Names do
        Assert.That(ModelZoo.Supports(name, cifar), Is.True, name + " on 3x32x32")
        Assert.That(ModelZoo.Supports(name, mnist), Is.EqualTo(not (needs32.Contains name)), name + " on 1x28x28")
    for name in needs32 do
        Assert.That(ModelZoo.MinimumImageSize(name, mnist), Is.EqualTo(Nullable 32), name)

[<Test>]
let ``requested models are all registered`` () =
    let requested =
        [ "mnist-fc"; "mnist-cnn"; "cifar10-cnn"; "lenet-300-100"; "lenet-5"; "conv2"; "conv4"; "conv6"; "conv7"
          "conv13"; "f1"; "f2"; "cifar-resnet"; "resnet-20"; "myrtle-cnn"; "vgg-16" ]
    for name in requested do
        Assert.That(Seq.contains name ModelZoo.Names, Is.True, name)
        Assert.That(ModelZoo.Describe(name).StartsWith(name + ":"), Is.True, name)

// ---------------------------------------------------------------- every model, every supported input

[<TestCaseSource(nameof supportedCases)>]
let ``forward gives (2, classes) logits and backward reaches every parameter`` (name: string, channels: int, size: int) =
    // TorchSharp's counter never uncounts the tensor a layer constructor turns into a Parameter (its handle moves to the
    // Parameter), so the count is taken once the model exists: the forward/backward pass must leave nothing behind,
    // and disposing the model must free exactly its parameters and buffers.
    let mutable created, owned = 0L, 0L
    settleLiveTensors ()
    do
        let config = configFor channels size
        use g = new torch.Generator(11UL)
        use dropout = new torch.Generator(12UL)
        use model = ModelZoo.Create(name, config, g, dropout)
        created <- TorchRuntime.LiveTensors
        owned <- int64 (Seq.length (model.parameters()) + Seq.length (model.buffers()))
        use scope = torch.NewDisposeScope()
        Assert.That(model.Name, Is.EqualTo name)
        let logits = model.forward(randomInput 1UL config)
        same "logits shape" [| batch; 10L |] logits.shape
        let loss = torch.nn.functional.cross_entropy(logits, targets ())
        Assert.That(Double.IsFinite(loss.ToDouble()), Is.True, "loss is finite")
        loss.backward()
        for struct (pname, p) in model.named_parameters() do
            match p.grad with
            | null -> Assert.Fail(sprintf "%s: %s has no gradient" name pname)
            | grad ->
                same pname p.shape grad.shape
                let norm = grad.norm().ToDouble()
                if not (Double.IsFinite norm) || norm = 0.0 then
                    Assert.Fail(sprintf "%s: gradient of %s has norm %g" name pname norm)
        scope.Dispose()
        Assert.That(TorchRuntime.LiveTensors, Is.EqualTo created, "live tensors after the forward/backward scope")
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo(created - owned), "live tensors after disposing the model and the scope")

[<TestCaseSource(nameof supportedCases)>]
let ``state dict of A loaded into B (another seed) gives identical eval outputs`` (name: string, channels: int, size: int) =
    let config = configFor channels size
    use ga = new torch.Generator(21UL)
    use gb = new torch.Generator(22UL)
    use a = ModelZoo.Create(name, config, ga)
    use b = ModelZoo.Create(name, config, gb)
    use scope = torch.NewDisposeScope()
    // One training-mode pass moves A's BatchNorm running statistics away from their initial values.
    do
        use _ = torch.no_grad()
        a.forward(randomInput 2UL config) |> ignore
    a.eval()
    b.eval()
    let x = randomInput 3UL config
    let outA = values (a.forward x)
    Assert.That(values (b.forward x) <> outA, Is.True, "different seeds give different models")
    use state = StateDicts.Copy a
    // The copy holds every parameter and buffer once, in the module's state_dict order.
    same "state names" [ for KeyValue(n, _) in a.state_dict() -> n ] (List.ofSeq state.Names)
    same "state covers parameters and buffers" (List.sort (names a @ bufferNames a)) (List.sort (List.ofSeq state.Names))
    StateDicts.Load(b, state)
    same "eval outputs of B after loading A's state" outA (values (b.forward x))
    Assert.That(sameState a b, Is.True, "parameters and buffers equal after loading")

[<TestCaseSource(nameof supportedCases)>]
let ``parameter names are dotted, unique and in forward order`` (name: string, channels: int, size: int) =
    use model = ModelZoo.Create(name, configFor channels size, null)
    let all = names model @ bufferNames model
    let pattern = Regex(@"^layers(\.[0-9]+)+(\.[a-z_0-9]+)*\.(weight|bias|running_mean|running_var|num_batches_tracked)$")
    for n in all do
        Assert.That(pattern.IsMatch n, Is.True, sprintf "%s: '%s' is not a dotted layers.N... name" name n)
    same "unique names" all (List.distinct all)
    // Forward order: the layer index right after "layers." never decreases; within a layer, weight comes before bias.
    let index (n: string) = int (n.Split('.').[1])
    let parameterNames = names model
    let indices = parameterNames |> List.map index
    same "layer indices are nondecreasing" (List.sort indices) indices
    for n in parameterNames do
        if n.EndsWith ".bias" then
            let owner = n.Substring(0, n.Length - 5)
            let ps = List.ofSeq parameterNames
            match List.tryFindIndex ((=) (owner + ".weight")) ps with
            | Some w -> Assert.That(w, Is.LessThan(List.findIndex ((=) n) ps), n)
            | None -> Assert.Fail(sprintf "%s has no weight" n)

// ---------------------------------------------------------------- architectures

[<Test>]
let ``parameter counts match hand-computed values`` () =
    for name, config, expected in expectedCounts do
        use model = ModelZoo.Create(name, config, null)
        Assert.That(parameterCount model, Is.EqualTo expected, sprintf "%s on %dx%d" name config.InputChannels config.ImageSize)
    // A list for the record (printed with the test output).
    for name in ModelZoo.Names do
        for config in [ mnist; cifar ] do
            if ModelZoo.Supports(name, config) then
                use model = ModelZoo.Create(name, config, null)
                TestContext.Out.WriteLine(sprintf "%-15s %dx%dx%d  %10d parameters" name config.InputChannels config.ImageSize config.ImageSize (parameterCount model))

[<Test>]
let ``names follow the PyTorch layouts`` () =
    use lenet = ModelZoo.Create("lenet-300-100", mnist, null)
    same "lenet-300-100" [ "layers.1.weight"; "layers.1.bias"; "layers.3.weight"; "layers.3.bias"; "layers.5.weight"; "layers.5.bias" ] (names lenet)
    use f2 = ModelZoo.Create("f2", mnist, null)
    same "f2" [ "layers.1.weight"; "layers.3.weight"; "layers.5.weight" ] (names f2)
    use resnet = ModelZoo.Create("resnet-20", cifar, null)
    let rn = names resnet
    same "resnet-20 first names" [ "layers.0.weight"; "layers.1.weight"; "layers.1.bias"; "layers.3.0.conv1.weight"; "layers.3.0.bn1.weight"; "layers.3.0.bn1.bias" ] (rn |> List.take 6)
    Assert.That(List.contains "layers.4.0.shortcut.0.weight" rn, Is.True)
    Assert.That(List.contains "layers.5.2.bn2.bias" rn, Is.True)
    Assert.That(rn |> List.filter (fun n -> n.Contains "shortcut") |> List.length, Is.EqualTo 6, "two projection shortcuts (conv + BN)")
    Assert.That(List.last rn, Is.EqualTo "layers.8.bias")
    // The stitching paper's cut points (first 3 / 6 / 10 / 14 modules) end in ReLUs.
    use myrtle = ModelZoo.Create("myrtle-cnn", cifar, null)
    for i in [ 2; 5; 9; 13 ] do
        Assert.That(layer myrtle i, Is.InstanceOf<ReLU>(), sprintf "layers.%d" i)
    Assert.That(Seq.length (myrtle.Layers.children()), Is.EqualTo 18)

[<Test>]
let ``config options change the architecture`` () =
    let count name (config: ModelConfig) =
        use model = ModelZoo.Create(name, config, null)
        parameterCount model
    Assert.That(count "cifar-resnet" (ResNetConfig(3, 32, BlocksPerStage = Nullable 3)), Is.EqualTo(count "resnet-20" cifar))
    Assert.That(count "cifar-resnet" (ResNetConfig(3, 32, Depth = Nullable 20)), Is.EqualTo(count "resnet-20" cifar))
    Assert.That(count "mnist-fc" (MlpConfig(Widths = [| 300; 100 |])), Is.EqualTo(count "lenet-300-100" mnist))
    // BatchNorm1d after each of 6 hidden layers of 16: 6 · 32 more parameters.
    Assert.That(count "mnist-fc" (MlpConfig(BatchNorm = Nullable true)), Is.EqualTo(14_090L + 6L * 32L))
    Assert.That(count "mnist-cnn" (ModelConfig(Classes = 3)), Is.EqualTo(16_106L - 7L * 65L))
    Assert.That(count "vgg-16" (VggConfig(3, 32, BatchNorm = Nullable false)), Is.EqualTo(14_728_266L - 8_448L))
    Assert.That(count "myrtle-shankar" (MyrtleConfig(3, 32, Depth = Nullable 10, Width = Nullable 16)),
                Is.EqualTo(16L * 27L + 16L + 8L * (16L * 144L + 16L) + 16L * 10L + 10L))

// ---------------------------------------------------------------- errors

[<Test>]
let ``an unknown name lists the known names`` () =
    let e = argumentError "unknown name" (fun () -> ModelZoo.Create("resnet-1000", mnist, null) |> ignore)
    TestSupport.contains "resnet-1000" e.Message
    for name in ModelZoo.Names do
        TestSupport.contains name e.Message

[<Test>]
let ``an input too small fails at construction with the layer and the smallest size`` () =
    settleLiveTensors ()
    let before = TestSupport.liveTensorsSettled ()
    let e = argumentError "conv13 on 28x28" (fun () -> ModelZoo.Create("conv13", mnist, null) |> ignore)
    TestContext.Out.WriteLine e.Message
    TestSupport.contains "conv13" e.Message
    TestSupport.contains "1×28×28" e.Message
    TestSupport.contains "max-pool" e.Message
    TestSupport.contains "1×32×32" e.Message
    let e = argumentError "conv7 on 8x8" (fun () -> ModelZoo.Create("conv7", configFor 1 8, null) |> ignore)
    TestContext.Out.WriteLine e.Message
    TestSupport.contains "conv7" e.Message
    argumentError "vgg-16 on 16x16" (fun () -> ModelZoo.Create("vgg-16", configFor 3 16, null) |> ignore) |> ignore
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo before, "nothing allocated by a refused config")

[<Test>]
let ``unused or out-of-range config fields are refused`` () =
    let refuses name (config: ModelConfig) (fragment: string) =
        let e = argumentError (sprintf "%s %O" name config) (fun () -> ModelZoo.Create(name, config, null) |> ignore)
        TestSupport.contains fragment e.Message
    refuses "f1" (ConvNetConfig(Filters = [| 8 |])) "not a ConvNetConfig"
    refuses "resnet-20" (ResNetConfig(3, 32, BlocksPerStage = Nullable 5)) "not a ResNetConfig"
    refuses "mnist-cnn" (MlpConfig(Widths = [| 8 |])) "takes a ConvNetConfig"
    refuses "cifar10-cnn" (ConvNetConfig(3, 32, DenseWidth = Nullable 8)) "does not use DenseWidth"
    refuses "lenet-300-100" (MlpConfig(Dropout = Nullable 0.5)) "does not use Dropout"
    refuses "myrtle-cnn" (MyrtleConfig(3, 32, Depth = Nullable 5)) "does not use Depth"
    refuses "cifar-resnet" (ResNetConfig(3, 32, Depth = Nullable 21)) "6n + 2"
    refuses "cifar-resnet" (ResNetConfig(3, 32, Depth = Nullable 20, BlocksPerStage = Nullable 4)) "disagree"
    refuses "myrtle-shankar" (MyrtleConfig(3, 32, Depth = Nullable 6)) "5, 7 or 10"
    refuses "mnist-cnn" (ConvNetConfig(Kernel = Nullable 4)) "odd"
    refuses "mnist-fc" (MlpConfig(Dropout = Nullable 1.0)) "Dropout"
    refuses "lenet-5" (ModelConfig(Classes = 0)) "Classes"

[<Test>]
let ``forward refuses an input of the wrong shape`` () =
    use model = ModelZoo.Create("lenet-5", mnist, null)
    use scope = torch.NewDisposeScope()
    let e = argumentError "wrong input" (fun () -> model.forward(torch.zeros([| 2L; 3L; 32L; 32L |])) |> ignore)
    TestSupport.contains "(N, 1, 28, 28)" e.Message

// ---------------------------------------------------------------- initialisation

/// Light models for the seed properties (heavy ones are covered once by the determinism test).
let private lightModels = [| "mnist-fc"; "mnist-cnn"; "lenet-300-100"; "lenet-5"; "f1"; "f2"; "conv7"; "myrtle-shankar" |]

[<Property(MaxTest = 16)>]
let ``same generator seed gives identical parameters`` () =
    let gen =
        gen {
            let! name = Gen.elements lightModels
            let! seed = Gen.choose (0, Int32.MaxValue)
            let! scheme = Gen.elements (Enum.GetValues<InitScheme>())
            return name, uint64 seed, scheme
        }
    Prop.forAll (Arb.fromGen gen) (fun (name, seed, scheme) ->
        let config = ModelConfig(Init = Nullable scheme)
        let build s =
            use g = new torch.Generator(s)
            ModelZoo.Create(name, config, g)
        use first = build seed
        use again = build seed
        use other = build (seed + 1UL)
        Assert.That(first.InitScheme, Is.EqualTo scheme)
        Assert.That(sameState first again, Is.True, "same seed")
        Assert.That(sameState first other, Is.False, "another seed"))

[<Test>]
let ``every model is reproducible from its seed`` () =
    for name in ModelZoo.Names do
        let build () =
            use g = new torch.Generator(5UL)
            ModelZoo.Create(name, cifar, g)
        use first = build ()
        use again = build ()
        Assert.That(sameState first again, Is.True, name)

[<Test>]
let ``init schemes draw from the given generator with the documented distributions`` () =
    // He-uniform (LaPerm's default for f1): exactly SeededInit.KaimingUniform on a fresh (10, 784) tensor with the same seed.
    let f1Weight scheme =
        use g = new torch.Generator(3UL)
        use model = ModelZoo.Create("f1", ModelConfig(Init = scheme), g)
        let struct (_, p) = Seq.exactlyOne (model.named_parameters())
        values p
    let oracle =
        use scope = torch.NewDisposeScope()
        use g = new torch.Generator(3UL)
        let w = torch.empty([| 10L; 784L |])
        SeededInit.KaimingUniform(w, g)
        values w
    Assert.That(ModelZoo.DefaultInit "f1", Is.EqualTo InitScheme.HeUniform)
    same "f1 weight vs SeededInit.KaimingUniform" oracle (f1Weight (Nullable()))
    let bound = sqrt (6.0 / 784.0)
    Assert.That(oracle |> Array.forall (fun v -> abs v <= bound), Is.True)
    Assert.That(oracle |> Array.map abs |> Array.max, Is.GreaterThan(0.95 * bound))
    // PyTorch default for lenet-300-100: |w| ≤ 1/√fan_in, biases too; Kaiming normal: biases 0.
    use lenet = ModelZoo.Create("lenet-300-100", mnist, null)
    Assert.That(ModelZoo.DefaultInit "lenet-300-100", Is.EqualTo InitScheme.PyTorchDefault)
    let first = layer lenet 1 :?> Linear
    Assert.That(values first.weight |> Array.forall (fun v -> abs v <= 1.0 / sqrt 784.0), Is.True)
    Assert.That(values (biasOf first.bias) |> Array.forall (fun v -> abs v <= 1.0 / sqrt 784.0), Is.True)
    use kaiming = ModelZoo.Create("lenet-300-100", ModelConfig(Init = Nullable InitScheme.KaimingNormal), null)
    let k = layer kaiming 1 :?> Linear
    Assert.That(values (biasOf k.bias) |> Array.forall ((=) 0.0), Is.True)
    let std = values k.weight |> fun a -> sqrt (Array.averageBy (fun v -> v * v) a)
    Assert.That(std, Is.EqualTo(sqrt (2.0 / 784.0)).Within(0.05 * sqrt (2.0 / 784.0)))
    // He-uniform biases (conv7): U(-√(6/n), √(6/n)) with n the bias length.
    use conv7 = ModelZoo.Create("conv7", mnist, null)
    let c0 = layer conv7 0 :?> Conv2d
    Assert.That(values (biasOf c0.bias) |> Array.forall (fun v -> abs v <= sqrt (6.0 / 32.0)), Is.True)
    Assert.That(values (biasOf c0.bias) |> Array.exists (fun v -> abs v > 1.0 / 3.0), Is.True, "wider than PyTorch's 1/√9 bound")

// ---------------------------------------------------------------- devices

[<Test>]
let ``models move to CUDA and run there`` () =
    if not (torch.cuda.is_available()) then Assert.Ignore "no CUDA device"
    for name in [ "lenet-5"; "resnet-20"; "conv13"; "myrtle-cnn" ] do
        use model = ModelZoo.Create(name, cifar, null)
        model.``to``(torch.CUDA) |> ignore
        use scope = torch.NewDisposeScope()
        let x = (randomInput 4UL cifar).``to``(torch.CUDA)
        let logits = model.forward x
        Assert.That(logits.device_type, Is.EqualTo DeviceType.CUDA)
        let loss = torch.nn.functional.cross_entropy(logits, targets().``to``(torch.CUDA))
        loss.backward()
        for p in model.parameters() do
            Assert.That(p.grad, Is.Not.Null)
