/// TensorDataset, normalisation, augmentation and the DataLoader: order reproducibility, coverage, scopes.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.DataLoaderTests

open System
open NUnit.Framework
open FsCheck
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Properties.DataTestSupport

type private Tensor = torch.Tensor

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// n samples of shape (1, 2, 2) whose every pixel is the sample's index, labelled with that index.
let private indexed (n: int) =
    TorchRuntime.Ensure()
    use scope = torch.NewDisposeScope()
    let images = torch.tensor(Array.init (n * 4) (fun k -> float32 (k / 4)), ReadOnlySpan<int64>([| int64 n; 1L; 2L; 2L |]))
    let labels = torch.arange(0L, int64 n, 1L, dtype = torch.ScalarType.Int64)
    new TensorDataset("indexed", images, labels)

/// n random images (n, c, h, w) with values in (0, 1], labelled 0.
let private randomImages (seed: int) (n: int) (c: int) (h: int) (w: int) =
    TorchRuntime.Ensure()
    use scope = torch.NewDisposeScope()
    let random = Random seed
    let images = torch.tensor(Array.init (n * c * h * w) (fun _ -> float32 (random.Next(1, 256)) / 255.0f), ReadOnlySpan<int64>([| int64 n; int64 c; int64 h; int64 w |]))
    new TensorDataset("random", images, torch.zeros([| int64 n |], dtype = torch.ScalarType.Int64))

/// The labels and first pixels of every batch of one epoch, read out while the batch is live.
let private epoch (loader: DataLoader) (e: int) =
    [ for struct (x, y) in loader.Epoch e do
        use scope = torch.NewDisposeScope()
        let labels = y.data<int64>().ToArray()
        let firstPixels = x.flatten(1).select(1, 0L).data<float32>().ToArray()
        yield labels, firstPixels ]

let private labelsOf batches = batches |> List.map fst |> Array.concat

[<Property(MaxTest = 30)>]
let ``the same (seed, epoch) gives the same order; batches hold matching images and labels`` (seed: uint64) (NonNegativeInt e) (PositiveInt n0) (PositiveInt b0) =
    let n = 1 + n0 % 150
    let batch = 1 + b0 % (n + 3)
    use data = indexed n
    let loader = DataLoader(data, batch, shuffle = true, seed = seed)
    let again = DataLoader(data, batch, shuffle = true, seed = seed)
    let first = epoch loader e
    let second = epoch again e
    first = second
    && labelsOf first = loader.Order e
    && first |> List.forall (fun (labels, pixels) -> Array.map float32 labels = pixels)
    && first |> List.forall (fun (labels, _) -> labels.Length <= batch)
    && int64 first.Length = loader.BatchCount

[<Property(MaxTest = 30)>]
let ``every sample appears exactly once per epoch`` (seed: uint64) (NonNegativeInt e) (PositiveInt n0) (PositiveInt b0) (shuffle: bool) =
    let n = 1 + n0 % 150
    let batch = 1 + b0 % (n + 3)
    use data = indexed n
    let loader = DataLoader(data, batch, shuffle = shuffle, seed = seed)
    let seen = labelsOf (epoch loader e)
    Array.sort seen = Array.init n int64

[<Property(MaxTest = 30)>]
let ``drop-last gives only full batches of distinct samples`` (seed: uint64) (PositiveInt n0) (PositiveInt b0) =
    let n = 1 + n0 % 150
    let batch = 1 + b0 % (n + 3)
    use data = indexed n
    let loader = DataLoader(data, batch, shuffle = true, seed = seed, dropLast = true)
    let batches = epoch loader 0
    let seen = labelsOf batches
    int64 batches.Length = int64 (n / batch)
    && batches |> List.forall (fun (labels, _) -> labels.Length = batch)
    && (Array.distinct seen).Length = seen.Length
    && seen = (loader.Order 0)[.. seen.Length - 1]

