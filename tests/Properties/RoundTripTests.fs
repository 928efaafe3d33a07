/// Data in and out through TorchSharp: .NET arrays survive tensor round trips bit for bit for every dtype and ranks
/// 0..4, dtype conversions agree with .NET conversions, an explicit shape is honoured and the string forms show what a
/// tensor holds.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.RoundTripTests

open System
open System.Runtime.InteropServices
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Properties.TestSupport

type private Tensor = torch.Tensor
type private ScalarType = torch.ScalarType

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// A tensor of `shape` holding `data` (row-major), copied out of the array (TorchSharp's generic creation).
let private fromArray<'T when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T)> (data: 'T[]) (shape: int64[]) : Tensor =
    data.ToTensor(shape, doCopy = true)

/// The elements of a tensor of element type 'T, in row-major order (TorchSharp's `data<T>().ToArray()`).
let private elements<'T when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T)> (t: Tensor) : 'T[] =
    t.data<'T>().ToArray()

/// The raw bytes of an array: equality of these is bit-for-bit equality (NaN payloads, -0.0 included).
let private bytesOf<'T when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T)> (xs: 'T[]) : byte[] =
    MemoryMarshal.AsBytes(ReadOnlySpan<'T>(xs)).ToArray()

/// A .NET array of rank shape.Length holding `data` in row-major order.
let private multiDim<'T> (shape: int64[]) (data: 'T[]) : Array =
    let result = Array.CreateInstance(typeof<'T>, shape |> Array.map int)
    data |> Array.iteri (fun i v -> result.SetValue(box v, unravel shape i))
    result

/// Round trip of generated data for element type 'T over ranks 0..4: flat array with a shape, and a
/// multi-dimensional .NET array whose shape is inferred (`torch.from_array`).
let private roundTrip<'T when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T)> (expectedDType: ScalarType) =
    let g =
        gen {
            let! shape = genShape 0 4 4
            let! data = Gen.arrayOfLength (numel shape) (ArbMap.defaults |> ArbMap.generate<'T>)
            return shape, data
        }
    Prop.forAll (arb g) (fun (shape, data: 'T[]) ->
        use scope = torch.NewDisposeScope()
        let t = fromArray data shape
        Assert.That(t.dtype, Is.EqualTo expectedDType)
        Assert.That(t.device_type, Is.EqualTo DeviceType.CPU)
        assertShape "ToTensor(data, shape)" shape t
        Assert.That(t.dim(), Is.EqualTo(int64 shape.Length))
        Assert.That(t.numel(), Is.EqualTo(int64 data.Length))
        assertArrayEqual "data<T>().ToArray() bytes" (bytesOf data) (bytesOf (elements<'T> t))
        // Untyped: a .NET array of the tensor's rank (rank 0 gives a one-element vector).
        let untyped = t.data<'T>().ToNDArray()
        Assert.That(untyped.GetType().GetElementType(), Is.EqualTo typeof<'T>)
        if shape.Length = 0 then
            Assert.That(untyped.Rank, Is.EqualTo 1)
            Assert.That(untyped.Length, Is.EqualTo 1)
        else
            Assert.That(untyped.Rank, Is.EqualTo shape.Length)
            for d in 0 .. shape.Length - 1 do
                Assert.That(int64 (untyped.GetLength d), Is.EqualTo shape.[d])
        assertArrayEqual "ToNDArray() bytes" (bytesOf data) (bytesOf (untyped |> Seq.cast<'T> |> Array.ofSeq))
        if shape.Length > 0 then
            let md = multiDim shape data
            let t2 = torch.from_array(md)
            assertShape "from_array(multi-dimensional array)" shape t2
            Assert.That(t2.dtype, Is.EqualTo expectedDType)
            assertArrayEqual "multi-dimensional round trip bytes" (bytesOf data) (bytesOf (t2.data<'T>().ToNDArray() |> Seq.cast<'T> |> Array.ofSeq)))

[<Property>]
let ``float32 arrays round trip bit for bit (NaN, infinities, -0 included)`` () = roundTrip<float32> ScalarType.Float32

[<Property>]
let ``float64 arrays round trip bit for bit (NaN, infinities, -0 included)`` () = roundTrip<float> ScalarType.Float64

[<Property>]
let ``int64 arrays round trip`` () = roundTrip<int64> ScalarType.Int64

[<Property>]
let ``int32 arrays round trip`` () = roundTrip<int> ScalarType.Int32

[<Property>]
let ``int16 arrays round trip`` () = roundTrip<int16> ScalarType.Int16

[<Property>]
let ``int8 arrays round trip`` () = roundTrip<sbyte> ScalarType.Int8

[<Property>]
let ``uint8 arrays round trip`` () = roundTrip<byte> ScalarType.Byte

[<Property>]
let ``bool arrays round trip`` () = roundTrip<bool> ScalarType.Bool

[<Property>]
let ``rank-0 float64 values round trip through ToDouble and a scalar tensor`` (NormalFloat v) =
    use scope = torch.NewDisposeScope()
    let t = fromArray [| v |] [||]
    Assert.That(t.dim(), Is.EqualTo 0L)
    Assert.That(t.ToDouble(), Is.EqualTo v)
    Assert.That(t.item<float>(), Is.EqualTo v)
    Assert.That(torch.tensor(v, dtype = ScalarType.Float64).ToDouble(), Is.EqualTo v)

[<Property>]
let ``to(cpu) on a cpu tensor keeps the values and shares the storage`` () =
    gen {
        let! shape = genShape 0 3 4
        let! data = genValues -5.0 5.0 (numel shape)
        return shape, data
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, data) ->
        use scope = torch.NewDisposeScope()
        let t = fromArray data shape
        let c = t.``to``(torch.CPU)
        Assert.That(c.device_type, Is.EqualTo DeviceType.CPU)
        assertShape "to(cpu)" shape c
        assertAllClose "to(cpu)" 0.0 0.0 data (elements<float> c)
        // Nothing changes, so the result is a new reference to the same data.
        t.fill_(42.0) |> ignore
        assertAllClose "to(cpu) shares storage" 0.0 0.0 (Array.create data.Length 42.0) (elements<float> c)
        // And it is an owned reference of its own: disposing it leaves the original usable.
        c.Dispose()
        Assert.That(t.IsInvalid, Is.False)
        assertAllClose "original after disposing the alias" 0.0 0.0 (Array.create data.Length 42.0) (elements<float> t)

/// Checks t.to_type(dtype) against a .NET conversion of the same data.
let private converts<'T, 'U when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T) and 'U: unmanaged and 'U: equality and 'U: struct and 'U :> ValueType and 'U: (new: unit -> 'U)> (source: 'T[]) (target: ScalarType) (convert: 'T -> 'U) =
    use scope = torch.NewDisposeScope()
    let t = fromArray source [| int64 source.Length |]
    let c = t.to_type(target)
    Assert.That(c.dtype, Is.EqualTo target)
    let expected = source |> Array.map convert
    let actual = elements<'U> c
    if expected <> actual then
        Assert.Fail(sprintf "%s -> %A:\nsource   %A\nexpected %A\nactual   %A" typeof<'T>.Name target source expected actual)

let private genConvertible =
    gen {
        let! n = Gen.choose (1, 30)
        // Finite doubles of all magnitudes, exact zeros and integers, and values near .5 boundaries.
        let! magnitude = Gen.elements [ 1.0; 100.0; 1e6; 1e-3 ]
        let! values = genValues -1.0 1.0 n
        let! zeros = Gen.arrayOfLength n (Gen.elements [ false; false; true ])
        return Array.map2 (fun v z -> if z then 0.0 else v * magnitude) values zeros
    }

[<Property>]
let ``float64 conversions agree with .NET conversions`` () =
    Prop.forAll (arb genConvertible) (fun data ->
        converts data ScalarType.Float32 float32
        converts data ScalarType.Int64 int64 // truncation toward zero
        converts data ScalarType.Int32 int32 // |values| <= 1e6 fit
        converts data ScalarType.Bool (fun v -> v <> 0.0)
        converts (data |> Array.map abs |> Array.map (fun v -> min v 255.0)) ScalarType.Byte byte
        converts data ScalarType.Float64 id)

[<Property>]
let ``float32 conversions agree with .NET conversions`` () =
    Prop.forAll (arb genConvertible) (fun data ->
        let data = Array.map float32 data
        converts data ScalarType.Float64 float
        converts data ScalarType.Int64 int64
        converts data ScalarType.Bool (fun v -> v <> 0.0f))

[<Property>]
let ``integer conversions agree with .NET conversions`` () =
    let g =
        gen {
            let! n = Gen.choose (1, 30)
            let! big = Gen.arrayOfLength n (Gen.choose64 (-(1L <<< 62), 1L <<< 62))
            let! small = Gen.arrayOfLength n (Gen.choose (-1000, 1000))
            return big, small
        }
    Prop.forAll (arb g) (fun (big, small) ->
        converts big ScalarType.Float64 float // rounds to nearest beyond 2^53
        converts big ScalarType.Float32 float32
        converts big ScalarType.Bool (fun v -> v <> 0L)
        converts small ScalarType.Float32 float32
        converts small ScalarType.Int64 int64
        converts small ScalarType.Int16 int16
        converts (small |> Array.map int64) ScalarType.Int32 int32
        converts (small |> Array.map (fun v -> abs v % 256)) ScalarType.Byte byte
        converts (small |> Array.map (fun v -> byte (abs v % 256))) ScalarType.Int64 int64)

[<Property>]
let ``bool conversions give 0 and 1`` () =
    Prop.forAll (arb (Gen.arrayOfLength 10 (Gen.elements [ true; false ]))) (fun data ->
        converts data ScalarType.Float32 (fun b -> if b then 1.0f else 0.0f)
        converts data ScalarType.Int64 (fun b -> if b then 1L else 0L)
        converts data ScalarType.Byte (fun b -> if b then 1uy else 0uy))

[<Property>]
let ``an explicit shape lays the data out row-major`` () =
    gen {
        let! rows = Gen.choose (1, 5)
        let! cols = Gen.choose (1, 5)
        let! data = genValues -5.0 5.0 (rows * cols)
        return rows, cols, data
    }
    |> arb
    |> Prop.forAll
    <| fun (rows, cols, data) ->
        use scope = torch.NewDisposeScope()
        let t = torch.tensor(data, ReadOnlySpan<int64>([| int64 rows; int64 cols |]))
        assertShape "explicit shape" [| int64 rows; int64 cols |] t
        // Read element by element through indexing (item), not through data<T>().
        for i in 0 .. rows - 1 do
            for j in 0 .. cols - 1 do
                let v = t.[int64 i, int64 j].ToDouble()
                if v <> data.[i * cols + j] then
                    Assert.Fail(sprintf "t[%d, %d] = %g, expected %g" i j v data.[i * cols + j])
        // The same data as a column vector and as a rank-3 tensor.
        assertShape "column" [| int64 (rows * cols); 1L |] (torch.tensor(data, ReadOnlySpan<int64>([| int64 (rows * cols); 1L |])))
        assertShape "rank 3" [| int64 rows; 1L; int64 cols |] (torch.tensor(data, ReadOnlySpan<int64>([| int64 rows; 1L; int64 cols |])))

[<Test>]
let ``from_array infers shape and dtype from a 2-D .NET array`` () =
    use scope = torch.NewDisposeScope()
    let t = torch.from_array(array2D [ [ 1.0f; 2.0f; 3.0f ]; [ 4.0f; 5.0f; 6.0f ] ])
    assertShape "array2D" [| 2L; 3L |] t
    Assert.That(t.dtype, Is.EqualTo ScalarType.Float32)
    Assert.That(t.[1L, 0L].ToDouble(), Is.EqualTo 4.0)
    Assert.That(t.[0L, 2L].ToDouble(), Is.EqualTo 3.0)

[<Test>]
let ``the Julia string form shows shape, dtype, device and values`` () =
    use scope = torch.NewDisposeScope()
    let show (t: Tensor) = t.ToString(TensorStringStyle.Julia, cultureInfo = Globalization.CultureInfo.InvariantCulture)
    let t = torch.from_array(array2D [ [ 1.5f; -2.0f; 3.25f ]; [ 4.0f; 5.0f; 6.0f ] ])
    let text = show t
    Assert.That(text, Does.Contain "[2x3]")
    Assert.That(text, Does.Contain "Float32")
    Assert.That(text, Does.Contain "cpu")
    for v in [ "1.5"; "-2"; "3.25"; "4"; "5"; "6" ] do
        Assert.That(text, Does.Contain v)
    Assert.That(text.IndexOf "1.5", Is.LessThan(text.IndexOf "3.25"), "values out of order")
    let ints = torch.tensor([| 7L; -8L |])
    Assert.That(show ints, Does.Contain "Int64")
    Assert.That(show ints, Does.Contain "-8")
    let flags = torch.tensor([| true; false |])
    Assert.That((show flags).ToLowerInvariant(), Does.Contain "true")
    Assert.That((show flags).ToLowerInvariant(), Does.Contain "false")
    let scalar = torch.tensor(2.5, dtype = ScalarType.Float64)
    Assert.That(show scalar, Does.Contain "[]")
    Assert.That(show scalar, Does.Contain "2.5")
    // TorchSharp's string forms do not mention requires_grad (the old binding's did); the flag itself is checked.
    let grad = torch.ones([| 2L |]).requires_grad_()
    Assert.That(grad.requires_grad, Is.True)
    Assert.That(show grad, Does.Contain "[2]")

[<Test>]
let ``the NumPy string form of a long tensor elides the middle but keeps the edges`` () =
    use scope = torch.NewDisposeScope()
    let t = torch.arange(0.0, 2000.0, 1.0, dtype = ScalarType.Float64)
    let text = t.ToString(TensorStringStyle.Numpy, cultureInfo = Globalization.CultureInfo.InvariantCulture)
    Assert.That(text, Does.Contain "...")
    Assert.That(text, Does.Contain "1999")
    Assert.That(text, Does.Not.Contain "1000,")
    Assert.That(t.ToString(TensorStringStyle.Julia), Does.Contain "[2000]")

[<Property>]
let ``data<T>() of a non-contiguous view (permuted, sliced, expanded) reads it in row-major order`` () =
    gen {
        let! shape = genShape 1 4 4
        let! perm = Gen.shuffle [| 0 .. shape.Length - 1 |]
        let! data = genValues -5.0 5.0 (numel shape)
        return shape, perm, data
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, perm, data) ->
        use scope = torch.NewDisposeScope()
        let x = fromArray data shape
        // Permuted: out[i_0, …] = x[i_perm^-1 …], i.e. the element whose d-th coordinate is the output's position of d.
        let permutedShape = perm |> Array.map (fun d -> shape.[d])
        let expected =
            Array.init data.Length (fun q ->
                let outIndex = unravel permutedShape q
                let inIndex = Array.zeroCreate shape.Length
                perm |> Array.iteri (fun k d -> inIndex.[d] <- outIndex.[k])
                data.[ravel shape inIndex])
        assertAllClose "permuted view" 0.0 0.0 expected (elements<float> (x.permute(perm |> Array.map int64)))
        // Every other element along the first dim.
        let stepped = x.slice(0L, 0L, shape.[0], 2L)
        let rows = int (shape.[0] + 1L) / 2
        let inner = data.Length / int shape.[0]
        let expectedStepped = Array.init (rows * inner) (fun q -> data.[(q / inner) * 2 * inner + q % inner])
        assertAllClose "stepped slice" 0.0 0.0 expectedStepped (elements<float> stepped)
        // An expanded (stride-0) view: a new leading dim of size 3 repeats the data.
        let expanded = x.unsqueeze(0L).expand(Array.append [| 3L |] shape)
        assertAllClose "expanded view" 0.0 0.0 (Array.concat [ data; data; data ]) (elements<float> expanded)
        // Converting dtype and device together.
        let both = x.``to``(ScalarType.Float32, torch.CPU)
        Assert.That(both.dtype, Is.EqualTo ScalarType.Float32)
        assertArrayEqual "to(float32, cpu)" (Array.map float32 data) (elements<float32> both)
