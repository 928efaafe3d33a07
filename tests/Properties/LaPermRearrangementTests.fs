/// LaPerm's rearrangement operator (ALGORITHMS §2): every row keeps exactly θ₀'s multiset of values (bit for bit),
/// takes the rank order of the current weights, conv weights are handled as (out, in·kh·kw) rows, and ties are
/// resolved deterministically (as a stable sort by (value, position) computed independently in F#).
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.LaPermRearrangementTests

open System
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Permutations
open Symmetry.Properties.TestSupport

// ---------------------------------------------------------------- oracle

/// Positions of a row in ascending order of value, ties by position (what a stable argsort gives).
let private stableOrder (row: float[]) : int[] =
    Array.init row.Length id |> Array.sortWith (fun a b -> compare (row.[a], a) (row.[b], b))

/// θ[i] = sorted[rank[i]] with rank = argsort(argsort(current)), both stable.
let private rearrangeRow (sorted: float[]) (current: float[]) : float[] =
    let order = stableOrder current
    let rank = Array.zeroCreate order.Length
    order |> Array.iteri (fun k i -> rank.[i] <- k)
    Array.init current.Length (fun i -> sorted.[rank.[i]])

let private rowsOf (fanIn: int) (data: float[]) : float[][] = Array.chunkBySize fanIn data

let private bits (xs: float[]) = xs |> Array.map BitConverter.DoubleToInt64Bits

// ---------------------------------------------------------------- generators

/// A weight shape: Linear (out, in) or Conv2d (out, in, kh, kw).
let private genWeightShape : Gen<int64[]> =
    Gen.oneof
        [ gen {
              let! o = genDim 6
              let! i = genDim 9
              return [| o; i |]
          }
          gen {
              let! o = genDim 4
              let! i = genDim 3
              let! k = Gen.elements [ 1L; 2L; 3L ]
              return [| o; i; k; k |]
          } ]

/// θ₀ values, some of them zeros (a pruned row keeps its zeros as part of the multiset).
let private genInitial (n: int) : Gen<float[]> =
    gen {
        let! values = genValues -1.0 1.0 n
        let! pruned = Gen.arrayOfLength n (Gen.frequency [ 3, Gen.constant false; 1, Gen.constant true ])
        return Array.map2 (fun x p -> if p then 0.0 else x) values pruned
    }

/// A case: shape, θ₀ and θ_t with distinct values in every row (no ties).
let private genDistinctCase : Gen<int64[] * float[] * float[]> =
    gen {
        let! shape = genWeightShape
        let n = numel shape
        let! theta0 = genInitial n
        let! current = genDistinct n
        return shape, theta0, current
    }

/// A case whose current weights have many ties (values from {-1, 0, 1}).
let private genTiedCase : Gen<int64[] * float[] * float[]> =
    gen {
        let! shape = genWeightShape
        let n = numel shape
        let! theta0 = genInitial n
        let! current = Gen.arrayOfLength n (Gen.choose (-1, 1) |> Gen.map float)
        return shape, theta0, current
    }

let private rearrange (shape: int64[]) (theta0: float[]) (current: float[]) =
    let sorted = LaPermRearrangement.SortedRows(tensorF64 shape theta0)
    let result = LaPermRearrangement.Rearrange(sorted, tensorF64 shape current)
    sorted, result

// ---------------------------------------------------------------- properties

[<Property(MaxTest = 100)>]
let ``SortedRows sorts every fan-in vector ascending, conv filters flattened`` () =
    Prop.forAll (arb genDistinctCase) (fun (shape, theta0, _) ->
        use scope = torch.NewDisposeScope()
        let fanIn = numel shape / int shape.[0]
        let sorted = LaPermRearrangement.SortedRows(tensorF64 shape theta0)
        assertShape "θ_sorted" [| shape.[0]; int64 fanIn |] sorted
        let expected = rowsOf fanIn theta0 |> Array.collect Array.sort
        assertArrayEqual "sorted rows (bits)" (bits expected) (bits (doubles sorted)))

