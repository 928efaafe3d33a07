/// The IDX (MNIST) and CIFAR-10 binary readers and data set detection, on small files the tests write byte by byte.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.DataFormatTests

open System
open System.IO
open NUnit.Framework
open FsCheck
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Properties.DataTestSupport

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// Mnist.Load as a data set that owns (and frees) the two tensors.
let private loadMnist (dir: string) (train: bool) =
    let struct (images, labels) = Mnist.Load(dir, train)
    new TensorDataset("test", images, labels)

let private loadCifar (dir: string) (train: bool) =
    let struct (images, labels) = Cifar10.Load(dir, train)
    new TensorDataset("test", images, labels)

/// Asserts that `action` throws a DataFormatException whose message names `path`, and returns it.
let private throwsNaming (path: string) (action: unit -> unit) =
    let error = expectThrows<DataFormatException> action
    Assert.That(error.Message, Does.Contain path)
    error

let private mnistRoundTrip (gzip: bool) (seed: int) (PositiveInt n0) (PositiveInt h0) (PositiveInt w0) =
    let n, h, w = 1 + n0 % 12, 1 + h0 % 9, 1 + w0 % 9
    let random = Random seed
    use dir = new TempDir()
    let trainPixels, trainLabels = randomBytes random (n * h * w), randomLabels random n
    let testPixels, testLabels = randomBytes random (2 * h * w), randomLabels random 2
    writeMnistSplit dir.Path "train" gzip h w trainPixels trainLabels |> ignore
    writeMnistSplit dir.Path "t10k" gzip h w testPixels testLabels |> ignore
    use scope = torch.NewDisposeScope()
    use train = loadMnist dir.Path true
    use test = loadMnist dir.Path false
    train.ImageShape = [| int64 n; 1L; int64 h; int64 w |]
    && train.Images.dtype = torch.ScalarType.Float32
    && train.Images.data<float32>().ToArray() = scaled trainPixels
    && train.Labels.data<int64>().ToArray() = (trainLabels |> Array.map int64)
    && test.Images.data<float32>().ToArray() = scaled testPixels
    && test.Labels.data<int64>().ToArray() = (testLabels |> Array.map int64)

[<Property(MaxTest = 25)>]
let ``IDX files round-trip every pixel and label`` seed n h w = mnistRoundTrip false seed n h w

[<Property(MaxTest = 15)>]
let ``gzip-compressed IDX files round-trip every pixel and label`` seed n h w = mnistRoundTrip true seed n h w

[<Test>]
let ``IDX pixel (i, r, c) is byte 16 + i*h*w + r*w + c of the image file`` () =
    use dir = new TempDir()
    let h, w = 3, 4
    let pixels = Array.init (2 * h * w) byte
    writeMnistSplit dir.Path "train" false h w pixels [| 7uy; 2uy |] |> ignore
    use scope = torch.NewDisposeScope()
    use train = loadMnist dir.Path true
    expectEqual (float32 (h * w + 2 * w + 1) / 255.0f) (train.Images[1L, 0L, 2L, 1L].ToSingle())
    expectEqual [| 7L; 2L |] (train.Labels.data<int64>().ToArray())

[<Test>]
let ``IDX file with a corrupt magic number is refused, naming the file`` () =
    use dir = new TempDir()
    let imagePath, _ = writeMnistSplit dir.Path "train" false 2 2 (Array.zeroCreate 8) [| 0uy; 1uy |]
    let bytes = File.ReadAllBytes imagePath
    bytes[2] <- 0x0Duy // float type code instead of unsigned byte
    File.WriteAllBytes(imagePath, bytes)
    let error = throwsNaming imagePath (fun () -> loadMnist dir.Path true |> ignore)
    Assert.That(error.Message, Does.Contain "magic")
    expectEqual imagePath error.Path

[<Test>]
let ``IDX file of the wrong rank is refused, naming the file`` () =
    use dir = new TempDir()
    let _, labelPath = writeMnistSplit dir.Path "train" false 2 2 (Array.zeroCreate 8) [| 0uy; 1uy |]
    File.WriteAllBytes(labelPath, idxBytes [| 2; 1 |] [| 0uy; 1uy |])
    throwsNaming labelPath (fun () -> loadMnist dir.Path true |> ignore) |> ignore

