/// SafeTensors (Symmetry.Torch.Serialization, over TorchSharp tensors): round trips of generated tensors of every
/// dtype and rank 0..3; the bytes on disk checked against the public format by an independent parser written here
/// (not the library's); clear errors for corrupt files; failed saves leave neither the target nor a temporary file.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.SafeTensorsTests

open System
open System.Collections.Generic
open System.IO
open System.Text
open System.Text.Json
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Torch.Serialization
open Symmetry.Properties.TestSupport

// ---------------------------------------------------------------- assertions

let private ensure (condition: bool) (what: string) =
    if not condition then Assert.Fail what

let private assertEq<'T when 'T: equality> (what: string) (expected: 'T) (actual: 'T) =
    if expected <> actual then
        Assert.Fail(sprintf "%s:\nexpected %A\nactual   %A" what expected actual)

let private contains (message: string) (fragment: string) =
    if not (message.Contains(fragment, StringComparison.Ordinal)) then
        Assert.Fail(sprintf "message %A does not say %A" message fragment)

/// Runs `f`, which must throw an exception of type 'E; returns it.
let private expectThrows<'E when 'E :> exn> (f: unit -> unit) : 'E =
    let result =
        try
            f ()
            None
        with
        | :? 'E as e -> Some e
        | e -> Assert.Fail(sprintf "expected %s, got %s: %s" typeof<'E>.Name (e.GetType().Name) e.Message); None
    match result with
    | Some e -> e
    | None -> Assert.Fail(sprintf "expected %s, nothing was thrown" typeof<'E>.Name); failwith "unreachable"

// ---------------------------------------------------------------- the format, as this test reads the specification

let private allDTypes =
    [ ScalarType.Float32; ScalarType.Float64; ScalarType.Float16; ScalarType.Int64; ScalarType.Int32; ScalarType.Int16; ScalarType.Int8; ScalarType.Byte; ScalarType.Bool ]

/// The specification's dtype codes (independent of the library's table).
let private specCode (d: ScalarType) =
    match d with
    | ScalarType.Float32 -> "F32"
    | ScalarType.Float64 -> "F64"
    | ScalarType.Float16 -> "F16"
    | ScalarType.Int64 -> "I64"
    | ScalarType.Int32 -> "I32"
    | ScalarType.Int16 -> "I16"
    | ScalarType.Int8 -> "I8"
    | ScalarType.Byte -> "U8"
    | ScalarType.Bool -> "BOOL"
    | other -> failwithf "no code for %A" other

let private itemSize (code: string) =
    match code with
    | "F64" | "I64" -> 8
    | "F32" | "I32" -> 4
    | "F16" | "I16" -> 2
    | "I8" | "U8" | "BOOL" -> 1
    | other -> failwithf "unknown code %s" other

/// Little-endian bytes of a typed array, element by element through BitConverter.
let private bytesOf (dtype: ScalarType) (data: Array) : byte[] =
    ensure BitConverter.IsLittleEndian "these tests assume a little-endian machine"
    match dtype with
    | ScalarType.Float32 -> data :?> float32[] |> Array.collect (fun (v: float32) -> BitConverter.GetBytes v)
    | ScalarType.Float64 -> data :?> float[] |> Array.collect (fun (v: float) -> BitConverter.GetBytes v)
    | ScalarType.Float16 -> data :?> Half[] |> Array.collect (fun (v: Half) -> BitConverter.GetBytes v)
    | ScalarType.Int64 -> data :?> int64[] |> Array.collect (fun (v: int64) -> BitConverter.GetBytes v)
    | ScalarType.Int32 -> data :?> int[] |> Array.collect (fun (v: int) -> BitConverter.GetBytes v)
    | ScalarType.Int16 -> data :?> int16[] |> Array.collect (fun (v: int16) -> BitConverter.GetBytes v)
    | ScalarType.Int8 -> data :?> sbyte[] |> Array.map byte
    | ScalarType.Byte -> Array.copy (data :?> byte[])
    | ScalarType.Bool -> data :?> bool[] |> Array.map (fun b -> if b then 1uy else 0uy)
    | other -> failwithf "no bytes for %A" other

/// A typed array of `n` elements made from raw little-endian bytes (bool from the low bit).
let private typedOf (dtype: ScalarType) (raw: byte[]) (n: int) : Array =
    match dtype with
    | ScalarType.Float32 -> Array.init n (fun i -> BitConverter.ToSingle(raw, 4 * i)) :> Array
    | ScalarType.Float64 -> Array.init n (fun i -> BitConverter.ToDouble(raw, 8 * i)) :> Array
    | ScalarType.Float16 -> Array.init n (fun i -> BitConverter.ToHalf(raw, 2 * i)) :> Array
    | ScalarType.Int64 -> Array.init n (fun i -> BitConverter.ToInt64(raw, 8 * i)) :> Array
    | ScalarType.Int32 -> Array.init n (fun i -> BitConverter.ToInt32(raw, 4 * i)) :> Array
    | ScalarType.Int16 -> Array.init n (fun i -> BitConverter.ToInt16(raw, 2 * i)) :> Array
    | ScalarType.Int8 -> Array.init n (fun i -> sbyte raw.[i]) :> Array
    | ScalarType.Byte -> Array.init n (fun i -> raw.[i]) :> Array
    | ScalarType.Bool -> Array.init n (fun i -> raw.[i] &&& 1uy = 1uy) :> Array
    | other -> failwithf "no array for %A" other

/// A tensor's elements as bytes, read through TorchSharp's typed data<T>() accessor.
let private tensorBytes (t: Tensor) : byte[] =
    let data: Array =
        match t.dtype with
        | ScalarType.Float32 -> elements<float32> t
        | ScalarType.Float64 -> elements<float> t
        | ScalarType.Float16 -> elements<Half> t
        | ScalarType.Int64 -> elements<int64> t
        | ScalarType.Int32 -> elements<int> t
        | ScalarType.Int16 -> elements<int16> t
        | ScalarType.Int8 -> elements<sbyte> t
        | ScalarType.Byte -> elements<byte> t
        | ScalarType.Bool -> elements<bool> t
        | other -> failwithf "no array for %A" other
    bytesOf t.dtype data

/// A tensor of `dtype` and `shape` holding a copy of the typed array `data`, through TorchSharp's typed constructors.
let private tensorOf (dtype: ScalarType) (shape: int64[]) (data: Array) : Tensor =
    let t =
        match dtype with
        | ScalarType.Float32 -> torch.tensor(data :?> float32[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | ScalarType.Float64 -> torch.tensor(data :?> float[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | ScalarType.Float16 -> torch.tensor(data :?> Half[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | ScalarType.Int64 -> torch.tensor(data :?> int64[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | ScalarType.Int32 -> torch.tensor(data :?> int[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | ScalarType.Int16 -> torch.tensor(data :?> int16[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | ScalarType.Int8 -> torch.tensor(data :?> sbyte[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | ScalarType.Byte -> torch.tensor(data :?> byte[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | ScalarType.Bool -> torch.tensor(data :?> bool[], ReadOnlySpan<int64>(shape), dtype = dtype)
        | other -> failwithf "no tensor for %A" other
    ensure (t.dtype = dtype) (sprintf "TorchSharp made a %A tensor for %A data" t.dtype dtype)
    ensure (t.shape = shape) (sprintf "TorchSharp made shape %A for %A" t.shape shape)
    t

type private ParsedEntry =
    { Name: string
      Code: string
      Shape: int64[]
      Begin: int64
      End: int64 }

/// An independent minimal safetensors reader: length prefix, padded JSON header, entries in header order,
/// metadata, and the data section.
let private parseFile (bytes: byte[]) =
    ensure (bytes.Length >= 8) "file shorter than the length prefix"
    let n = BitConverter.ToUInt64(bytes, 0)
    ensure (n % 8UL = 0UL) (sprintf "header length %d is not a multiple of 8" n)
    ensure (8UL + n <= uint64 bytes.Length) "header runs past the file"
    let n = int n
    let text = UTF8Encoding(false, true).GetString(bytes, 8, n)
    let trimmed = text.TrimEnd(' ')
    ensure (text.Length - trimmed.Length < 8) "more padding than needed"
    ensure (trimmed.StartsWith "{" && trimmed.EndsWith "}") "header is not one JSON object followed by spaces"
    use doc = JsonDocument.Parse(text)
    let entries = ResizeArray<ParsedEntry>()
    let metadata = Dictionary<string, string>()
    for p in doc.RootElement.EnumerateObject() do
        if p.Name = "__metadata__" then
            for m in p.Value.EnumerateObject() do
                metadata.Add(m.Name, m.Value.GetString() |> nonNull)
        else
            let offsets = [| for o in p.Value.GetProperty("data_offsets").EnumerateArray() -> o.GetInt64() |]
            assertEq ("data_offsets of " + p.Name) 2 offsets.Length
            entries.Add
                { Name = p.Name
                  Code = p.Value.GetProperty("dtype").GetString() |> nonNull
                  Shape = [| for s in p.Value.GetProperty("shape").EnumerateArray() -> s.GetInt64() |]
                  Begin = offsets.[0]
                  End = offsets.[1] }
    List.ofSeq entries, metadata, bytes.[8 + n ..]

// ---------------------------------------------------------------- generated models

type Sample =
    { Name: string
      DType: ScalarType
      Shape: int64[]
      Data: Array }
    override s.ToString() = sprintf "%s: %A %A" s.Name s.DType s.Shape

type Model =
    { Samples: Sample list
      Metadata: Map<string, string> option }
    override m.ToString() =
        sprintf "%s with metadata %A" (m.Samples |> List.map string |> String.concat "; ") m.Metadata

/// Rank 0..3, sizes 1..4 and sometimes 0.
let private genShape =
    gen {
        let! rank = Gen.choose (0, 3)
        let! dims = Gen.arrayOfLength rank (Gen.frequency [ 1, Gen.constant 0; 8, Gen.choose (1, 4) ])
        return Array.map int64 dims
    }

/// Any bit pattern, NaN payloads and infinities included: the round trip must be byte exact.
let private genSample (i: int) =
    gen {
        let! dtype = Gen.elements allDTypes
        let! shape = genShape
        let n = shape |> Array.fold (fun a s -> a * int s) 1
        let! raw = Gen.arrayOfLength (n * itemSize (specCode dtype)) (Gen.choose (0, 255) |> Gen.map byte)
        let! prefix = Gen.elements [ "layers"; "fc"; "bn"; "z"; "a.b"; "blöck" ]
        let! suffix = Gen.elements [ "weight"; "bias"; "running_mean"; "num_batches_tracked" ]
        return
            { Name = sprintf "%s.%d.%s" prefix i suffix
              DType = dtype
              Shape = shape
              Data = typedOf dtype raw n }
    }

let private fragments = [ "format"; "pt"; "step"; "0.5"; "quote\"d"; "back\\slash"; "new\nline"; "ünï"; "λ"; "😀"; "<&>"; "" ]

let private genText = Gen.listOfLength 2 (Gen.elements fragments) |> Gen.map (String.concat "")

let private genModel =
    gen {
        let! count = Gen.choose (0, 6)
        let! samples = List.init count genSample |> Gen.sequenceToList
        let! metadata = Gen.optionOf (Gen.listOf (Gen.zip genText genText) |> Gen.map Map.ofList)
        return { Samples = samples; Metadata = metadata }
    }

let private metadataArg (m: Map<string, string> option) : IReadOnlyDictionary<string, string> | null =
    match m with
    | Some m ->
        let d: IReadOnlyDictionary<string, string> | null = Dictionary<string, string>(m)
        d
    | None -> null

let private withTempDir (f: string -> 'a) : 'a =
    let dir = Directory.CreateTempSubdirectory("symm-safetensors-").FullName
    try f dir finally Directory.Delete(dir, true)

let private pairs (xs: (string * Tensor) list) = xs |> List.map KeyValuePair |> Array.ofList

/// Creates the model's tensors in a scope, saves them to `dir`, frees them, and returns the file's path.
let private saveModel (dir: string) (m: Model) =
    let path = Path.Combine(dir, "model.safetensors")
    use scope = torch.NewDisposeScope()
    let tensors = m.Samples |> List.map (fun s -> s.Name, tensorOf s.DType s.Shape s.Data)
    SafeTensors.Save(path, pairs tensors, metadataArg m.Metadata)
    path

// ---------------------------------------------------------------- properties

[<Property(MaxTest = 60)>]
let ``save then load gives back names in order, dtypes, shapes, exact bytes and metadata`` () =
    Prop.forAll (Arb.fromGen genModel) (fun m ->
        withTempDir (fun dir ->
            let live = TestSupport.liveTensorsSettled ()
            let path = saveModel dir m
            do
                use loaded = SafeTensors.Load path
                assertEq "names" (m.Samples |> List.map _.Name) (List.ofSeq loaded.Names)
                for s, (KeyValue(name, t)) in Seq.zip m.Samples loaded do
                    assertEq "name" s.Name name
                    assertEq name s.DType t.dtype
                    assertEq name s.Shape t.shape
                    assertEq name DeviceType.CPU t.device.``type``
                    assertEq name (bytesOf s.DType s.Data) (tensorBytes t)
                let expected = m.Metadata |> Option.defaultValue Map.empty
                assertEq "metadata" expected (loaded.Metadata |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq)
            assertEq "live tensors (leak)" live TorchRuntime.LiveTensors
            assertEq "files (a temporary file was left behind?)" [| path |] (Directory.GetFiles dir)))

[<Property(MaxTest = 60)>]
let ``the file follows the specification, read by an independent parser`` () =
    Prop.forAll (Arb.fromGen genModel) (fun m ->
        withTempDir (fun dir ->
            let path = saveModel dir m
            let entries, metadata, data = parseFile (File.ReadAllBytes path)
            assertEq "header order" (m.Samples |> List.map _.Name) (entries |> List.map _.Name)
            let mutable offset = 0L
            for s, e in List.zip m.Samples entries do
                assertEq e.Name (specCode s.DType) e.Code
                assertEq e.Name s.Shape e.Shape
                assertEq (e.Name + ": offsets are not contiguous from 0") offset e.Begin
                let size = (s.Shape |> Array.fold (*) 1L) * int64 (itemSize e.Code)
                assertEq (e.Name + ": size is not prod(shape) * itemsize") size (e.End - e.Begin)
                assertEq (e.Name + ": data bytes") (bytesOf s.DType s.Data) data.[int e.Begin .. int e.End - 1]
                offset <- e.End
            assertEq "the data section holds exactly the tensors" offset (int64 data.Length)
            let expected = m.Metadata |> Option.defaultValue Map.empty
            assertEq "metadata" expected (metadata |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq)))

// ---------------------------------------------------------------- layouts, devices, overwrites

[<Test>]
let ``non-contiguous tensors are written row-major in their logical order`` () =
    withTempDir (fun dir ->
        let path = Path.Combine(dir, "t.safetensors")
        do
            use scope = torch.NewDisposeScope()
            let a = tensorOf ScalarType.Float32 [| 2L; 3L |] (Array.init 6 float32)
            SafeTensors.Save(path, pairs [ "t", a.T; "every_other", a.slice(1L, 0L, 3L, 2L) ], null)
        let entries, _, data = parseFile (File.ReadAllBytes path)
        assertEq "shapes" [ [| 3L; 2L |]; [| 2L; 2L |] ] (entries |> List.map _.Shape)
        let floats (bytes: byte[]) = Array.init (bytes.Length / 4) (fun i -> BitConverter.ToSingle(bytes, 4 * i))
        assertEq "data" [| 0.f; 3.f; 1.f; 4.f; 2.f; 5.f; 0.f; 2.f; 3.f; 5.f |] (floats data)
        use loaded = SafeTensors.Load path
        assertEq "loaded" [| 0.f; 3.f; 1.f; 4.f; 2.f; 5.f |] (singles loaded.["t"]))

[<Test>]
let ``tensors on the default device (CUDA when present) round trip and load onto a chosen device`` () =
    withTempDir (fun dir ->
        let path = Path.Combine(dir, "d.safetensors")
        let device = if torch.cuda.is_available () then torch.CUDA else torch.CPU
        do
            use scope = torch.NewDisposeScope()
            let w = torch.tensor([| 1.0; -2.0; 3.5; 1e300 |], ReadOnlySpan<int64>([| 2L; 2L |]), dtype = ScalarType.Float64, device = device)
            SafeTensors.Save(path, pairs [ "layers.0.weight", w ], null)
        use onCpu = SafeTensors.Load path
        assertEq "cpu" DeviceType.CPU onCpu.["layers.0.weight"].device.``type``
        assertEq "on cpu" [| 1.0; -2.0; 3.5; 1e300 |] (doubles onCpu.["layers.0.weight"])
        use onDevice = SafeTensors.Load(path, device)
        assertEq "device" (device.``type``, max device.index 0) (onDevice.["layers.0.weight"].device.``type``, max onDevice.["layers.0.weight"].device.index 0)
        use scope = torch.NewDisposeScope()
        assertEq "on device" [| 1.0; -2.0; 3.5; 1e300 |] (doubles (onDevice.["layers.0.weight"].cpu ())))

[<Test>]
let ``a save replaces an existing file and a loaded file saves back unchanged`` () =
    withTempDir (fun dir ->
        let path = Path.Combine(dir, "m.safetensors")
        let copy = Path.Combine(dir, "copy.safetensors")
        use scope = torch.NewDisposeScope()
        SafeTensors.Save(path, pairs [ "old", torch.ones([| 5L |]) ], null)
        let meta = Dictionary<string, string>(dict [ "step", "7" ])
        let weight = torch.arange((6L).ToScalar(), dtype = ScalarType.Int64).reshape(2L, 3L)
        SafeTensors.Save(path, pairs [ "b.weight", weight; "a.bias", torch.zeros([| 3L |], dtype = ScalarType.Bool) ], meta)
        use loaded = SafeTensors.Load path
        assertEq "names" [ "b.weight"; "a.bias" ] (List.ofSeq loaded.Names)
        ensure (not (loaded.Contains "old")) "the old file's tensor survived"
        assertEq "metadata" "7" loaded.Metadata.["step"]
        SafeTensors.Save(copy, loaded, loaded.Metadata)
        assertEq "saved back" (File.ReadAllBytes path) (File.ReadAllBytes copy)
        assertEq "files" (Array.sort [| copy; path |]) (Directory.GetFiles dir |> Array.sort))

[<Test>]
let ``disposing the loaded file frees its tensors`` () =
    withTempDir (fun dir ->
        let path = Path.Combine(dir, "m.safetensors")
        do
            use scope = torch.NewDisposeScope()
            SafeTensors.Save(path, pairs [ "x", torch.ones([| 2L |]); "y", torch.ones([| 3L |]) ], null)
        let live = TestSupport.liveTensorsSettled ()
        let loaded =
            use scope = torch.NewDisposeScope()
            SafeTensors.Load path // created inside a scope, but owned by the returned object
        assertEq "live tensors while loaded" (live + 2L) TorchRuntime.LiveTensors
        assertEq "y" [| 1.f; 1.f; 1.f |] (singles loaded.["y"])
        loaded.Dispose()
        assertEq "live tensors after dispose" live TorchRuntime.LiveTensors
        expectThrows<ObjectDisposedException> (fun () -> loaded.["x"] |> ignore) |> ignore)

// ---------------------------------------------------------------- the reference implementation's own test vectors

/// `b'@\x00…{"test":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}    ' + 16 zero bytes`: what the
/// reference implementation's test suite expects `safetensors.torch.save({"test": torch.zeros((2, 2))})` to give.
let private referenceF32 =
    Array.concat
        [ [| 64uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |]
          Encoding.ASCII.GetBytes "{\"test\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}    "
          Array.zeroCreate 16 ]

[<Test>]
let ``a save is byte for byte what the reference implementation writes`` () =
    withTempDir (fun dir ->
        let path = Path.Combine(dir, "ref.safetensors")
        do
            use scope = torch.NewDisposeScope()
            SafeTensors.Save(path, pairs [ "test", torch.zeros([| 2L; 2L |]) ], null)
        assertEq "bytes" referenceF32 (File.ReadAllBytes path))

[<Test>]
let ``files of the reference implementation load, older unpadded headers included`` () =
    withTempDir (fun dir ->
        let padded = Path.Combine(dir, "padded.safetensors")
        File.WriteAllBytes(padded, referenceF32)
        do
            use loaded = SafeTensors.Load padded
            assertEq "names" [ "test" ] (List.ofSeq loaded.Names)
            assertEq "shape" [| 2L; 2L |] loaded.["test"].shape
            assertEq "values" (Array.zeroCreate<float32> 4) (singles loaded.["test"])
        // Older versions did not pad: a 60-byte header, int32 [[0, 0], [0, 1]].
        let old = Path.Combine(dir, "old.safetensors")
        let header = Encoding.ASCII.GetBytes "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"
        let data = Array.concat [ Array.zeroCreate 12; [| 1uy; 0uy; 0uy; 0uy |] ]
        File.WriteAllBytes(old, Array.concat [ [| 60uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |]; header; data ])
        use loaded = SafeTensors.Load old
        assertEq "dtype" ScalarType.Int32 loaded.["test"].dtype
        assertEq "values" [| 0; 0; 0; 1 |] (elements<int> loaded.["test"]))

// ---------------------------------------------------------------- corrupt files

/// Loading `path` fails with a SafeTensorsException that names the file and says `fragment`.
let private expectLoadError (path: string) (fragment: string) =
    let live = TestSupport.liveTensorsSettled ()
    let e = expectThrows<SafeTensorsException> (fun () -> (SafeTensors.Load path).Dispose())
    assertEq "FilePath" path e.FilePath
    contains e.Message path
    contains e.Message fragment
    assertEq "live tensors (a failed load leaked)" live TorchRuntime.LiveTensors

/// A file with the given header text (padded to 8) and data bytes.
let private writeRaw (path: string) (header: string) (data: byte[]) =
    let h = Encoding.UTF8.GetBytes header
    let padded = Array.append h (Array.create ((8 - h.Length % 8) % 8) (byte ' '))
    File.WriteAllBytes(path, Array.concat [ BitConverter.GetBytes(uint64 padded.Length); padded; data ])

/// (label, how to make the bad file, what the message must say).
let private corruptFiles: (string * (string -> unit) * string) list =
    let raw header (n: int) = fun path -> writeRaw path header (Array.zeroCreate n)
    [ "missing file", ignore, "does not exist"
      "empty file", (fun p -> File.WriteAllBytes(p, [||])), "truncated"
      "5-byte file", (fun p -> File.WriteAllBytes(p, [| 1uy; 2uy; 3uy; 4uy; 5uy |])), "truncated"
      "header length beyond the file",
      (fun p -> File.WriteAllBytes(p, Array.append (BitConverter.GetBytes 64UL) (Encoding.ASCII.GetBytes "{}      "))),
      "runs past the end"
      "absurd header length", (fun p -> File.WriteAllBytes(p, BitConverter.GetBytes UInt64.MaxValue)), "limit"
      "invalid JSON", raw "{\"a\": {\"dtype\": \"F32\", " 0, "not valid JSON"
      "invalid UTF-8", (fun p -> File.WriteAllBytes(p, Array.append (BitConverter.GetBytes 8UL) [| 0x7Buy; 0xFFuy; 0x7Duy; 32uy; 32uy; 32uy; 32uy; 32uy |])), "not valid JSON"
      "header is an array", raw "[1, 2]" 0, "not an object"
      "unknown dtype", raw """{"a": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}}""" 8, "unknown or unsupported dtype \"Q4\""
      "bfloat16 (not supported)", raw """{"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}""" 4, "\"BF16\""
      "missing shape", raw """{"a": {"dtype": "F32", "data_offsets": [0, 8]}}""" 8, "\"shape\""
      "negative dimension", raw """{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}""" 8, "non-negative"
      "offsets out of range", raw """{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}""" 8, "run past the end of the data section"
      "offsets reversed", raw """{"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}""" 8, "end before they begin"
      "overlapping offsets",
      raw """{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""" 12,
      "overlap"
      "gap between tensors",
      raw """{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}""" 12,
      "gap"
      "size not shape x dtype", raw """{"a": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}}""" 16, "needs 24"
      "trailing bytes", raw """{"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}""" 5, "trailing"
      "duplicate tensor name",
      raw """{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}""" 2,
      "twice"
      "non-string metadata", raw """{"__metadata__": {"step": 3}}""" 0, "must be a string" ]

/// NUnit's source for the corrupt-file cases.
let corruptCases () : TestCaseData seq =
    corruptFiles |> Seq.map (fun (label, make, fragment) -> TestCaseData(make, fragment).SetArgDisplayNames(label))

[<TestCaseSource(nameof corruptCases)>]
let ``a corrupt file gives a clear error naming it`` (make: string -> unit, fragment: string) =
    withTempDir (fun dir ->
        let path = Path.Combine(dir, "bad.safetensors")
        make path
        expectLoadError path fragment)

[<Test>]
let ``a file truncated anywhere gives a clear error`` () =
    withTempDir (fun dir ->
        let path = Path.Combine(dir, "m.safetensors")
        do
            use scope = torch.NewDisposeScope()
            SafeTensors.Save(path, pairs [ "w", torch.ones([| 3L; 2L |]); "b", torch.zeros([| 2L |], dtype = ScalarType.Int64) ], null)
        let bytes = File.ReadAllBytes path
        for cut in [ 0; 3; 8; 20; bytes.Length - 40; bytes.Length - 1 ] do
            let short = Path.Combine(dir, sprintf "cut%d.safetensors" cut)
            File.WriteAllBytes(short, bytes.[.. cut - 1])
            let e = expectThrows<SafeTensorsException> (fun () -> (SafeTensors.Load short).Dispose())
            contains e.Message short)

// ---------------------------------------------------------------- failed saves

let private assertOnly (dir: string) (expected: string list) =
    let entries = Directory.GetFileSystemEntries dir |> Array.map (fun p -> Path.GetFileName(p: string) |> nonNull) |> Array.sort
    assertEq "files left in the directory" (expected |> List.sort |> Array.ofList) entries

[<Test>]
let ``a save into a directory that does not exist fails and leaves nothing`` () =
    withTempDir (fun dir ->
        let target = Path.Combine(dir, "missing", "model.safetensors")
        use scope = torch.NewDisposeScope()
        let e = expectThrows<SafeTensorsException> (fun () -> SafeTensors.Save(target, pairs [ "w", torch.ones([| 2L |]) ], null))
        contains e.Message target
        ensure (not (File.Exists target)) "target exists"
        assertOnly dir [])

[<Test>]
let ``a save with a disposed tensor fails, leaves no temporary file and keeps the previous file`` () =
    withTempDir (fun dir ->
        let target = Path.Combine(dir, "model.safetensors")
        use scope = torch.NewDisposeScope()
        let good = torch.ones([| 4L |])
        let gone = torch.zeros([| 4L |])
        gone.Dispose()
        let e = expectThrows<ArgumentException> (fun () -> SafeTensors.Save(target, pairs [ "a", good; "b", gone ], null))
        contains e.Message "'b'"
        assertOnly dir []
        SafeTensors.Save(target, pairs [ "a", good ], null)
        let before = File.ReadAllBytes target
        expectThrows<ArgumentException> (fun () -> SafeTensors.Save(target, pairs [ "a", good; "b", gone ], null)) |> ignore
        assertEq "the previous file was changed" before (File.ReadAllBytes target)
        assertOnly dir [ "model.safetensors" ])

[<Test>]
let ``a save whose final rename fails removes its fully written temporary file`` () =
    withTempDir (fun dir ->
        let target = Path.Combine(dir, "model.safetensors")
        Directory.CreateDirectory target |> ignore // a directory in the way: the rename fails after the data is written
        use scope = torch.NewDisposeScope()
        let e = expectThrows<SafeTensorsException> (fun () -> SafeTensors.Save(target, pairs [ "w", torch.ones([| 64L |]) ], null))
        contains e.Message target
        ensure (Directory.Exists target) "the directory in the way is gone"
        assertEq "directory in the way" [||] (Directory.GetFileSystemEntries target)
        assertOnly dir [ "model.safetensors" ])

[<Test>]
let ``names that are repeated or reserved are refused before any file is made`` () =
    withTempDir (fun dir ->
        let target = Path.Combine(dir, "model.safetensors")
        use scope = torch.NewDisposeScope()
        let t = torch.ones([| 1L |])
        expectThrows<ArgumentException> (fun () -> SafeTensors.Save(target, pairs [ "w", t; "w", t ], null)) |> ignore
        expectThrows<ArgumentException> (fun () -> SafeTensors.Save(target, pairs [ "__metadata__", t ], null)) |> ignore
        assertOnly dir [])