[<Property(MaxTest = 100)>]
let ``every row keeps exactly theta0's multiset`` () =
    Prop.forAll (arb (Gen.oneof [ genDistinctCase; genTiedCase ])) (fun (shape, theta0, current) ->
        use scope = torch.NewDisposeScope()
        let sorted, result = rearrange shape theta0 current
        assertShape "result" shape result
        let fanIn = numel shape / int shape.[0]
        let resortedRows = rowsOf fanIn (doubles result) |> Array.collect Array.sort
        assertArrayEqual "each result row, sorted, equals θ_sorted bit for bit" (bits (doubles sorted)) (bits resortedRows))

[<Property(MaxTest = 100)>]
let ``each row takes the rank order of the current weights`` () =
    Prop.forAll (arb genDistinctCase) (fun (shape, theta0, current) ->
        use scope = torch.NewDisposeScope()
        let _, result = rearrange shape theta0 current
        let fanIn = numel shape / int shape.[0]
        let resultRows = rowsOf fanIn (doubles result)
        let currentRows = rowsOf fanIn current
        let theta0Rows = rowsOf fanIn theta0
        for j in 0 .. resultRows.Length - 1 do
            // θ₀ may hold equal values (zeros); the rank order must hold wherever θ₀'s values differ, and the result
            // must be exactly the stable-rank oracle.
            assertArrayEqual (sprintf "row %d against the oracle" j) (bits (rearrangeRow (Array.sort theta0Rows.[j]) currentRows.[j])) (bits resultRows.[j])
            if (Array.distinct theta0Rows.[j]).Length = fanIn then
                assertArrayEqual (sprintf "row %d: argsort(result) = argsort(θ_t)" j) (stableOrder currentRows.[j]) (stableOrder resultRows.[j]))

[<Property(MaxTest = 100)>]
let ``ties are resolved deterministically, as a stable sort`` () =
    Prop.forAll (arb genTiedCase) (fun (shape, theta0, current) ->
        use scope = torch.NewDisposeScope()
        let sorted, result = rearrange shape theta0 current
        let fanIn = numel shape / int shape.[0]
        let expected =
            Array.map2 rearrangeRow (rowsOf fanIn (doubles sorted)) (rowsOf fanIn current) |> Array.concat
        assertArrayEqual "stable-rank oracle" (bits expected) (bits (doubles result))
        let again = LaPermRearrangement.Rearrange(sorted, tensorF64 shape current)
        assertArrayEqual "a second call" (bits (doubles result)) (bits (doubles again)))

[<Property(MaxTest = 30)>]
let ``repeated synchronisations keep the multiset and are idempotent on their own output`` () =
    gen {
        let! shape, theta0, _ = genDistinctCase
        let! steps = Gen.listOfLength 4 (genValues -0.5 0.5 (numel shape))
        return shape, theta0, steps
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, theta0, steps) ->
        use scope = torch.NewDisposeScope()
        let sorted = LaPermRearrangement.SortedRows(tensorF64 shape theta0)
        let mutable weights = tensorF64 shape theta0
        for step in steps do
            // A training step moves the weights, the sync puts θ₀'s values back in the new order.
            weights <- LaPermRearrangement.Rearrange(sorted, weights + tensorF64 shape step)
        let resorted = LaPermRearrangement.SortedRows weights
        assertArrayEqual "multiset after 4 syncs" (bits (doubles sorted)) (bits (doubles resorted))
        let fixedPoint = LaPermRearrangement.Rearrange(sorted, weights)
        assertArrayEqual "syncing synced weights changes nothing" (bits (doubles weights)) (bits (doubles fixedPoint))