[<Test>]
let ``truncated IDX image file is refused, naming the file`` () =
    use dir = new TempDir()
    let imagePath, _ = writeMnistSplit dir.Path "train" false 4 4 (Array.zeroCreate 48) [| 0uy; 1uy; 2uy |]
    let bytes = File.ReadAllBytes imagePath
    File.WriteAllBytes(imagePath, bytes[.. bytes.Length - 6])
    let error = throwsNaming imagePath (fun () -> loadMnist dir.Path true |> ignore)
    Assert.That(error.Message, Does.Contain "truncated")

[<Test>]
let ``an IDX file cut short anywhere is refused, naming the file`` () =
    use dir = new TempDir()
    let imagePath, _ = writeMnistSplit dir.Path "train" false 3 3 (randomBytes (Random 8) 27) [| 0uy; 1uy; 2uy |]
    let bytes = File.ReadAllBytes imagePath // 16 header bytes + 27 pixels
    File.Delete imagePath
    for gzip in [ false; true ] do
        let path = imagePath + (if gzip then ".gz" else "")
        for kept in 0 .. bytes.Length - 1 do
            writeBytes gzip path bytes[.. kept - 1]
            throwsNaming path (fun () -> loadMnist dir.Path true |> ignore) |> ignore
        File.Delete path

[<Test>]
let ``a CIFAR-10 batch whose size is not a whole number of records is refused, naming the file`` () =
    use dir = new TempDir()
    let path = dir.File "test_batch.bin"
    let bytes = cifarBytes [| 1uy; 2uy |] (randomBytes (Random 9) (2 * 3072))
    for kept in [ 1; 2; 3072; 3074; 4000; 6144; 6145 ] do
        File.WriteAllBytes(path, bytes[.. kept - 1])
        throwsNaming path (fun () -> loadCifar dir.Path false |> ignore) |> ignore
    File.WriteAllBytes(path, bytes[.. 3072])
    use scope = torch.NewDisposeScope()
    use test = loadCifar dir.Path false
    expectEqual 1L test.Count

[<Test>]
let ``IDX file truncated inside its header is refused, naming the file`` () =
    use dir = new TempDir()
    let _, labelPath = writeMnistSplit dir.Path "train" false 2 2 (Array.zeroCreate 8) [| 0uy; 1uy |]
    File.WriteAllBytes(labelPath, [| 0uy; 0uy; 8uy; 1uy; 0uy |])
    throwsNaming labelPath (fun () -> loadMnist dir.Path true |> ignore) |> ignore

[<Test>]
let ``truncated gzip IDX file is refused, naming the file`` () =
    use dir = new TempDir()
    let imagePath, _ = writeMnistSplit dir.Path "train" true 8 8 (randomBytes (Random 3) 192) [| 0uy; 1uy; 2uy |]
    let bytes = File.ReadAllBytes imagePath
    File.WriteAllBytes(imagePath, bytes[.. bytes.Length / 2])
    throwsNaming imagePath (fun () -> loadMnist dir.Path true |> ignore) |> ignore

[<Test>]
let ``label and image counts that differ are refused, naming the label file`` () =
    use dir = new TempDir()
    let _, labelPath = writeMnistSplit dir.Path "train" false 2 2 (Array.zeroCreate 12) [| 0uy; 1uy |]
    throwsNaming labelPath (fun () -> loadMnist dir.Path true |> ignore) |> ignore

[<Test>]
let ``IDX label above 9 is refused, naming the label file`` () =
    use dir = new TempDir()
    let _, labelPath = writeMnistSplit dir.Path "train" false 2 2 (Array.zeroCreate 8) [| 3uy; 12uy |]
    throwsNaming labelPath (fun () -> loadMnist dir.Path true |> ignore) |> ignore

[<Test>]
let ``missing IDX file is refused, naming the file`` () =
    use dir = new TempDir()
    writeMnistSplit dir.Path "train" false 2 2 (Array.zeroCreate 8) [| 0uy; 1uy |] |> ignore
    throwsNaming (dir.File "t10k-images-idx3-ubyte") (fun () -> loadMnist dir.Path false |> ignore) |> ignore

