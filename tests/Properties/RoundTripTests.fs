/// Data in and out: .NET arrays survive tensor round trips bit for bit for every dtype and ranks 0..4, dtype
/// conversions agree with .NET conversions, FromArray honours an explicit shape and ToString shows what it holds.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.RoundTripTests

open System
open System.Runtime.InteropServices
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open Symmetry.Torch
open Symmetry.Properties.TestSupport

/// The raw bytes of an array: equality of these is bit-for-bit equality (NaN payloads, -0.0 included).
let private bytesOf<'T when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T)> (xs: 'T[]) : byte[] =
    MemoryMarshal.AsBytes(ReadOnlySpan<'T>(xs)).ToArray()

/// A .NET array of rank shape.Length holding `data` in row-major order.
let private multiDim<'T> (shape: int64[]) (data: 'T[]) : Array =
    let result = Array.CreateInstance(typeof<'T>, shape |> Array.map int)
    data |> Array.iteri (fun i v -> result.SetValue(box v, unravel shape i))
    result

/// Round trip of generated data for element type 'T over ranks 0..4: flat array with a shape, and a
/// multi-dimensional .NET array whose shape is inferred.
let private roundTrip<'T when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T)> (expectedDType: DType) =
    let g =
        gen {
            let! shape = genShape 0 4 4
            let! data = Gen.arrayOfLength (numel shape) (ArbMap.defaults |> ArbMap.generate<'T>)
            return shape, data
        }
    Prop.forAll (arb g) (fun (shape, data: 'T[]) ->
        use scope = Torch.NewScope()
        let t = Torch.FromArray(data, shape)
        Assert.That(t.DType, Is.EqualTo expectedDType)
        Assert.That(t.Device, Is.EqualTo Device.Cpu)
        assertShape "FromArray(data, shape)" shape t
        Assert.That(t.Rank, Is.EqualTo shape.Length)
        Assert.That(t.NumEl, Is.EqualTo(int64 data.Length))
        assertArrayEqual "ToArray<T>() bytes" (bytesOf data) (bytesOf (t.ToArray<'T>()))
        // Untyped ToArray: a .NET array of the tensor's rank (rank 0 gives a one-element vector).
        let untyped = t.ToArray()
        Assert.That(untyped.GetType().GetElementType(), Is.EqualTo typeof<'T>)
        if shape.Length = 0 then
            Assert.That(untyped.Rank, Is.EqualTo 1)
            Assert.That(untyped.Length, Is.EqualTo 1)
        else
            Assert.That(untyped.Rank, Is.EqualTo shape.Length)
            for d in 0 .. shape.Length - 1 do
                Assert.That(int64 (untyped.GetLength d), Is.EqualTo shape.[d])
        assertArrayEqual "ToArray() bytes" (bytesOf data) (bytesOf (untyped |> Seq.cast<'T> |> Array.ofSeq))
        if shape.Length > 0 then
            let md = multiDim shape data
            let t2 = Torch.FromArray(md)
            assertShape "FromArray(multi-dimensional array)" shape t2
            assertArrayEqual "multi-dimensional round trip bytes" (bytesOf data) (bytesOf (t2.ToArray() |> Seq.cast<'T> |> Array.ofSeq)))

[<Property>]
let ``float32 arrays round trip bit for bit (NaN, infinities, -0 included)`` () = roundTrip<float32> DType.Float32

[<Property>]
let ``float64 arrays round trip bit for bit (NaN, infinities, -0 included)`` () = roundTrip<float> DType.Float64

[<Property>]
let ``int64 arrays round trip`` () = roundTrip<int64> DType.Int64

[<Property>]
let ``int32 arrays round trip`` () = roundTrip<int> DType.Int32

[<Property>]
let ``int16 arrays round trip`` () = roundTrip<int16> DType.Int16

[<Property>]
let ``int8 arrays round trip`` () = roundTrip<sbyte> DType.Int8

[<Property>]
let ``uint8 arrays round trip`` () = roundTrip<byte> DType.UInt8

[<Property>]
let ``bool arrays round trip`` () = roundTrip<bool> DType.Bool

[<Property>]
let ``rank-0 float64 values round trip through ToDouble and Scalar`` (NormalFloat v) =
    use scope = Torch.NewScope()
    let t = Torch.FromArray([| v |], [||])
    Assert.That(t.Rank, Is.EqualTo 0)
    Assert.That(t.ToDouble(), Is.EqualTo v)
    Assert.That(Torch.Scalar(v, DType.Float64).ToDouble(), Is.EqualTo v)

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
        use scope = Torch.NewScope()
        let t = tensorF64 shape data
        let c = t.To(Device.Cpu)
        Assert.That(c.Device, Is.EqualTo Device.Cpu)
        assertShape "to(cpu)" shape c
        assertAllClose "to(cpu)" 0.0 0.0 data (doubles c)
        // Documented: nothing changes, so the result is a new reference to the same data.
        t.FillInPlace(42.0) |> ignore
        assertAllClose "to(cpu) shares storage" 0.0 0.0 (Array.create data.Length 42.0) (doubles c)
        // And it is an owned reference of its own: disposing it leaves the original usable.
        c.Dispose()
        Assert.That(t.IsDisposed, Is.False)
        assertAllClose "original after disposing the alias" 0.0 0.0 (Array.create data.Length 42.0) (doubles t)

/// Checks t.To(dtype) against a .NET conversion of the same data.
let private converts<'T, 'U when 'T: unmanaged and 'U: unmanaged and 'U: equality and 'U: struct and 'U :> ValueType and 'U: (new: unit -> 'U)> (source: 'T[]) (target: DType) (convert: 'T -> 'U) =
    use scope = Torch.NewScope()
    let t = Torch.FromArray(source, [| int64 source.Length |])
    let c = t.To(target)
    Assert.That(c.DType, Is.EqualTo target)
    let expected = source |> Array.map convert
    let actual = c.ToArray<'U>()
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
        converts data DType.Float32 float32
        converts data DType.Int64 int64 // truncation toward zero
        converts data DType.Int32 int32 // |values| <= 1e6 fit
        converts data DType.Bool (fun v -> v <> 0.0)
        converts (data |> Array.map abs |> Array.map (fun v -> min v 255.0)) DType.UInt8 byte
        converts data DType.Float64 id)

[<Property>]
let ``float32 conversions agree with .NET conversions`` () =
    Prop.forAll (arb genConvertible) (fun data ->
        let data = Array.map float32 data
        converts data DType.Float64 float
        converts data DType.Int64 int64
        converts data DType.Bool (fun v -> v <> 0.0f))

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
        converts big DType.Float64 float // rounds to nearest beyond 2^53
        converts big DType.Float32 float32
        converts big DType.Bool (fun v -> v <> 0L)
        converts small DType.Float32 float32
        converts small DType.Int64 int64
        converts small DType.Int16 int16
        converts (small |> Array.map int64) DType.Int32 int32
        converts (small |> Array.map (fun v -> abs v % 256)) DType.UInt8 byte
        converts (small |> Array.map (fun v -> byte (abs v % 256))) DType.Int64 int64)

[<Property>]
let ``bool conversions give 0 and 1`` () =
    Prop.forAll (arb (Gen.arrayOfLength 10 (Gen.elements [ true; false ]))) (fun data ->
        converts data DType.Float32 (fun b -> if b then 1.0f else 0.0f)
        converts data DType.Int64 (fun b -> if b then 1L else 0L)
        converts data DType.UInt8 (fun b -> if b then 1uy else 0uy))

[<Property>]
let ``FromArray with an explicit shape lays the data out row-major`` () =
    gen {
        let! rows = Gen.choose (1, 5)
        let! cols = Gen.choose (1, 5)
        let! data = genValues -5.0 5.0 (rows * cols)
        return rows, cols, data
    }
    |> arb
    |> Prop.forAll
    <| fun (rows, cols, data) ->
        use scope = Torch.NewScope()
        let t = Torch.FromArray(data, [| int64 rows; int64 cols |])
        assertShape "explicit shape" [| int64 rows; int64 cols |] t
        // Read element by element through indexing (item), not through ToArray.
        for i in 0 .. rows - 1 do
            for j in 0 .. cols - 1 do
                let v = t.[int64 i, int64 j].ToDouble()
                if v <> data.[i * cols + j] then
                    Assert.Fail(sprintf "t[%d, %d] = %g, expected %g" i j v data.[i * cols + j])
        // The same data as a column vector and as a rank-3 tensor.
        assertShape "column" [| int64 (rows * cols); 1L |] (Torch.FromArray(data, [| int64 (rows * cols); 1L |]))
        assertShape "rank 3" [| int64 rows; 1L; int64 cols |] (Torch.FromArray(data, [| int64 rows; 1L; int64 cols |]))

[<Test>]
let ``FromArray infers shape and dtype from a 2-D .NET array`` () =
    use scope = Torch.NewScope()
    let t = Torch.FromArray(array2D [ [ 1.0f; 2.0f; 3.0f ]; [ 4.0f; 5.0f; 6.0f ] ])
    assertShape "array2D" [| 2L; 3L |] t
    Assert.That(t.DType, Is.EqualTo DType.Float32)
    Assert.That(t.[1L, 0L].ToDouble(), Is.EqualTo 4.0)
    Assert.That(t.[0L, 2L].ToDouble(), Is.EqualTo 3.0)

[<Test>]
let ``ToString shows shape, dtype, device and values`` () =
    use scope = Torch.NewScope()
    let t = Torch.FromArray(array2D [ [ 1.5f; -2.0f; 3.25f ]; [ 4.0f; 5.0f; 6.0f ] ])
    let text = t.ToString()
    Assert.That(text, Does.Contain "shape=[2, 3]")
    Assert.That(text, Does.Contain "Float32")
    Assert.That(text, Does.Contain "cpu")
    for v in [ "1.5"; "-2"; "3.25"; "4"; "5"; "6" ] do
        Assert.That(text, Does.Contain v)
    Assert.That(text.IndexOf "1.5", Is.LessThan(text.IndexOf "3.25"), "values out of order")
    let ints = Torch.FromArray([| 7L; -8L |])
    Assert.That(ints.ToString(), Does.Contain "Int64")
    Assert.That(ints.ToString(), Does.Contain "-8")
    let flags = Torch.FromArray([| true; false |])
    Assert.That(flags.ToString(), Does.Contain "true")
    Assert.That(flags.ToString(), Does.Contain "false")
    let scalar = Torch.Scalar(2.5, DType.Float64)
    Assert.That(scalar.ToString(), Does.Contain "shape=[]")
    Assert.That(scalar.ToString(), Does.Contain "2.5")
    let grad = Torch.Ones([| 2L |]).WithRequiresGrad()
    Assert.That(grad.ToString(), Does.Contain "requires_grad")

[<Test>]
let ``ToString of a long tensor elides the middle but keeps the edges`` () =
    use scope = Torch.NewScope()
    let t = Torch.Arange(0.0, 2000.0, 1.0, DType.Float64)
    let text = t.ToString()
    Assert.That(text, Does.Contain "shape=[2000]")
    Assert.That(text, Does.Contain "...")
    Assert.That(text, Does.Contain "1999")
    Assert.That(text, Does.Not.Contain "1000,")

[<Property>]
let ``ToArray of a non-contiguous view (permuted, sliced, expanded) reads it in row-major order`` () =
    gen {
        let! shape = genShape 1 4 4
        let! perm = Gen.shuffle [| 0 .. shape.Length - 1 |]
        let! data = genValues -5.0 5.0 (numel shape)
        return shape, perm, data
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, perm, data) ->
        use scope = Torch.NewScope()
        let x = tensorF64 shape data
        // Permuted: out[i_0, …] = x[i_perm^-1 …], i.e. the element whose d-th coordinate is the output's position of d.
        let permutedShape = perm |> Array.map (fun d -> shape.[d])
        let expected =
            Array.init data.Length (fun q ->
                let outIndex = unravel permutedShape q
                let inIndex = Array.zeroCreate shape.Length
                perm |> Array.iteri (fun k d -> inIndex.[d] <- outIndex.[k])
                data.[ravel shape inIndex])
        assertAllClose "permuted view" 0.0 0.0 expected (doubles (x.Permute(perm |> Array.map int64)))
        // Every other element along the first dim.
        let stepped = x.Slice(0L, 0L, shape.[0], 2L)
        let rows = int (shape.[0] + 1L) / 2
        let inner = data.Length / int shape.[0]
        let expectedStepped = Array.init (rows * inner) (fun q -> data.[(q / inner) * 2 * inner + q % inner])
        assertAllClose "stepped slice" 0.0 0.0 expectedStepped (doubles stepped)
        // An expanded (stride-0) view: a new leading dim of size 3 repeats the data.
        let expanded = x.Unsqueeze(0L).Expand(Array.append [| 3L |] shape)
        assertAllClose "expanded view" 0.0 0.0 (Array.concat [ data; data; data ]) (doubles expanded)
        // Converting dtype and device together.
        let both = x.To(Device.Cpu, DType.Float32)
        Assert.That(both.DType, Is.EqualTo DType.Float32)
        assertArrayEqual "to(cpu, float32)" (Array.map float32 data) (both.ToArray<float32>())
