/// Forward results against values computed independently in F# from the data copied out: naive loops for matmul
/// and conv2d, Array/LINQ functions for reductions, stable sorts for sort/argsort/topk/kthvalue, Array.scan for
/// cumsum and direct indexing for gather/scatter/index_select.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.OracleTests

open System
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Properties.TestSupport

let private rtol = 1e-12
let private atol = 1e-12

/// A shape of rank 1..3 (sizes 1..5), a dim inside it and data from `values`.
let private genShapeDimData (values: int -> Gen<float[]>) =
    gen {
        let! shape = genShape 1 3 5
        let! dim = Gen.choose (0, shape.Length - 1)
        let! data = values (numel shape)
        return shape, dim, data
    }

let private symmetric n = genValues -3.0 3.0 n

// ---------------------------------------------------------------- matmul and conv2d

/// C[i,k] = Σ_j A[i,j] B[j,k], as three nested loops.
let private naiveMatMul (n: int) (m: int) (p: int) (a: float[]) (b: float[]) =
    let c = Array.zeroCreate (n * p)
    for i in 0 .. n - 1 do
        for k in 0 .. p - 1 do
            let mutable s = 0.0
            for j in 0 .. m - 1 do
                s <- s + a.[i * m + j] * b.[j * p + k]
            c.[i * p + k] <- s
    c

/// Sizes n, m, p in 1..maxDim and the entries of an n×m and an m×p matrix.
let private matMulOperands maxDim =
    gen {
        let! n = Gen.choose (1, maxDim)
        let! m = Gen.choose (1, maxDim)
        let! p = Gen.choose (1, maxDim)
        let! a = symmetric (n * m)
        let! b = symmetric (m * p)
        return n, m, p, a, b
    }

[<Property>]
let ``matmul equals a naive triple loop`` () =
    matMulOperands 7
    |> arb
    |> Prop.forAll
    <| fun (n, m, p, a, b) ->
        use scope = torch.NewDisposeScope()
        let c = (tensorF64 [| int64 n; int64 m |] a).matmul(tensorF64 [| int64 m; int64 p |] b)
        assertShape "matmul" [| int64 n; int64 p |] c
        assertAllClose "matmul" rtol atol (naiveMatMul n m p a b) (doubles c)

[<Property(MaxTest = 50)>]
let ``batched matmul and bmm equal a naive loop per batch`` () =
    gen {
        let! batch = Gen.choose (1, 3)
        let! n = Gen.choose (1, 4)
        let! m = Gen.choose (1, 4)
        let! p = Gen.choose (1, 4)
        let! a = symmetric (batch * n * m)
        let! b = symmetric (batch * m * p)
        return batch, n, m, p, a, b
    }
    |> arb
    |> Prop.forAll
    <| fun (batch, n, m, p, a, b) ->
        use scope = torch.NewDisposeScope()
        let ta = tensorF64 [| int64 batch; int64 n; int64 m |] a
        let tb = tensorF64 [| int64 batch; int64 m; int64 p |] b
        let expected =
            Array.init batch (fun i -> naiveMatMul n m p a.[i * n * m .. (i + 1) * n * m - 1] b.[i * m * p .. (i + 1) * m * p - 1])
            |> Array.concat
        assertAllClose "matmul (batched)" rtol atol expected (doubles (ta.matmul tb))
        assertAllClose "bmm" rtol atol expected (doubles (ta.bmm tb))

[<Property(MaxTest = 50)>]
let ``float32 matmul agrees with the float64 naive loop to float32 precision`` () =
    matMulOperands 6
    |> arb
    |> Prop.forAll
    <| fun (n, m, p, a, b) ->
        use scope = torch.NewDisposeScope()
        let a32, b32 = Array.map float32 a, Array.map float32 b
        let c = (tensorF32 [| int64 n; int64 m |] a32).matmul(tensorF32 [| int64 m; int64 p |] b32)
        let expected = naiveMatMul n m p (Array.map float a32) (Array.map float b32)
        assertAllClose "float32 matmul" 1e-5 1e-5 expected (singles c |> Array.map float)

