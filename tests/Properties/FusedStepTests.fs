/// The fused CPU step's pieces against independent oracles: its matrix products against brute force in float64, its
/// byte images against libtorch's own conversion, its Adam update against TorchSharp's optimizers.
module Symmetry.Properties.FusedStepTests

open System
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Torch.Optimizers
open Symmetry.Core.Data
open Symmetry.Core.Training.Batched
open Symmetry.Properties.TestSupport

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

type private Product = { M: int; N: int; K: int; PadA: int; PadB: int; PadC: int; Transposed: bool; Seed: int }

let private genProduct =
    gen {
        // Rows cross the 16-, 8- and 1-row kernels; columns are whole vectors, as the step pads them.
        let! m = Gen.choose (1, 40)
        let! n = Gen.elements [ 16; 32; 48 ]
        let! k = Gen.choose (0, 50)
        let! padA = Gen.choose (0, 3)
        let! padB = Gen.choose (0, 3)
        let! padC = Gen.choose (0, 3)
        let! transposed = Gen.elements [ false; true ]
        let! seed = Gen.choose (0, 100_000)
        return { M = m; N = n; K = k; PadA = padA; PadB = padB; PadC = padC; Transposed = transposed; Seed = seed }
    }

[<Property(MaxTest = 200)>]
let ``small products equal brute force in float64 to float32 rounding`` () =
    Prop.forAll (Arb.fromGen genProduct) (fun p ->
        let random = Random(p.Seed)
        let values count = Array.init count (fun _ -> float32 (random.NextDouble() * 2.0 - 1.0))
        // A is m × k (or, transposed, k × m) with stride lda; B is k × n with stride ldb; C is m × n with stride ldc.
        let lda = (if p.Transposed then p.M else p.K) + p.PadA
        let a = values ((if p.Transposed then p.K else p.M) * lda + 1)
        let ldb = p.N + p.PadB
        let b = values (max 1 p.K * ldb)
        let ldc = p.N + p.PadC
        let c = Array.create (p.M * ldc) nanf
        let aAt i q = if p.Transposed then a.[q * lda + i] else a.[i * lda + q]
        if p.Transposed then SmallGemm.MultiplyTransposed(ReadOnlySpan a, lda, ReadOnlySpan b, ldb, Span c, ldc, p.M, p.N, p.K)
        else SmallGemm.Multiply(ReadOnlySpan a, lda, ReadOnlySpan b, ldb, Span c, ldc, p.M, p.N, p.K)
        let wrong =
            [ for i in 0 .. p.M - 1 do
                for j in 0 .. p.N - 1 do
                    let exact = Seq.sum (seq { for q in 0 .. p.K - 1 -> float (aAt i q) * float b.[q * ldb + j] })
                    let magnitude = Seq.sum (seq { for q in 0 .. p.K - 1 -> abs (float (aAt i q) * float b.[q * ldb + j]) })
                    // A float32 dot product of k terms errs by at most about k·2⁻²⁴ of the magnitudes' sum.
                    if not (abs (float c.[i * ldc + j] - exact) <= float (p.K + 1) * 6e-8 * magnitude) then yield i, j, c.[i * ldc + j], exact ]
        List.isEmpty wrong |@ sprintf "%A: %A" p (List.truncate 5 wrong))

[<Test>]
let ``a product with a rows' remainder and a 16-row block writes every row and only the C it owns`` () =
    // 17 rows: one 16-row block and one single row; C's padding between rows must stay untouched.
    let m, n, k, ldc = 17, 16, 3, 20
    let a = Array.init (m * k) (fun i -> float32 (i % 7 - 3))
    let b = Array.init (k * n) (fun i -> float32 (i % 5 - 2))
    let c = Array.create (m * ldc) 42.0f
    SmallGemm.Multiply(ReadOnlySpan a, k, ReadOnlySpan b, n, Span c, ldc, m, n, k)
    for i in 0 .. m - 1 do
        for j in 0 .. n - 1 do
            let expected = Seq.sum (seq { for q in 0 .. k - 1 -> a.[i * k + q] * b.[q * n + j] })
            Assert.That(c.[i * ldc + j], Is.EqualTo expected, sprintf "C[%d, %d]" i j)
        for j in n .. ldc - 1 do Assert.That(c.[i * ldc + j], Is.EqualTo 42.0f, sprintf "padding C[%d, %d]" i j)

[<Test>]
let ``every byte expands to the float libtorch's to(float32).div_(255) makes of it`` () =
    use scope = torch.NewDisposeScope()
    let bytes = Array.init 256 byte
    let expected = torch.tensor(bytes).``to``(torch.ScalarType.Float32).div_(255.0.ToScalar()).data<float32>().ToArray()
    // Twice over, at an odd offset, so that both the vector loop and the scalar tail see every value.
    let source = Array.append bytes bytes |> Array.skip 3
    let actual = Array.zeroCreate<float32> source.Length
    ByteImages.Expand(ReadOnlySpan source, Span actual)
    for i in 0 .. source.Length - 1 do
        Assert.That(BitConverter.SingleToInt32Bits actual.[i], Is.EqualTo(BitConverter.SingleToInt32Bits expected.[int source.[i]]), sprintf "byte %d" source.[i])

/// A data set that owns `images` and zero labels.
let private datasetOf (images: torch.Tensor) =
    let labels = torch.zeros([| images.size 0 |], dtype = torch.ScalarType.Int64)
    new TensorDataset("bytes-test", images, labels)