[<Test>]
let ``float32 weights, a 1-D vector, and no autograd`` () =
    TorchRuntime.Ensure()
    use scope = torch.NewDisposeScope()
    let theta0 = torch.tensor([| 0.5f; -1.0f; 2.0f; 0.0f; 0.25f; 0.25f |], ReadOnlySpan<int64>([| 2L; 3L |]))
    let current = torch.tensor([| 3.0f; 1.0f; 2.0f; -1.0f; 5.0f; -1.0f |], ReadOnlySpan<int64>([| 2L; 3L |])).requires_grad_()
    let sorted = LaPermRearrangement.SortedRows theta0
    Assert.That(sorted.dtype, Is.EqualTo torch.ScalarType.Float32)
    assertArrayEqual "θ_sorted" [| -1.0f; 0.5f; 2.0f; 0.0f; 0.25f; 0.25f |] (sorted.data<float32>().ToArray())
    let result = LaPermRearrangement.Rearrange(sorted, current)
    Assert.That(result.requires_grad, Is.False)
    // Row 0: ranks of (3, 1, 2) are (2, 0, 1). Row 1: (-1, 5, -1) ranks (0, 2, 1) with the tie by position.
    assertArrayEqual "rearranged" [| 2.0f; -1.0f; 0.5f; 0.0f; 0.25f; 0.25f |] (result.data<float32>().ToArray())
    let vector = LaPermRearrangement.SortedRows(tensorF64 [| 4L |] [| 3.0; 1.0; 4.0; 1.5 |])
    assertShape "a 1-D tensor is one row" [| 1L; 4L |] vector
    let back = LaPermRearrangement.Rearrange(vector, tensorF64 [| 4L |] [| 0.1; 0.4; 0.3; 0.2 |])
    assertShape "1-D result" [| 4L |] back
    assertArrayEqual "1-D values" [| 1.0; 4.0; 3.0; 1.5 |] (doubles back)

[<Test>]
let ``mismatched shapes raise ArgumentException`` () =
    TorchRuntime.Ensure()
    use scope = torch.NewDisposeScope()
    let sorted = LaPermRearrangement.SortedRows(torch.rand([| 3L; 4L |]))
    throws<ArgumentException> (fun () -> LaPermRearrangement.Rearrange(sorted, torch.rand([| 4L; 3L |])) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> LaPermRearrangement.Rearrange(sorted, torch.rand([| 3L; 5L |])) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> LaPermRearrangement.Rearrange(torch.rand([| 3L; 2L; 2L |]), torch.rand([| 3L; 4L |])) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> LaPermRearrangement.SortedRows(torch.tensor(1.0)) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> LaPermRearrangement.SortedRows(torch.zeros([| 0L; 3L |])) |> ignore) |> ignore
    // A conv weight and its flattened θ_sorted correspond.
    let conv = torch.rand([| 3L; 2L; 1L; 2L |])
    assertShape "conv" [| 3L; 2L; 1L; 2L |] (LaPermRearrangement.Rearrange(sorted, conv))

[<Test>]
let ``LaPerm on CUDA equals LaPerm on the CPU`` () =
    TorchRuntime.Ensure()
    if not (torch.cuda.is_available()) then
        Assert.Ignore(sprintf "no CUDA device: libtorch %s reports %d CUDA devices" torch.__version__ (torch.cuda.device_count()))
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 11UL
    let theta0 = torch.randn([| 32L; 16L; 3L; 3L |], generator = g)
    // Rounded current weights: plenty of ties, to check the stable tie-break on the GPU too.
    let current = (torch.randn([| 32L; 16L; 3L; 3L |], generator = g) * 4.0).round()
    let onCpu = LaPermRearrangement.Rearrange(LaPermRearrangement.SortedRows theta0, current)
    let cuda = torch.CUDA
    let onGpu = LaPermRearrangement.Rearrange(LaPermRearrangement.SortedRows(theta0.``to``(cuda)), current.``to``(cuda))
    Assert.That(onGpu.device_type, Is.EqualTo DeviceType.CUDA)
    assertArrayEqual "cpu vs cuda" (onCpu.data<float32>().ToArray()) (onGpu.cpu().data<float32>().ToArray())