/// Direct nested-loop 2-D convolution (cross-correlation, as PyTorch) with bias, stride, zero padding, dilation
/// and groups. x: (n, cin, h, w); weight: (cout, cin/groups, kh, kw).
let private naiveConv2d (n, cin, h, w) (cout, kh, kw) (stride, padding, dilation, groups) (x: float[]) (weight: float[]) (bias: float[] option) =
    let cinPer, coutPer = cin / groups, cout / groups
    let oh = (h + 2 * padding - dilation * (kh - 1) - 1) / stride + 1
    let ow = (w + 2 * padding - dilation * (kw - 1) - 1) / stride + 1
    let out = Array.zeroCreate (n * cout * oh * ow)
    for b in 0 .. n - 1 do
        for o in 0 .. cout - 1 do
            let g = o / coutPer
            for i in 0 .. oh - 1 do
                for j in 0 .. ow - 1 do
                    let mutable s = match bias with Some bs -> bs.[o] | None -> 0.0
                    for c in 0 .. cinPer - 1 do
                        for ki in 0 .. kh - 1 do
                            for kj in 0 .. kw - 1 do
                                let y = i * stride - padding + ki * dilation
                                let z = j * stride - padding + kj * dilation
                                if y >= 0 && y < h && z >= 0 && z < w then
                                    let xv = x.[((b * cin + g * cinPer + c) * h + y) * w + z]
                                    let wv = weight.[((o * cinPer + c) * kh + ki) * kw + kj]
                                    s <- s + xv * wv
                    out.[((b * cout + o) * oh + i) * ow + j] <- s
    out, (oh, ow)

[<Property(MaxTest = 60)>]
let ``conv2d equals a direct nested-loop sum (stride, padding, dilation, groups, bias)`` () =
    gen {
        let! groups = Gen.choose (1, 2)
        let! cinPer = Gen.choose (1, 2)
        let! coutPer = Gen.choose (1, 3)
        let! n = Gen.choose (1, 2)
        let! kh = Gen.choose (1, 3)
        let! kw = Gen.choose (1, 3)
        let! stride = Gen.choose (1, 3)
        let! padding = Gen.choose (0, 2)
        let! dilation = Gen.choose (1, 2)
        let minH = max 1 (dilation * (kh - 1) + 1 - 2 * padding)
        let minW = max 1 (dilation * (kw - 1) + 1 - 2 * padding)
        let! h = Gen.choose (minH, minH + 4)
        let! w = Gen.choose (minW, minW + 4)
        let cin, cout = groups * cinPer, groups * coutPer
        let! x = symmetric (n * cin * h * w)
        let! weight = symmetric (cout * cinPer * kh * kw)
        let! bias = Gen.optionOf (symmetric cout)
        return (n, cin, h, w), (cout, kh, kw), (stride, padding, dilation, groups), x, weight, bias
    }
    |> arb
    |> Prop.forAll
    <| fun ((n, cin, h, w), (cout, kh, kw), (stride, padding, dilation, groups), x, weight, bias) ->
        use scope = torch.NewDisposeScope()
        let expected, (oh, ow) = naiveConv2d (n, cin, h, w) (cout, kh, kw) (stride, padding, dilation, groups) x weight bias
        let tx = tensorF64 [| int64 n; int64 cin; int64 h; int64 w |] x
        let tw = tensorF64 [| int64 cout; int64 (cin / groups); int64 kh; int64 kw |] weight
        let tb = bias |> Option.map (tensorF64 [| int64 cout |]) |> Option.toObj
        let y = torch.nn.functional.conv2d(
                tx, tw, tb, strides = [| int64 stride; int64 stride |], padding = [| int64 padding; int64 padding |],
                dilation = [| int64 dilation; int64 dilation |], groups = int64 groups
            )
        assertShape "conv2d" [| int64 n; int64 cout; int64 oh; int64 ow |] y
        assertAllClose "conv2d" 1e-11 1e-11 expected (doubles y)