[<Property(MaxTest = 30)>]
let ``different epochs and different seeds give different orders`` (seed: uint64) (NonNegativeInt e) =
    use data = indexed 40
    let loader = DataLoader(data, 16, shuffle = true, seed = seed)
    let other = DataLoader(data, 16, shuffle = true, seed = seed + 1UL)
    let order = labelsOf (epoch loader e)
    order <> labelsOf (epoch loader (e + 1)) && order <> labelsOf (epoch other e)

[<Property(MaxTest = 20)>]
let ``the training order is RandPerm from Seeds.Derive(seed, data-order/epoch-N)`` (seed: uint64) (NonNegativeInt e) =
    use data = indexed 25
    let loader = DataLoader(data, 7, shuffle = true, seed = seed)
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(Seeds.Derive(seed, $"data-order/epoch-{e}"))
    loader.Order e = torch.randperm(25L, generator = generator).data<int64>().ToArray()

[<Property(MaxTest = 20)>]
let ``the test loader is sequential 0..N-1 in every epoch`` (seed: uint64) (NonNegativeInt e) (PositiveInt n0) (PositiveInt b0) =
    let n = 1 + n0 % 100
    let batch = 1 + b0 % (n + 3)
    use data = indexed n
    let loader = DataLoader(data, batch, shuffle = false, seed = seed)
    labelsOf (epoch loader e) = Array.init n int64

[<Test>]
let ``batches live in the caller's scope, are released as the loop moves on, and nothing leaks`` () =
    use data = indexed 50
    let loader = DataLoader(data, 8, shuffle = true, seed = 3UL, augmentation = Augmentation.Cifar)
    let before = TestSupport.liveTensorsSettled ()
    let during = ResizeArray()
    do
        use outer = torch.NewDisposeScope()
        for struct (x, y) in loader.Epoch 0 do
            use scope = torch.NewDisposeScope()
            let _ = x * 2.0 + 1.0
            during.Add TorchRuntime.LiveTensors
            expectEqual 2 outer.DisposablesCount // x and y belong to the scope that was current when the loop stepped
            Assert.That(x.IsInvalid || y.IsInvalid, Is.False)
        expectEqual 0 outer.DisposablesCount
    Assert.That(during |> Seq.distinct |> Seq.length, Is.EqualTo 1, "live tensors grew during the epoch")
    expectEqual before TorchRuntime.LiveTensors

[<Test>]
let ``an abandoned epoch releases its current batch`` () =
    use data = indexed 30
    let loader = DataLoader(data, 4, shuffle = true, seed = 9UL)
    let before = TestSupport.liveTensorsSettled ()
    do
        use scope = torch.NewDisposeScope()
        let struct (x, _) = loader.Epoch 2 |> Seq.head
        Assert.That(x.IsInvalid, Is.True)
    expectEqual before TorchRuntime.LiveTensors

[<Test>]
let ``loader shapes and batch count`` () =
    use data = indexed 10
    let loader = DataLoader(data, 4, shuffle = true, seed = 1UL)
    expectEqual 3L loader.BatchCount
    expectEqual 2L (DataLoader(data, 4, shuffle = true, dropLast = true).BatchCount)
    use scope = torch.NewDisposeScope()
    let shapes = [ for struct (x, y) in loader.Epoch 0 -> x.shape, y.shape, y.dtype ]
    expectEqual [ [| 4L; 1L; 2L; 2L |]; [| 4L; 1L; 2L; 2L |]; [| 2L; 1L; 2L; 2L |] ] (shapes |> List.map (fun (s, _, _) -> s))
    Assert.That(shapes |> List.forall (fun (_, _, d) -> d = torch.ScalarType.Int64))

/// Brute-force oracle: does `output` (C, H, W) equal `input` shifted by (dy, dx) ∈ [−p, p]², with fill[c] shifted in?
let private isFilledCrop (fill: float32[]) (p: int) (input: float32[,,]) (output: float32[,,]) =
    let c, h, w = Array3D.length1 input, Array3D.length2 input, Array3D.length3 input
    let matches dy dx =
        seq { for k in 0 .. c - 1 do
                for r in 0 .. h - 1 do
                  for q in 0 .. w - 1 ->
                    let sr, sq = r + dy, q + dx
                    let expected = if sr >= 0 && sr < h && sq >= 0 && sq < w then input[k, sr, sq] else fill[k]
                    output[k, r, q] = expected }
        |> Seq.forall id
    [ for dy in -p .. p do for dx in -p .. p -> dy, dx ] |> List.tryFind (fun (dy, dx) -> matches dy dx)