[<Test>]
let ``raw images are held as their bytes, anything else is not`` () =
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(5UL)
    let raw = torch.randint(0L, 256L, [| 37L; 1L; 5L; 7L |], dtype = torch.ScalarType.Int64, generator = generator).``to``(torch.ScalarType.Byte)
    let original = raw.flatten().data<byte>().ToArray()
    use loaded = datasetOf (raw.``to``(torch.ScalarType.Float32).div_(255.0.ToScalar()))
    Assert.That(ByteImages.Of loaded, Is.EqualTo(box original), "the loader's floats give back their bytes")
    Assert.That(Object.ReferenceEquals(ByteImages.Of loaded, ByteImages.Of loaded), Is.True, "checked once per data set")
    use normalised = loaded.Normalize()
    Assert.That(ByteImages.Of normalised, Is.Null, "normalised images")
    let nudged = raw.``to``(torch.ScalarType.Float32).div_(255.0.ToScalar())
    nudged.flatten().[100L] <- torch.tensor(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(nudged.flatten().[100L].item<float32>()) + 1))
    use nudgedSet = datasetOf nudged
    Assert.That(ByteImages.Of nudgedSet, Is.Null, "one pixel one ulp off")
    // 20 pixels: 16 in one vector, 4 in the scalar tail; a −0 in either is no byte.
    for at in [ 2L; 18L ] do
        let negativeZero = torch.zeros([| 4L; 5L |])
        negativeZero.flatten().[at] <- torch.tensor(-0.0f)
        use zeroSet = datasetOf negativeZero
        Assert.That(ByteImages.Of zeroSet, Is.Null, sprintf "a −0 at %d" at)

type private AdamCase = { Size: int; Previous: int; Lr: float; Decay: float; Decoupled: bool; Masked: bool; Seed: int }

let private genAdam =
    gen {
        let! size = Gen.choose (1, 70)
        let! previous = Gen.choose (0, 5)
        let! lr = Gen.elements [ 1e-3; 0.01; 0.05 ]
        let! decay = Gen.elements [ 0.0; 1e-3; 0.01 ]
        let! decoupled = Gen.elements [ false; true ]
        let! masked = Gen.elements [ false; true ]
        let! seed = Gen.choose (0, 100_000)
        return { Size = size; Previous = previous; Lr = lr; Decay = decay; Decoupled = decoupled; Masked = masked; Seed = seed }
    }

[<Property(MaxTest = 100)>]
let ``one fused Adam or AdamW update equals TorchSharp's optimizer step, masked as the trainer masks`` () =
    Prop.forAll (Arb.fromGen genAdam) (fun c ->
        use scope = torch.NewDisposeScope()
        use generator = new torch.Generator(uint64 c.Seed)
        let mask =
            if c.Masked then torch.rand([| int64 c.Size |], generator = generator).gt(torch.tensor 0.3).``to``(torch.ScalarType.Float32)
            else torch.ones([| int64 c.Size |])
        use p = new Modules.Parameter(torch.randn([| int64 c.Size |], generator = generator).mul(mask), true)
        use optimizer =
            if c.Decoupled then torch.optim.AdamW([ p ], c.Lr, 0.9, 0.999, 1e-8, c.Decay) :> torch.optim.Optimizer
            else torch.optim.Adam([ p ], c.Lr, 0.9, 0.999, 1e-8, c.Decay)
        let trainerStep (gradient: torch.Tensor) =
            p.grad <- gradient.mul(mask)
            optimizer.step() |> ignore
            use _ = torch.no_grad()
            p.mul_(mask) |> ignore
        for _ in 1 .. c.Previous do trainerStep (torch.randn([| int64 c.Size |], generator = generator))
        let floats (t: torch.Tensor) = t.detach().clone().data<float32>().ToArray()
        let moments () =
            use flat = OptimizerStates.Flatten optimizer
            floats flat.["0.exp_avg"], floats flat.["0.exp_avg_sq"]
        let parameter = floats p
        let first, second = if c.Previous = 0 then Array.zeroCreate c.Size, Array.zeroCreate c.Size else moments ()
        let gradient = torch.randn([| int64 c.Size |], generator = generator)
        let rawGradient = floats gradient
        let maskValues = floats mask
        trainerStep gradient
        let scalars = AdamScalars.Of(AdaptiveMomentStep(int64 (c.Previous + 1), c.Lr, 0.9, 0.999, 1e-8, c.Decay, c.Decoupled))
        let squares =
            AdamSlice.Update(Span parameter, ReadOnlySpan rawGradient, Span first, Span second,
                             (if c.Masked then ReadOnlySpan maskValues else ReadOnlySpan.Empty), scalars)
        let expectedFirst, expectedSecond = moments ()
        let far (actual: float32[]) (expected: float32[]) =
            let scale = expected |> Array.map abs |> Array.fold max 1e-30f
            Array.exists2 (fun (x: float32) (y: float32) -> abs (x - y) > 1e-6f * scale) actual expected
        let expectedSquares = Array.fold2 (fun s (g: float32) (m: float32) -> s + float (g * m) * float (g * m)) 0.0 rawGradient maskValues
        let problems =
            [ if far parameter (floats p) then yield "parameter"
              if far first expectedFirst then yield "first moment"
              if far second expectedSecond then yield "second moment"
              if abs (float squares - expectedSquares) > 1e-5 * max expectedSquares 1e-30 then yield sprintf "squares %g vs %g" squares expectedSquares ]
        List.isEmpty problems |@ sprintf "%A: %A" c problems)