[<Property(MaxTest = 50)>]
let ``linear equals x Wt + b by loops`` () =
    gen {
        let! n = Gen.choose (1, 5)
        let! inF = Gen.choose (1, 5)
        let! outF = Gen.choose (1, 5)
        let! x = symmetric (n * inF)
        let! w = symmetric (outF * inF)
        let! b = symmetric outF
        return n, inF, outF, x, w, b
    }
    |> arb
    |> Prop.forAll
    <| fun (n, inF, outF, x, w, b) ->
        use scope = torch.NewDisposeScope()
        let y = torch.nn.functional.linear(tensorF64 [| int64 n; int64 inF |] x, tensorF64 [| int64 outF; int64 inF |] w, tensorF64 [| int64 outF |] b)
        let expected =
            Array.init (n * outF) (fun q ->
                let i, o = q / outF, q % outF
                b.[o] + Seq.sum (seq { for j in 0 .. inF - 1 -> x.[i * inF + j] * w.[o * inF + j] }))
        assertAllClose "linear" rtol atol expected (doubles y)

// ---------------------------------------------------------------- reductions

let private mean (xs: float[]) = Array.average xs

let private variance (unbiased: bool) (xs: float[]) =
    let m = Array.average xs
    let ss = xs |> Array.sumBy (fun v -> (v - m) * (v - m))
    ss / float (if unbiased then xs.Length - 1 else xs.Length)

[<Property>]
let ``sum, mean, prod, amax, amin over one dim and over everything equal Array functions`` () =
    genShapeDimData (genValues 0.5 1.5)
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 shape data
        let along name (f: float[] -> float) (t: Tensor) =
            assertShape name (reducedShape shape [ dim ] false) t
            assertAllClose name 1e-12 1e-12 (reduceAlong shape data dim f) (doubles t)
        let d = int64 dim
        along "sum(dim)" Array.sum (x.sum(d))
        along "mean(dim)" mean (x.mean([| d |]))
        along "prod(dim)" (Array.fold (*) 1.0) (x.prod(d))
        along "amax(dim)" Array.max (x.amax([| d |]))
        along "amin(dim)" Array.min (x.amin([| d |]))
        let whole name expected (t: Tensor) =
            assertShape name [||] t
            assertAllClose name 1e-12 1e-12 [| expected |] [| t.ToDouble() |]
        whole "sum()" (Array.sum data) (x.sum())
        whole "mean()" (mean data) (x.mean())
        whole "prod()" (Array.fold (*) 1.0 data) (x.prod())
        whole "max()" (Array.max data) (x.max())
        whole "min()" (Array.min data) (x.min())
        // keepDim keeps a size-1 dimension in place.
        assertShape "sum(dim, keepDim)" (reducedShape shape [ dim ] true) (x.sum(d, keepdim = true))

[<Property>]
let ``sum over several dims equals repeated single-dim sums`` () =
    gen {
        let! shape = genShape 1 4 4
        let! dims = genDims shape.Length
        let! data = symmetric (numel shape)
        return shape, dims, data
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, dims, data) ->
        use scope = torch.NewDisposeScope()
        // Reduce the highest dim first so that the remaining dim numbers stay valid.
        let expected, _ =
            dims
            |> List.rev
            |> List.fold (fun (values, sh: int64[]) d -> reduceAlong sh values d Array.sum, Array.removeAt d sh) (data, shape)
        let t = (tensorF64 shape data).sum(dims |> List.map int64 |> Array.ofList)
        assertShape "sum(dims)" (reducedShape shape dims false) t
        assertAllClose "sum(dims)" 1e-12 1e-12 expected (doubles t)

[<Property>]
let ``max and min along a dim return the values and their positions (distinct values)`` () =
    genShapeDimData genDistinct
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 shape data
        let argOf pick (line: float[]) = line |> Array.indexed |> pick snd |> fst |> int64
        let struct (maxValues, maxIndices) = x.max(int64 dim)
        assertAllClose "max(dim).values" 0.0 0.0 (reduceAlong shape data dim Array.max) (doubles maxValues)
        assertArrayEqual "max(dim).indices" (reduceAlong shape data dim (argOf Array.maxBy)) (longs maxIndices)
        let struct (minValues, minIndices) = x.min(int64 dim)
        assertAllClose "min(dim).values" 0.0 0.0 (reduceAlong shape data dim Array.min) (doubles minValues)
        assertArrayEqual "min(dim).indices" (reduceAlong shape data dim (argOf Array.minBy)) (longs minIndices)
        assertArrayEqual "argmax(dim)" (reduceAlong shape data dim (argOf Array.maxBy)) (longs (x.argmax(int64 dim)))
        assertArrayEqual "argmin(dim)" (reduceAlong shape data dim (argOf Array.minBy)) (longs (x.argmin(int64 dim)))
        assertArrayEqual "argmax()" [| argOf Array.maxBy data |] (longs (x.argmax()))
        assertArrayEqual "argmin()" [| argOf Array.minBy data |] (longs (x.argmin()))

