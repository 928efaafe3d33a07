/// Convolution input gradients are right after ConvGradientGuard.Protect, on any CPU: on this project's AMD EPYC
/// machines libtorch 2.10's oneDNN gets them wrong (sometimes NaN) for narrow shapes, which made small CNNs in the
/// tests diverge at random (the stitching store test failed in CI that way).
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ConvGradientGuardTests

open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Models
open Symmetry.Core.Training

type ConvCase =
    { Batch: int64; InChannels: int64; OutChannels: int64; Kernel: int64; Stride: int64; Padding: int64; Size: int64; Seed: int }

let private genCase =
    gen {
        let! kernel = Gen.choose (1, 4)
        let! padding = Gen.choose (0, kernel - 1)
        let! size = Gen.choose (max 1 (kernel - 2 * padding), 9)
        let! stride = Gen.choose (1, 2)
        let! inChannels = Gen.choose (1, 20)
        let! outChannels = Gen.choose (1, 20)
        let! batch = Gen.choose (1, 3)
        let! seed = Gen.choose (0, 1_000_000)
        return
            { Batch = int64 batch; InChannels = int64 inChannels; OutChannels = int64 outChannels; Kernel = int64 kernel
              Stride = int64 stride; Padding = int64 padding; Size = int64 size; Seed = seed }
    }

/// A model whose second convolution is the generated one (the first reads the data and is never probed).
let private modelWith (c: ConvCase) =
    torch.nn.Sequential(
        ("input", torch.nn.Conv2d(1L, c.InChannels, 1L) :> torch.nn.Module<torch.Tensor, torch.Tensor>),
        ("probed", torch.nn.Conv2d(c.InChannels, c.OutChannels, c.Kernel, stride = c.Stride, padding = c.Padding) :> torch.nn.Module<torch.Tensor, torch.Tensor>))

/// d/dx Σ (conv(x) ⊙ upstream) in the given dtype, through autograd.
let private inputGradient (c: ConvCase) (x: torch.Tensor) (w: torch.Tensor) (upstream: torch.Tensor) =
    let x = x.detach().requires_grad_(true)
    let y = torch.nn.functional.conv2d(x, w, strides = [| c.Stride; c.Stride |], padding = [| c.Padding; c.Padding |])
    y.mul(upstream).sum().backward()
    match x.grad with
    | null -> failwith "no input gradient"
    | grad -> grad

[<Property(MaxTest = 60)>]
let ``after Protect, float32 convolution input gradients equal float64 ones for any narrow shape`` () =
    Prop.forAll (Arb.fromGen genCase) (fun c ->
        TorchRuntime.Ensure()
        use model = modelWith c
        ConvGradientGuard.Protect model
        use scope = torch.NewDisposeScope()
        use g = new torch.Generator(uint64 c.Seed)
        let x = torch.randn([| c.Batch; c.InChannels; c.Size; c.Size |], generator = g)
        let w = torch.randn([| c.OutChannels; c.InChannels; c.Kernel; c.Kernel |], generator = g)
        let out = (c.Size + 2L * c.Padding - c.Kernel) / c.Stride + 1L
        let upstream = torch.randn([| c.Batch; c.OutChannels; out; out |], generator = g)
        let ours = inputGradient c x w upstream
        let f64 (t: torch.Tensor) = t.to_type(torch.ScalarType.Float64)
        let reference = inputGradient c (f64 x) (f64 w) (f64 upstream)
        let error = (f64 ours - reference).abs().max().item<double>()
        let scale = max (reference.abs().max().item<double>()) 1e-30
        error <= 1e-5 * scale |> Prop.label (sprintf "%A: error %g of %g" c error scale))

[<Test>]
let ``training one narrow CNN twice in one process gives the same finite weights`` () =
    // Before the guard, the second and later runs here came out NaN or different on this machine's CPUs.
    let config = ConvNetConfig(1, 4, 3, Filters = [| 3; 4 |], Kernel = System.Nullable 3, DenseWidth = System.Nullable 5)
    use splits = DataTestSupport.gaussianSplits 48L 16L
    let train () =
        use g = new torch.Generator(2UL)
        use model = ModelZoo.Create("mnist-cnn", config, g)
        let data = LoaderData(splits, 8, 3UL)
        use optimizer = AdamSettings().Create(model.parameters())
        use trainer = new Trainer(model, optimizer, data, TrainerOptions(Epochs = 2, Seed = 1UL, EvaluateEachEpoch = false, EvaluateTrainSet = false))
        trainer.Run() |> ignore
        model.parameters() |> Seq.collect (fun p -> p.detach().to_type(torch.ScalarType.Float64).data<double>().ToArray()) |> Array.ofSeq
    let runs = [ for _ in 1 .. 4 -> train () ]
    for run in runs do Assert.That(run |> Array.forall System.Double.IsFinite, "finite")
    for run in runs.Tail do Assert.That((run = runs.Head), "bit for bit the first run's weights")

[<Test>]
let ``the oneDNN switch reads back what was set`` () =
    if not Mkldnn.Supported then Assert.Ignore "the oneDNN switch is bound on Linux x64 only"
    let before = Mkldnn.Enabled
    try
        Mkldnn.Enabled <- false
        Assert.That(Mkldnn.Enabled, Is.False)
        Mkldnn.Enabled <- true
        Assert.That(Mkldnn.Enabled, Is.True)
    finally
        Mkldnn.Enabled <- before

[<Test>]
let ``a model's first convolution is not probed and shapes name what the kernel choice depends on`` () =
    TorchRuntime.Ensure()
    use single = torch.nn.Sequential(("only", torch.nn.Conv2d(3L, 4L, 3L, padding = 1L) :> torch.nn.Module<torch.Tensor, torch.Tensor>))
    let before = if Mkldnn.Supported then Mkldnn.Enabled else true
    ConvGradientGuard.Protect single
    Assert.That((if Mkldnn.Supported then Mkldnn.Enabled else true), Is.EqualTo before, "a lone first convolution changes nothing")
    use same = torch.nn.Conv2d(4L, 8L, 5L, Padding.Same, dilation = 2L)
    let shape = ConvShape.Of same
    Assert.That((shape.Padding, shape.Dilation, shape.Kernel), Is.EqualTo(([| 4L; 4L |], [| 2L; 2L |], [| 5L; 5L |])))
    use explicitPadding = torch.nn.Conv2d(4L, 8L, 5L, padding = 4L, dilation = 2L)
    Assert.That((shape = ConvShape.Of explicitPadding), "'same' is its explicit padding")
    Assert.That(string shape, Is.EqualTo "4→8 channels, kernel 5×5, stride 1×1, padding 4×4, dilation 2×2")
    Assert.That((shape.ProbeSizes() = [| 4L; 11L |]), "probe sizes: the smallest valid (at least 4) and 2·it + 3")