let private isPaddedCrop p input output = isFilledCrop (Array.zeroCreate (Array3D.length1 input)) p input output

let private sample (t: Tensor) (i: int) = t[int64 i].data<float32>().ToNDArray() :?> float32[,,]

[<Property(MaxTest = 20)>]
let ``random crop keeps the shape and every sample is a zero-padded shift of at most p`` (seed: uint64) (PositiveInt p0) =
    let p = 1 + p0 % 4
    use data = randomImages (int seed) 24 3 7 6
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(seed)
    let cropped = Augmentation.RandomCrop(data.Images, p, generator)
    let shifts = [ for i in 0 .. 23 -> isPaddedCrop p (sample data.Images i) (sample cropped i) ]
    cropped.shape = data.Images.shape
    && shifts |> List.forall Option.isSome
    && (shifts |> List.distinct |> List.length) > 1

[<Property(MaxTest = 10)>]
let ``random crop pads with the given per-channel fill`` (seed: uint64) =
    use data = randomImages (int (seed % 1000UL)) 12 2 5 5
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(seed)
    let fill = [| -0.75; 3.5 |]
    let cropped = Augmentation.RandomCrop(data.Images, 2, generator, fill)
    [ for i in 0 .. 11 -> isFilledCrop (Array.map float32 fill) 2 (sample data.Images i) (sample cropped i) ]
    |> List.forall Option.isSome

[<Test>]
let ``the loader crops normalised data with black padding, (0 - mean) / std per channel`` () =
    use raw = randomImages 15 10 3 6 6
    let stats = ChannelStats([| 0.5; 0.25; 0.125 |], [| 0.5; 2.0; 0.25 |])
    use data = raw.Normalize stats
    let loader = DataLoader(data, 10, shuffle = false, seed = 2UL, augmentation = Augmentation(CropPadding = 3))
    use scope = torch.NewDisposeScope()
    let fill = Array.map2 (fun m s -> float32 (-m / s)) stats.Mean stats.Std
    for struct (x, _) in loader.Epoch 0 do
        for i in 0 .. 9 do
            Assert.That(isFilledCrop fill 3 (sample data.Images i) (sample x i), Is.Not.EqualTo None, $"sample {i}")

[<Property(MaxTest = 20)>]
let ``horizontal flip mirrors some samples and leaves the others`` (seed: uint64) =
    use data = randomImages (int seed) 40 2 3 5
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(seed)
    let flipped = Augmentation.RandomHorizontalFlip(data.Images, generator, 0.5)
    let mirrored = data.Images.flip(3L)
    let kinds =
        [ for i in 0 .. 39 ->
            let out = flipped[int64 i].data<float32>().ToArray()
            if out = data.Images[int64 i].data<float32>().ToArray() then "same"
            elif out = mirrored[int64 i].data<float32>().ToArray() then "mirrored"
            else "other" ]
    flipped.shape = data.Images.shape
    && not (List.contains "other" kinds)
    && List.contains "same" kinds && List.contains "mirrored" kinds

[<Property(MaxTest = 15)>]
let ``augmentation with the same seed and epoch is reproducible; crops keep CIFAR shape`` (seed: uint64) (NonNegativeInt e) =
    use data = randomImages (int (seed % 1000UL)) 20 3 32 32
    let batchesOf seed e =
        let loader = DataLoader(data, 8, shuffle = true, seed = seed, augmentation = Augmentation.Cifar)
        [ for struct (x, _) in loader.Epoch e -> x.shape, x.data<float32>().ToArray() ]
    let first = batchesOf seed e
    first = batchesOf seed e
    && first |> List.forall (fun (shape, _) -> shape[1..] = [| 3L; 32L; 32L |])
    && first <> batchesOf seed (e + 1)

