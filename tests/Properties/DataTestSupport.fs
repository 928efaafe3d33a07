/// Writers for small data sets in the MNIST IDX and CIFAR-10 binary formats, byte by byte from the format
/// specifications (independently of the readers under test), and a temporary directory that cleans up after itself.
module Symmetry.Properties.DataTestSupport

open System
open System.IO
open System.IO.Compression

/// A fresh directory under the system temp folder, deleted on Dispose.
type TempDir() =
    let path = Path.Combine(Path.GetTempPath(), "symmetry-data-" + Guid.NewGuid().ToString("N"))
    do Directory.CreateDirectory path |> ignore
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)
    member _.Sub(name: string) = Directory.CreateDirectory(Path.Combine(path, name)).FullName
    interface IDisposable with
        member _.Dispose() =
            try Directory.Delete(path, true) with _ -> ()

/// A 32-bit integer as four big-endian bytes (the IDX header's byte order).
let bigEndian (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]

/// An unsigned-byte IDX file: 0x00 0x00, type 0x08, rank, one big-endian int32 per dimension, then the data.
let idxBytes (dims: int[]) (data: byte[]) =
    Array.concat [
        yield [| 0uy; 0uy; 0x08uy; byte dims.Length |]
        for d in dims -> bigEndian d
        yield data ]

/// Writes bytes to a file, gzip-compressed when asked.
let writeBytes (gzip: bool) (path: string) (bytes: byte[]) =
    if gzip then
        use file = File.Create path
        use zipped = new GZipStream(file, CompressionLevel.Fastest)
        zipped.Write(bytes, 0, bytes.Length)
    else
        File.WriteAllBytes(path, bytes)

/// Random bytes from a seeded System.Random.
let randomBytes (random: Random) (count: int) =
    let bytes = Array.zeroCreate<byte> count
    random.NextBytes bytes
    bytes

/// Random labels 0..9.
let randomLabels (random: Random) (count: int) = Array.init count (fun _ -> byte (random.Next 10))

/// One MNIST-format split in `dir`: `{prefix}-images-idx3-ubyte` (n, h, w) and `{prefix}-labels-idx1-ubyte` (n),
/// with a `.gz` suffix when gzip. Returns the two paths.
let writeMnistSplit (dir: string) (prefix: string) (gzip: bool) (h: int) (w: int) (pixels: byte[]) (labels: byte[]) =
    let suffix = if gzip then ".gz" else ""
    let imagePath = Path.Combine(dir, $"{prefix}-images-idx3-ubyte{suffix}")
    let labelPath = Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{suffix}")
    writeBytes gzip imagePath (idxBytes [| pixels.Length / (h * w); h; w |] pixels)
    writeBytes gzip labelPath (idxBytes [| labels.Length |] labels)
    imagePath, labelPath

/// CIFAR-10 binary records: for each image, its label byte then its 3072 pixel bytes (CHW order).
let cifarBytes (labels: byte[]) (pixels: byte[]) =
    Array.concat [ for i in 0 .. labels.Length - 1 do
                     yield [| labels[i] |]
                     yield pixels[i * 3072 .. (i + 1) * 3072 - 1] ]

/// A complete CIFAR-10 binary directory with the given record counts for data_batch_1..5 and test_batch.
/// Returns (train labels, train pixels, test labels, test pixels) in file order.
let writeCifar (dir: string) (random: Random) (trainCounts: int[]) (testCount: int) =
    let trainLabels = ResizeArray<byte>()
    let trainPixels = ResizeArray<byte>()
    trainCounts |> Array.iteri (fun k count ->
        let labels = randomLabels random count
        let pixels = randomBytes random (count * 3072)
        File.WriteAllBytes(Path.Combine(dir, $"data_batch_{k + 1}.bin"), cifarBytes labels pixels)
        trainLabels.AddRange labels
        trainPixels.AddRange pixels)
    let testLabels = randomLabels random testCount
    let testPixels = randomBytes random (testCount * 3072)
    File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), cifarBytes testLabels testPixels)
    trainLabels.ToArray(), trainPixels.ToArray(), testLabels, testPixels

/// Byte values as the readers must scale them: float32 b / 255.
let scaled (bytes: byte[]) = bytes |> Array.map (fun b -> float32 b / 255.0f)

/// Fails the test with both values printed unless `actual = expected` (F# structural equality, arrays included).
let expectEqual (expected: 'T) (actual: 'T) =
    if actual <> expected then
        NUnit.Framework.Assert.Fail($"expected %A{expected}\nbut got  %A{actual}")

/// The exception of type 'E that `action` throws; fails the test when it throws nothing or something else.
let expectThrows<'E when 'E :> exn> (action: unit -> unit) : 'E =
    match NUnit.Framework.Assert.Throws<'E>(Action action) with
    | null -> failwith $"expected {typeof<'E>.Name}"
    | error -> error

/// A small learnable MNIST-format data set (`trainCount` training and 300 test images): each class brightens its own
/// band of rows.
let writeBandedMnist (trainCount: int) (dir: string) =
    let random = Random 7
    let split prefix n =
        let labels = randomLabels random n
        let pixels = Array.zeroCreate<byte> (n * 784)
        for i in 0 .. n - 1 do
            for p in 0 .. 783 do
                let band = (p / 28) / 3 = int labels.[i]
                pixels.[i * 784 + p] <- byte (random.Next 60 + (if band then 150 else 0))
        writeMnistSplit dir prefix false 28 28 pixels labels |> ignore
    split "train" trainCount
    split "t10k" 300

/// The repository's root, five levels above the test assembly (tests/Properties/bin/Release/net10.0).
let repositoryRoot =
    let assemblyDirectory = Path.GetDirectoryName(typeof<TempDir>.Assembly.Location) |> nonNull
    Path.GetFullPath(Path.Combine(assemblyDirectory, "..", "..", "..", "..", ".."))

/// Three Gaussian clusters of 1×4×4 "images" around random centres (generator seed 11): `trainCount` training and
/// `testCount` test samples, in memory. Small and learnable, for tests that train.
let gaussianSplits (trainCount: int64) (testCount: int64) =
    Symmetry.Torch.TorchRuntime.Ensure()
    use scope = TorchSharp.torch.NewDisposeScope()
    use g = new TorchSharp.torch.Generator(11UL)
    let centres = TorchSharp.torch.randn([| 3L; 1L; 4L; 4L |], generator = g)
    let make (n: int64) name =
        let labels = TorchSharp.torch.randint(0L, 3L, [| n |], dtype = TorchSharp.torch.ScalarType.Int64, generator = g)
        let images = centres.index_select(0L, labels) + TorchSharp.torch.randn([| n; 1L; 4L; 4L |], generator = g) * 0.5
        new Symmetry.Core.Data.TensorDataset(name, images, labels)
    new Symmetry.Core.Data.DataSplits("synthetic", "(memory)", Symmetry.Core.Data.DataFormat.Idx, make trainCount "train", make testCount "test", 3)