[<Property>]
let ``std and var (biased and unbiased) equal the two-pass formula`` () =
    gen {
        let! shape, dim, data = genShapeDimData symmetric
        // At least two elements along dim (and in total) for the unbiased estimate.
        let shape = Array.updateAt dim (max 2L shape.[dim]) shape
        let! data = symmetric (numel shape)
        return shape, dim, data
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 shape data
        for unbiased in [ true; false ] do
            let what s = sprintf "%s unbiased=%b" s unbiased
            assertAllClose (what "var(dim)") 1e-10 1e-12 (reduceAlong shape data dim (variance unbiased)) (doubles (x.var([| int64 dim |], unbiased)))
            assertAllClose (what "std(dim)") 1e-10 1e-12 (reduceAlong shape data dim (variance unbiased >> sqrt)) (doubles (x.std([| int64 dim |], unbiased)))
            // Over everything through the all-dims overload: TorchSharp 0.107.0's var(unbiased) without dims ignores
            // unbiased = false (see the known-bug test below).
            let allDims = Array.init shape.Length int64
            assertAllClose (what "var(all dims)") 1e-10 1e-12 [| variance unbiased data |] [| x.var(allDims, unbiased).ToDouble() |]
            assertAllClose (what "std(all dims)") 1e-10 1e-12 [| sqrt (variance unbiased data) |] [| x.std(allDims, unbiased).ToDouble() |]
            assertAllClose (what "std()") 1e-10 1e-12 [| sqrt (variance unbiased data) |] [| x.std(unbiased).ToDouble() |]

/// UPSTREAM BUG WATCH (skipped with the reason while the bug is present, passes once fixed): TorchSharp 0.107.0's Tensor.var(unbiased) and torch.var(x, unbiased) over the whole tensor
/// return the unbiased variance for unbiased = false too (std(false) and var(dims, false) are right). Code must
/// pass the dims explicitly (x.var(allDims, false)) until TorchSharp is fixed; this test says when it is.
[<Test>]
let ``var over the whole tensor honours unbiased = false`` () =
    use scope = torch.NewDisposeScope()
    let x = tensorF64 [| 2L |] [| 1.0; 3.0 |]
    assertAllClose "var(unbiased = true)" 0.0 1e-15 [| 2.0 |] [| x.var(true).ToDouble() |]
    if x.var(false).ToDouble() = 2.0 then
        Assert.Ignore "TorchSharp 0.107.0 bug: whole-tensor var(unbiased = false) returns the unbiased variance; pass the dims"
    assertAllClose "var(unbiased = false)" 0.0 1e-15 [| 1.0 |] [| x.var(false).ToDouble() |]
    assertAllClose "torch.var(x, unbiased = false)" 0.0 1e-15 [| 1.0 |] [| torch.var(x, false).ToDouble() |]

[<Property>]
let ``norm for p = 1, 2, 3 and infinity equals the definition`` () =
    genShapeDimData symmetric
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 shape data
        let pNorm p (xs: float[]) =
            if Double.IsPositiveInfinity p then xs |> Array.map abs |> Array.max
            else (xs |> Array.sumBy (fun v -> Math.Pow(abs v, p))) ** (1.0 / p)
        for p in [ 1.0; 2.0; 3.0; Double.PositiveInfinity ] do
            assertAllClose (sprintf "norm(p=%g, dim)" p) 1e-12 1e-12 (reduceAlong shape data dim (pNorm p)) (doubles (torch.linalg.vector_norm(x, p, [| int64 dim |])))
            assertAllClose (sprintf "norm(p=%g)" p) 1e-12 1e-12 [| pNorm p data |] [| torch.linalg.vector_norm(x, p).ToDouble() |]

[<Property>]
let ``any and all equal Array.exists and Array.forall`` () =
    gen {
        let! shape = genShape 1 3 4
        let! dim = Gen.choose (0, shape.Length - 1)
        // Mostly-true or mostly-false data so that both answers occur.
        let! bias = Gen.elements [ 0.1; 0.5; 0.9 ]
        let! data = Gen.arrayOfLength (numel shape) (genValue 0.0 1.0 |> Gen.map (fun u -> u < bias))
        return shape, dim, data
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorBool shape data
        assertArrayEqual "any(dim)" (reduceAlong shape data dim (Array.exists id)) (bools (x.any(int64 dim)))
        assertArrayEqual "all(dim)" (reduceAlong shape data dim (Array.forall id)) (bools (x.all(int64 dim)))
        assertArrayEqual "any()" [| Array.exists id data |] (bools (x.any()))
        assertArrayEqual "all()" [| Array.forall id data |] (bools (x.all()))

[<Property>]
let ``logsumexp equals log of the sum of exponentials`` () =
    genShapeDimData symmetric
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let lse (xs: float[]) = log (xs |> Array.sumBy exp)
        assertAllClose "logsumexp(dim)" 1e-12 1e-12 (reduceAlong shape data dim lse) (doubles ((tensorF64 shape data).logsumexp(int64 dim)))

[<Property>]
let ``cumsum equals Array.scan along the dim`` () =
    genShapeDimData symmetric
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let expected = mapAlong shape data dim (fun line -> Array.scan (+) 0.0 line |> Array.tail)
        let t = (tensorF64 shape data).cumsum(int64 dim)
        assertShape "cumsum" shape t
        assertAllClose "cumsum" 1e-12 1e-12 expected (doubles t)

// ---------------------------------------------------------------- sorting

/// Integer-valued data from a small range: many ties.
let private genTies n = Gen.arrayOfLength n (Gen.choose (0, 3) |> Gen.map float)

[<Property>]
let ``sort values equal Array.sort along the dim, ascending and descending`` () =
    genShapeDimData symmetric
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 shape data
        let struct (up, upIdx) = x.sort(int64 dim)
        assertAllClose "sort ascending" 0.0 0.0 (mapAlong shape data dim Array.sort) (doubles up)
        let struct (down, _) = x.sort(int64 dim, descending = true)
        assertAllClose "sort descending" 0.0 0.0 (mapAlong shape data dim (Array.sort >> Array.rev)) (doubles down)
        // The indices point at the sorted values.
        assertAllClose "sort indices" 0.0 0.0 (doubles up) (doubles (x.gather(int64 dim, upIdx)))

[<Property>]
let ``stable argsort with ties equals a stable sort of positions (ascending and descending)`` () =
    genShapeDimData genTies
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 shape data
        // List.sortWith is stable: equal keys keep their original order.
        let stableArgsort descending (line: float[]) =
            [ 0 .. line.Length - 1 ]
            |> List.sortWith (fun i j -> if descending then compare line.[j] line.[i] else compare line.[i] line.[j])
            |> List.map int64
            |> Array.ofList
        // TorchSharp's argsort has no stable flag: a stable argsort is the indices of a stable sort.
        let struct (_, upIndices) = x.sort(int64 dim, stable = true)
        assertArrayEqual "stable argsort ascending" (mapAlong shape data dim (stableArgsort false)) (longs upIndices)
        let struct (values, indices) = x.sort(int64 dim, descending = true, stable = true)
        assertArrayEqual "stable argsort descending" (mapAlong shape data dim (stableArgsort true)) (longs indices)
        assertAllClose "stable sort descending values" 0.0 0.0 (mapAlong shape data dim (Array.sort >> Array.rev)) (doubles values)

/// 1–3 rows of 1–8 distinct values, as (rows, n, k, row-major data) with 1 ≤ k ≤ n.
let private rowsWithK =
    gen {
        let! n = Gen.choose (1, 8)
        let! rows = Gen.choose (1, 3)
        let! k = Gen.choose (1, n)
        let! data = genDistinct (rows * n)
        return rows, n, k, data
    }
    |> arb

[<Property>]
let ``topk equals the first k of a sort (largest and smallest, distinct values)`` () =
    rowsWithK
    |> Prop.forAll
    <| fun (rows, n, k, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 [| int64 rows; int64 n |] data
        let lines = Array.chunkBySize n data
        let order descending (line: float[]) =
            Array.init line.Length id |> Array.sortBy (fun i -> if descending then -line.[i] else line.[i])
        for largest in [ true; false ] do
            let struct (values, indices) = x.topk(k, largest = largest)
            assertShape "topk" [| int64 rows; int64 k |] values
            let expectedIdx = lines |> Array.collect (fun line -> (order largest line).[.. k - 1])
            let expectedValues = lines |> Array.collect (fun line -> (order largest line).[.. k - 1] |> Array.map (fun i -> line.[i]))
            assertAllClose (sprintf "topk largest=%b values" largest) 0.0 0.0 expectedValues (doubles values)
            assertArrayEqual (sprintf "topk largest=%b indices" largest) (Array.map int64 expectedIdx) (longs indices)

[<Property>]
let ``kthvalue equals the k-th element of the ascending sort (distinct values)`` () =
    rowsWithK
    |> Prop.forAll
    <| fun (rows, n, k, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 [| int64 rows; int64 n |] data
        let struct (values, indices) = x.kthvalue(int64 k, dim = -1L)
        let lines = Array.chunkBySize n data
        let kth (line: float[]) = (Array.init n id |> Array.sortBy (fun i -> line.[i])).[k - 1]
        assertAllClose "kthvalue values" 0.0 0.0 (lines |> Array.map (fun l -> l.[kth l])) (doubles values)
        assertArrayEqual "kthvalue indices" (lines |> Array.map (kth >> int64)) (longs indices)
        let struct (kept, _) = x.kthvalue(int64 k, dim = -1L, keepdim = true)
        assertShape "kthvalue keepDim" [| int64 rows; 1L |] kept

// ---------------------------------------------------------------- indexing

[<Property>]
let ``index_select equals direct indexing`` () =
    gen {
        let! shape, dim, data = genShapeDimData symmetric
        let! count = Gen.choose (1, 6)
        let! index = Gen.arrayOfLength count (Gen.choose (0, int shape.[dim] - 1))
        return shape, dim, data, index
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data, index) ->
        use scope = torch.NewDisposeScope()
        let outShape = Array.updateAt dim (int64 index.Length) shape
        let expected =
            Array.init (numel outShape) (fun q ->
                let at = unravel outShape q
                data.[ravel shape (Array.updateAt dim index.[at.[dim]] at)])
        let t = (tensorF64 shape data).index_select(int64 dim, tensorI64 [| int64 index.Length |] (Array.map int64 index))
        assertShape "index_select" outShape t
        assertAllClose "index_select" 0.0 0.0 expected (doubles t)

[<Property>]
let ``gather equals direct indexing`` () =
    gen {
        let! shape, dim, data = genShapeDimData symmetric
        let! indexShape = shape |> Array.map (fun s -> Gen.choose (1, int s) |> Gen.map int64) |> Gen.sequenceToArray
        let! k = Gen.choose (1, 5)
        let indexShape = Array.updateAt dim (int64 k) indexShape
        let! index = Gen.arrayOfLength (numel indexShape) (Gen.choose (0, int shape.[dim] - 1))
        return shape, dim, data, indexShape, index
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data, indexShape, index) ->
        use scope = torch.NewDisposeScope()
        let expected =
            Array.init index.Length (fun q -> data.[ravel shape (Array.updateAt dim index.[q] (unravel indexShape q))])
        let t = (tensorF64 shape data).gather(int64 dim, tensorI64 indexShape (Array.map int64 index))
        assertShape "gather" indexShape t
        assertAllClose "gather" 0.0 0.0 expected (doubles t)

/// An index for scatter: shape <= the target's, and along `dim` each line holds distinct positions (no writes
/// collide, so the result is well defined).
let private genScatterCase =
    gen {
        let! shape, dim, data = genShapeDimData symmetric
        let! indexShape = shape |> Array.map (fun s -> Gen.choose (1, int s) |> Gen.map int64) |> Gen.sequenceToArray
        let lines = numel indexShape / int indexShape.[dim]
        let! perms = Gen.arrayOfLength lines (Gen.shuffle [| 0 .. int shape.[dim] - 1 |])
        // Line l of the index (all positions with the same non-dim coordinates) takes a prefix of perms[l].
        let lineShape = Array.updateAt dim 1L indexShape
        let index =
            Array.init (numel indexShape) (fun q ->
                let at = unravel indexShape q
                perms.[ravel lineShape (Array.updateAt dim 0 at)].[at.[dim]])
        let! source = symmetric (numel indexShape)
        return shape, dim, data, indexShape, index, source
    }

[<Property>]
let ``scatter (tensor, value and in place) equals direct writes`` () =
    genScatterCase
    |> arb
    |> Prop.forAll
    <| fun (shape, dim, data, indexShape, index, source) ->
        use scope = torch.NewDisposeScope()
        let expected = Array.copy data
        let expectedValue = Array.copy data
        for q in 0 .. index.Length - 1 do
            let target = ravel shape (Array.updateAt dim index.[q] (unravel indexShape q))
            expected.[target] <- source.[q]
            expectedValue.[target] <- 7.5
        let x = tensorF64 shape data
        let idx = tensorI64 indexShape (Array.map int64 index)
        let src = tensorF64 indexShape source
        assertAllClose "scatter" 0.0 0.0 expected (doubles (x.scatter(int64 dim, idx, src)))
        assertAllClose "scatter leaves its input alone" 0.0 0.0 data (doubles x)
        assertAllClose "scatter value" 0.0 0.0 expectedValue (doubles (x.scatter(int64 dim, idx, torch.full(indexShape, (7.5).ToScalar(), ScalarType.Float64))))
        let returned = x.scatter_(int64 dim, idx, src)
        assertAllClose "scatter_ (the tensor itself)" 0.0 0.0 expected (doubles x)
        assertAllClose "scatter_ (the returned reference)" 0.0 0.0 expected (doubles returned)

[<Property>]
let ``masked_select, masked_fill and where equal direct element-wise choices`` () =
    gen {
        let! shape = genShape 0 3 4
        let! data = symmetric (numel shape)
        let! other = symmetric (numel shape)
        let! mask = Gen.arrayOfLength (numel shape) (Gen.elements [ true; false ])
        return shape, data, other, mask
    }
    |> arb
    |> Prop.forAll
    <| fun (shape, data, other, mask) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 shape data
        let m = tensorBool shape mask
        let selected = Array.zip data mask |> Array.filter snd |> Array.map fst
        assertAllClose "masked_select" 0.0 0.0 selected (doubles (x.masked_select m))
        assertAllClose "masked_fill" 0.0 0.0 (Array.map2 (fun v b -> if b then -9.0 else v) data mask) (doubles (x.masked_fill(m, (-9.0).ToScalar())))
        let chosen = Array.map3 (fun b v o -> if b then v else o) mask data other
        assertAllClose "where" 0.0 0.0 chosen (doubles (torch.where(m, x, tensorF64 shape other)))

[<Property>]
let ``element-wise functions equal System.Math`` () =
    genShapeDimData (genValues 0.1 3.0)
    |> arb
    |> Prop.forAll
    <| fun (shape, _, data) ->
        use scope = torch.NewDisposeScope()
        let x = tensorF64 shape data
        let check name (f: float -> float) (t: Tensor) = assertAllClose name 1e-14 1e-15 (Array.map f data) (doubles t)
        check "exp" Math.Exp (x.exp())
        check "log" Math.Log (x.log())
        check "sqrt" Math.Sqrt (x.sqrt())
        check "sin" Math.Sin (x.sin())
        check "cos" Math.Cos (x.cos())
        check "tanh" Math.Tanh (x.tanh())
        check "sigmoid" (fun v -> 1.0 / (1.0 + Math.Exp -v)) (x.sigmoid())
        check "pow 2.5" (fun v -> Math.Pow(v, 2.5)) (x.pow((2.5).ToScalar()))
        check "1 - x" (fun v -> 1.0 - v) (1.0 - x)
        check "2 / x" (fun v -> 2.0 / v) (2.0 / x)
        check "floor" Math.Floor (x.floor())
        check "round of 2x (half to even)" (fun v -> Math.Round(2.0 * v, MidpointRounding.ToEven)) ((x * 2.0).round())