[<Test>]
let ``augmentation draws from Seeds.Derive(seed, augment/epoch-N)`` () =
    use data = randomImages 11 12 3 8 8
    let loader = DataLoader(data, 12, shuffle = false, seed = 5UL, augmentation = Augmentation.Cifar)
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(Seeds.Derive(5UL, "augment/epoch-3"))
    let expected = Augmentation.Cifar.Apply(data.Images, generator).data<float32>().ToArray()
    let actual = [ for struct (x, _) in loader.Epoch 3 -> x.data<float32>().ToArray() ] |> List.exactlyOne
    expectEqual expected actual

[<Test>]
let ``no augmentation leaves the images as they are`` () =
    use data = randomImages 12 6 3 4 4
    use scope = torch.NewDisposeScope()
    use generator = new torch.Generator(1UL)
    expectEqual (data.Images.data<float32>().ToArray()) (Augmentation.None.Apply(data.Images, generator).data<float32>().ToArray())
    expectEqual (data.Images.data<float32>().ToArray()) (Augmentation.RandomCrop(data.Images, 0, generator).data<float32>().ToArray())

[<Test>]
let ``normalising with given statistics computes (x - mean) / std per channel`` () =
    use data = randomImages 13 5 2 3 3
    let stats = ChannelStats([| 0.25; 0.5 |], [| 2.0; 0.5 |])
    use normalized = data.Normalize stats
    use scope = torch.NewDisposeScope()
    let input = data.Images.data<float32>().ToNDArray() :?> float32[,,,]
    let output = normalized.Images.data<float32>().ToNDArray() :?> float32[,,,]
    for i in 0 .. 4 do
        for c in 0 .. 1 do
            for r in 0 .. 2 do
                for q in 0 .. 2 do
                    let expected = (float input[i, c, r, q] - stats.Mean[c]) / stats.Std[c]
                    Assert.That(float output[i, c, r, q], Is.EqualTo(expected).Within(1e-6))
    Assert.That(normalized.Normalization, Is.SameAs stats)
    expectEqual (data.Labels.data<int64>().ToArray()) (normalized.Labels.data<int64>().ToArray())
    Assert.That(data.Normalization, Is.Null)

[<Property(MaxTest = 15)>]
let ``normalising by its own statistics gives each channel mean 0 and std 1`` (seed: int) =
    use data = randomImages seed 16 3 5 4
    use normalized = data.Normalize()
    let stats = normalized.ComputeChannelStats()
    stats.Mean |> Array.forall (fun m -> abs m < 1e-5) && stats.Std |> Array.forall (fun s -> abs (s - 1.0) < 1e-5)

[<Test>]
let ``statistics with a zero std or the wrong channel count are refused`` () =
    use data = randomImages 14 4 3 2 2
    expectThrows<ArgumentException>(fun () -> data.Normalize(ChannelStats([| 0.0; 0.0; 0.0 |], [| 1.0; 0.0; 1.0 |])) |> ignore) |> ignore
    expectThrows<ArgumentException>(fun () -> data.Normalize(ChannelStats([| 0.0 |], [| 1.0 |])) |> ignore) |> ignore

[<Test>]
let ``a TensorDataset owns its tensors: shapes, Take, and dispose frees them`` () =
    let before = TestSupport.liveTensorsSettled ()
    do
        use scope = torch.NewDisposeScope()
        use data = indexed 9
        expectEqual 9L data.Count
        expectEqual [| 1L; 2L; 2L |] data.SampleShape
        expectEqual [| 9L; 1L; 2L; 2L |] data.ImageShape
        use head = data.Take 4L
        expectEqual [| 0L; 1L; 2L; 3L |] (head.Labels.data<int64>().ToArray())
        expectEqual 0 scope.DisposablesCount
    expectEqual before TorchRuntime.LiveTensors
    expectThrows<ArgumentException>(fun () ->
        use scope = torch.NewDisposeScope()
        new TensorDataset("bad", torch.zeros([| 3L; 2L |]), torch.zeros([| 4L |], dtype = torch.ScalarType.Int64)) |> ignore) |> ignore