[<Property(MaxTest = 10)>]
let ``CIFAR-10 batches round-trip every pixel and label, batches concatenated in order`` (seed: int) =
    let random = Random seed
    use dir = new TempDir()
    let counts = Array.init 5 (fun _ -> random.Next(1, 4))
    let testCount = random.Next(1, 4)
    let trainLabels, trainPixels, testLabels, testPixels = writeCifar dir.Path random counts testCount
    use scope = torch.NewDisposeScope()
    use train = loadCifar dir.Path true
    use test = loadCifar dir.Path false
    train.ImageShape = [| int64 (Array.sum counts); 3L; 32L; 32L |]
    && test.ImageShape = [| int64 testCount; 3L; 32L; 32L |]
    && train.Images.dtype = torch.ScalarType.Float32
    && train.Images.data<float32>().ToArray() = scaled trainPixels
    && train.Labels.data<int64>().ToArray() = (trainLabels |> Array.map int64)
    && test.Images.data<float32>().ToArray() = scaled testPixels
    && test.Labels.data<int64>().ToArray() = (testLabels |> Array.map int64)

[<Test>]
let ``CIFAR-10 pixel (i, c, r, q) is byte 1 + c*1024 + r*32 + q of record i (CHW)`` () =
    use dir = new TempDir()
    let pixels = Array.init (2 * 3072) (fun k -> byte (k * 7 % 251))
    File.WriteAllBytes(dir.File "test_batch.bin", cifarBytes [| 4uy; 9uy |] pixels)
    use scope = torch.NewDisposeScope()
    use test = loadCifar dir.Path false
    let expected = float32 pixels[3072 + 2 * 1024 + 5 * 32 + 17] / 255.0f
    expectEqual expected (test.Images[1L, 2L, 5L, 17L].ToSingle())
    expectEqual [| 4L; 9L |] (test.Labels.data<int64>().ToArray())
    let struct (single, singleLabels) = Cifar10.ReadBatch(dir.File "test_batch.bin")
    use single = single
    use singleLabels = singleLabels
    expectEqual (test.Images.data<float32>().ToArray()) (single.data<float32>().ToArray())

[<Test>]
let ``truncated CIFAR-10 batch is refused, naming the file`` () =
    use dir = new TempDir()
    writeCifar dir.Path (Random 1) [| 2; 2; 2; 2; 2 |] 2 |> ignore
    let path = dir.File "data_batch_3.bin"
    let bytes = File.ReadAllBytes path
    File.WriteAllBytes(path, bytes[.. bytes.Length - 100])
    let error = throwsNaming path (fun () -> loadCifar dir.Path true |> ignore)
    Assert.That(error.Message, Does.Contain "truncated")
    Assert.That(error.Message, Does.Contain "3073")

[<Test>]
let ``CIFAR-10 label above 9 is refused, naming the file`` () =
    use dir = new TempDir()
    writeCifar dir.Path (Random 2) [| 1; 1; 1; 1; 1 |] 3 |> ignore
    let path = dir.File "test_batch.bin"
    let bytes = File.ReadAllBytes path
    bytes[3073] <- 10uy // label of the second record
    File.WriteAllBytes(path, bytes)
    let error = throwsNaming path (fun () -> loadCifar dir.Path false |> ignore)
    Assert.That(error.Message, Does.Contain "label 10")

[<Test>]
let ``missing CIFAR-10 batch is refused, naming the file`` () =
    use dir = new TempDir()
    writeCifar dir.Path (Random 3) [| 1; 1; 1; 1; 1 |] 1 |> ignore
    let path = dir.File "data_batch_4.bin"
    File.Delete path
    throwsNaming path (fun () -> loadCifar dir.Path true |> ignore) |> ignore

[<Test>]
let ``readers leave no tensor behind`` () =
    use dir = new TempDir()
    writeCifar dir.Path (Random 4) [| 1; 2; 1; 1; 1 |] 2 |> ignore
    let before = TestSupport.liveTensorsSettled ()
    do
        use scope = torch.NewDisposeScope()
        use train = loadCifar dir.Path true
        ()
    expectEqual before TorchRuntime.LiveTensors

[<Test>]
let ``DataSets.Load recognises an MNIST-format directory`` () =
    use dir = new TempDir()
    let random = Random 5
    writeMnistSplit dir.Path "train" true 28 28 (randomBytes random (5 * 784)) (randomLabels random 5) |> ignore
    writeMnistSplit dir.Path "t10k" true 28 28 (randomBytes random (3 * 784)) (randomLabels random 3) |> ignore
    use scope = torch.NewDisposeScope()
    use data = DataSets.Load(dir.Path)
    expectEqual "mnist" data.Name
    expectEqual DataFormat.Idx data.Format
    expectEqual [| 1L; 28L; 28L |] data.InputShape
    expectEqual 784L data.InputSize
    expectEqual 10 data.ClassCount
    expectEqual (5L, 3L) (data.Train.Count, data.Test.Count)
    expectEqual "mnist/train" data.Train.Name

[<Test>]
let ``DataSets.Load recognises CIFAR-10, also in a cifar-10-batches-bin subfolder`` () =
    use dir = new TempDir()
    let sub = dir.Sub "cifar-10-batches-bin"
    writeCifar sub (Random 6) [| 1; 1; 2; 1; 1 |] 2 |> ignore
    use scope = torch.NewDisposeScope()
    for path in [ dir.Path; sub ] do
        use data = DataSets.Load(path)
        expectEqual "cifar10" data.Name
        expectEqual DataFormat.Cifar10Binary data.Format
        expectEqual sub data.Directory
        expectEqual [| 3L; 32L; 32L |] data.InputShape
        expectEqual 10 data.ClassCount
        expectEqual (6L, 2L) (data.Train.Count, data.Test.Count)

[<Test>]
let ``DataSets.Load normalises both splits with the training statistics`` () =
    use dir = new TempDir()
    let trainLabels, trainPixels, _, testPixels = writeCifar dir.Path (Random 7) [| 2; 2; 2; 2; 2 |] 3
    use scope = torch.NewDisposeScope()
    use data = DataSets.Load(dir.Path, normalize = true)
    let stats =
        match data.Train.Normalization with
        | null -> failwith "the training split is not normalised"
        | stats -> stats
    Assert.That(data.Test.Normalization, Is.SameAs stats)
    // Oracle: the mean and population std of each channel, from the bytes.
    let channel (pixels: byte[]) c =
        [| for i in 0 .. pixels.Length / 3072 - 1 do
             for k in 0 .. 1023 -> float (float32 pixels[i * 3072 + c * 1024 + k] / 255.0f) |]
    for c in 0 .. 2 do
        let values = channel trainPixels c
        let mean = Array.average values
        let std = sqrt (values |> Array.averageBy (fun v -> (v - mean) ** 2.0))
        Assert.That(stats.Mean[c], Is.EqualTo(mean).Within(1e-5))
        Assert.That(stats.Std[c], Is.EqualTo(std).Within(1e-5))
        let expectedFirstTest = (float (float32 testPixels[c * 1024] / 255.0f) - mean) / std
        Assert.That(float (data.Test.Images[0L, int64 c, 0L, 0L].ToSingle()), Is.EqualTo(expectedFirstTest).Within(1e-4))
    expectEqual (trainLabels |> Array.map int64) (data.Train.Labels.data<int64>().ToArray())

[<Test>]
let ``DataSets.Load on a directory with neither format names the directory and what it expected`` () =
    use dir = new TempDir()
    File.WriteAllText(dir.File "readme.txt", "nothing here")
    let error = throwsNaming dir.Path (fun () -> DataSets.Load(dir.Path) |> ignore)
    Assert.That(error.Message, Does.Contain "train-images-idx3-ubyte")
    Assert.That(error.Message, Does.Contain "data_batch_1.bin")
    let missing = dir.File "no-such-directory"
    let error = throwsNaming missing (fun () -> DataSets.Load(missing) |> ignore)
    Assert.That(error.Message, Does.Contain "not found")

[<Test>]
let ``DataSets.Load with no path gives Fashion-MNIST`` () =
    if not (Directory.Exists Mnist.FashionMnistDirectory) then
        Assert.Ignore $"{Mnist.FashionMnistDirectory} is not installed"
    use scope = torch.NewDisposeScope()
    use data = DataSets.Load(null)
    expectEqual "fashion-mnist" data.Name
    expectEqual (60000L, 10000L) (data.Train.Count, data.Test.Count)
    expectEqual [| 1L; 28L; 28L |] data.InputShape
    expectEqual 10 data.ClassCount
