/// Autograd against central finite differences (float64, h = 1e-6) on generated shapes and values, for every
/// differentiable TorchSharp op the library relies on. Objective: (op(inputs) * w).sum() with fixed random weights w.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.GradientTests

open System
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Properties.TestSupport

/// One generated gradient check: the op (already bound to its generated parameters), its inputs, which of them
/// are differentiated, and the seed of the objective's weights.
type GradCase =
    { Label: string
      Inputs: GradInput[]
      Grad: Set<int>
      Op: Tensor[] -> Tensor
      Seed: int }
    override c.ToString() =
        sprintf "%s on %s" c.Label (c.Inputs |> Array.map (fun i -> sprintf "%A" i.Shape) |> String.concat ", ")

let private seedGen = Gen.choose (0, Int32.MaxValue)

let private case label (inputs: GradInput[]) op =
    seedGen
    |> Gen.map (fun s ->
        { Label = label
          Inputs = inputs
          Grad = Set.ofSeq (seq { 0 .. inputs.Length - 1 })
          Op = op
          Seed = s })

let private check (g: Gen<GradCase>) =
    Prop.forAll (arb g) (fun c -> gradCheckSome c.Label c.Grad c.Op c.Inputs c.Seed)

let private i64s (xs: int list) = xs |> List.map int64 |> Array.ofList

let private symmetric n = genValues -2.0 2.0 n
let private positive n = genValues 0.2 3.0 n

/// op applied to one input of a generated shape (rank 0..3, sizes 1..4).
let private unary label values (f: Tensor -> Tensor) =
    gen {
        let! shape = genShape 0 3 4
        let! x = genInput values shape
        return! case label [| x |] (fun xs -> f xs.[0])
    }

/// Two shapes that broadcast against each other: some dims of one side set to 1, leading dims dropped.
let private genBroadcastPair =
    gen {
        let! shape = genShape 1 3 4
        let! ones = Gen.arrayOfLength shape.Length (Gen.elements [ true; false ])
        let small = Array.map2 (fun s one -> if one then 1L else s) shape ones
        let! drop = Gen.choose (0, small.Length)
        let small = small.[drop..]
        let! swap = Gen.elements [ true; false ]
        return if swap then (small, shape) else (shape, small)
    }

let private binary label valuesA valuesB (f: Tensor -> Tensor -> Tensor) =
    gen {
        let! sa, sb = genBroadcastPair
        let! a = genInput valuesA sa
        let! b = genInput valuesB sb
        return! case label [| a; b |] (fun xs -> f xs.[0] xs.[1])
    }

let private withScalar label values (f: Tensor -> float -> Tensor) =
    gen {
        let! c = genAwayFromZero 0.3 2.0 1
        let! shape = genShape 0 3 4
        let! x = genInput values shape
        return! case (sprintf "%s (scalar %g)" label c.[0]) [| x |] (fun xs -> f xs.[0] c.[0])
    }

// ---------------------------------------------------------------- arithmetic

[<Property(MaxTest = 40)>]
let ``add tensor+tensor (broadcasting) gradient matches finite differences`` () =
    check (binary "a + b" symmetric symmetric (fun a b -> a + b))

[<Property(MaxTest = 40)>]
let ``sub tensor-tensor (broadcasting) gradient matches finite differences`` () =
    check (binary "a - b" symmetric symmetric (fun a b -> a - b))

[<Property(MaxTest = 40)>]
let ``mul tensor*tensor (broadcasting) gradient matches finite differences`` () =
    check (binary "a * b" symmetric symmetric (fun a b -> a * b))

[<Property(MaxTest = 40)>]
let ``div tensor/tensor (broadcasting) gradient matches finite differences`` () =
    check (binary "a / b" symmetric (genAwayFromZero 0.5 2.0) (fun a b -> a / b))

[<Property(MaxTest = 40)>]
let ``add and sub with a scalar (both sides) gradient matches finite differences`` () =
    check (withScalar "x + c, c + x, x - c, c - x" symmetric (fun x c -> (x + c) * (c + x) - (x - c) * (c - x) * x))

[<Property(MaxTest = 40)>]
let ``mul and div with a scalar (both sides) gradient matches finite differences`` () =
    check (withScalar "x * c, c * x, x / c, c / x" (genAwayFromZero 0.5 2.0) (fun x c -> (x * c) * (c * x) + x / c + c / x))

[<Property(MaxTest = 40)>]
let ``negation gradient matches finite differences`` () =
    check (unary "-x" symmetric (fun x -> -x * x.exp()))

[<Property(MaxTest = 40)>]
let ``pow with a scalar exponent gradient matches finite differences`` () =
    gen {
        let! p = Gen.elements [ -1.5; -1.0; 0.5; 2.0; 2.5; 3.0 ]
        let! shape = genShape 0 3 4
        let! x = genInput positive shape
        return! case (sprintf "x ** %g" p) [| x |] (fun xs -> xs.[0].pow(p.ToScalar()))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``pow with a tensor exponent gradient matches finite differences (base and exponent)`` () =
    check (binary "a ** b" positive symmetric (fun a b -> a.pow(b)))

// ---------------------------------------------------------------- element-wise functions

[<Property(MaxTest = 40)>]
let ``exp gradient matches finite differences`` () = check (unary "exp" symmetric (fun x -> x.exp()))

[<Property(MaxTest = 40)>]
let ``log gradient matches finite differences (positive inputs)`` () = check (unary "log" positive (fun x -> x.log()))

[<Property(MaxTest = 40)>]
let ``sqrt gradient matches finite differences (positive inputs)`` () = check (unary "sqrt" positive (fun x -> x.sqrt()))

[<Property(MaxTest = 40)>]
let ``abs gradient matches finite differences (away from the kink)`` () =
    check (unary "abs" (genAwayFromZero 1e-3 2.0) (fun x -> x.abs()))

[<Property(MaxTest = 40)>]
let ``relu gradient matches finite differences (away from the kink)`` () =
    check (unary "relu" (genAwayFromZero 1e-3 2.0) (fun x -> x.relu()))

[<Property(MaxTest = 40)>]
let ``sigmoid gradient matches finite differences`` () = check (unary "sigmoid" symmetric (fun x -> x.sigmoid()))

[<Property(MaxTest = 40)>]
let ``tanh gradient matches finite differences`` () = check (unary "tanh" symmetric (fun x -> x.tanh()))

[<Property(MaxTest = 40)>]
let ``sin gradient matches finite differences`` () = check (unary "sin" symmetric (fun x -> x.sin()))

[<Property(MaxTest = 40)>]
let ``cos gradient matches finite differences`` () = check (unary "cos" symmetric (fun x -> x.cos()))

[<Property(MaxTest = 40)>]
let ``square gradient matches finite differences`` () = check (unary "square" symmetric (fun x -> x.square()))

[<Property(MaxTest = 30)>]
let ``reciprocal, rsqrt and log1p gradients match finite differences`` () =
    check (unary "1/x + rsqrt(x) + log1p(x)" positive (fun x -> x.reciprocal() + x.rsqrt() + x.log1p()))

[<Property(MaxTest = 30)>]
let ``clamp gradient matches finite differences (away from the bounds)`` () =
    // Values at least 0.045 from the bounds -0.5 and 0.5 (distinct values are 0.09 apart; bounds sit between).
    gen {
        let! shape = genShape 1 3 4
        let! x = genInput (fun n -> genDistinct n |> Gen.map (Array.map (fun v -> v + 0.045))) shape
        return! case "clamp(-0.5, 0.5)" [| x |] (fun xs -> xs.[0].clamp((-0.5).ToScalar(), (0.5).ToScalar()))
    }
    |> check

[<Property(MaxTest = 30)>]
let ``maximum and minimum gradients match finite differences (no ties)`` () =
    gen {
        let! shape = genShape 1 3 4
        let n = numel shape
        let! all = genDistinct (2 * n)
        let a = { Shape = shape; Data = all.[.. n - 1] }
        let b = { Shape = shape; Data = all.[n ..] }
        return! case "maximum(a, b) + 2 minimum(a, b)" [| a; b |] (fun xs -> xs.[0].maximum(xs.[1]) + 2.0 * xs.[0].minimum(xs.[1]))
    }
    |> check

// ---------------------------------------------------------------- reductions

/// A single-dim reduction `f t dim keepDim` applied over several dims: the highest dim first, so that the lower dim
/// numbers stay valid when keepDim is false. TorchSharp's prod and logsumexp reduce over one dim at a time, and a
/// reduction over several dims is the same as reducing over them one after the other (for both).
let private overDims (f: Tensor -> int64 -> bool -> Tensor) (x: Tensor) (dims: int64[]) (keepDim: bool) : Tensor =
    dims |> Array.sortDescending |> Array.fold (fun t d -> f t d keepDim) x

let private reduction label values minReduced (f: Tensor -> int64[] -> bool -> Tensor) =
    gen {
        let! shape = genShape 1 3 4
        let! dims = genDims shape.Length
        let! keep = Gen.elements [ true; false ]
        let reduced = dims |> List.fold (fun a d -> a * int shape.[d]) 1
        // Std/Var need at least two reduced elements: widen the first reduced dim when there are fewer.
        let shape =
            if reduced >= minReduced then shape
            else shape |> Array.mapi (fun d s -> if d = dims.Head then max s (int64 minReduced) else s)
        let! x = genInput values shape
        return! case (sprintf "%s dims %A keepDim %b" label dims keep) [| x |] (fun xs -> f xs.[0] (i64s dims) keep)
    }

[<Property(MaxTest = 40)>]
let ``sum over dims gradient matches finite differences`` () =
    check (reduction "sum" symmetric 1 (fun x d k -> x.sum(d, k)))

[<Property(MaxTest = 20)>]
let ``sum over everything and over one dim gradients match finite differences`` () =
    gen {
        let! shape = genShape 1 3 4
        let! dim = Gen.choose (-shape.Length, shape.Length - 1)
        let! x = genInput symmetric shape
        return! case (sprintf "sum() + sum(%d).sum()" dim) [| x |] (fun xs -> xs.[0].sum() + xs.[0].square().sum(int64 dim).sum())
    }
    |> check

[<Property(MaxTest = 40)>]
let ``mean over dims gradient matches finite differences`` () =
    check (reduction "mean" symmetric 1 (fun x d k -> x.mean(d, k)))

[<Property(MaxTest = 40)>]
let ``std over dims gradient matches finite differences`` () =
    gen {
        let! unbiased = Gen.elements [ true; false ]
        return! reduction (sprintf "std unbiased=%b" unbiased) genDistinct 2 (fun x d k -> x.std(d, unbiased, k))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``var over dims gradient matches finite differences`` () =
    gen {
        let! unbiased = Gen.elements [ true; false ]
        return! reduction (sprintf "var unbiased=%b" unbiased) symmetric 2 (fun x d k -> x.var(d, unbiased, k))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``norm over dims gradient matches finite differences`` () =
    gen {
        let! p = Gen.elements [ 1.0; 2.0; 3.0 ]
        return! reduction (sprintf "norm p=%g" p) (genAwayFromZero 0.1 2.0) 1 (fun x d k -> torch.linalg.vector_norm(x, p, d, k))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``amax over dims gradient matches finite differences (distinct values)`` () =
    check (reduction "amax" genDistinct 1 (fun x d k -> x.amax(d, k)))

[<Property(MaxTest = 30)>]
let ``logsumexp over dims gradient matches finite differences`` () =
    check (reduction "logsumexp" symmetric 1 (fun x d k -> overDims (fun t dim keep -> t.logsumexp(dim, keep)) x d k))

[<Property(MaxTest = 30)>]
let ``prod over dims gradient matches finite differences (non-zero values)`` () =
    check (reduction "prod" (genAwayFromZero 0.5 1.5) 1 (fun x d k -> overDims (fun t dim keep -> t.prod(dim, keep)) x d k))

[<Property(MaxTest = 40)>]
let ``cumsum gradient matches finite differences`` () =
    gen {
        let! shape = genShape 1 3 4
        let! dim = Gen.choose (0, shape.Length - 1)
        let! x = genInput symmetric shape
        return! case (sprintf "cumsum dim %d" dim) [| x |] (fun xs -> xs.[0].cumsum(int64 dim))
    }
    |> check

// ---------------------------------------------------------------- linear algebra

[<Property(MaxTest = 40)>]
let ``matmul gradient matches finite differences (vector, matrix, batched, broadcast)`` () =
    gen {
        let! n = genDim 4
        let! m = genDim 4
        let! p = genDim 4
        let! b = genDim 3
        let! shapes =
            Gen.elements
                [ [| m |], [| m |]
                  [| n; m |], [| m; p |]
                  [| n; m |], [| m |]
                  [| m |], [| m; p |]
                  [| b; n; m |], [| b; m; p |]
                  [| b; n; m |], [| m; p |]
                  [| 2L; 1L; n; m |], [| b; m; p |] ]
        let! x = genInput symmetric (fst shapes)
        let! y = genInput symmetric (snd shapes)
        return! case "matmul" [| x; y |] (fun xs -> xs.[0].matmul(xs.[1]))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``bmm gradient matches finite differences`` () =
    gen {
        let! b = genDim 3
        let! n = genDim 4
        let! m = genDim 4
        let! p = genDim 4
        let! x = genInput symmetric [| b; n; m |]
        let! y = genInput symmetric [| b; m; p |]
        return! case "bmm" [| x; y |] (fun xs -> xs.[0].bmm(xs.[1]))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``outer gradient matches finite differences`` () =
    gen {
        let! n = genDim 5
        let! m = genDim 5
        let! x = genInput symmetric [| n |]
        let! y = genInput symmetric [| m |]
        return! case "outer" [| x; y |] (fun xs -> xs.[0].outer(xs.[1]))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``linear gradient matches finite differences (with and without bias)`` () =
    gen {
        let! inF = genDim 4
        let! outF = genDim 4
        let! lead = genShape 1 2 3
        let! withBias = Gen.elements [ true; false ]
        let! x = genInput symmetric (Array.append lead [| inF |])
        let! w = genInput symmetric [| outF; inF |]
        let! b = genInput symmetric [| outF |]
        let inputs = if withBias then [| x; w; b |] else [| x; w |]
        return!
            case (sprintf "linear bias=%b" withBias) inputs (fun xs ->
                torch.nn.functional.linear(xs.[0], xs.[1], optionalAt xs 2))
    }
    |> check

// ---------------------------------------------------------------- shape ops

[<Property(MaxTest = 40)>]
let ``transpose gradient matches finite differences`` () =
    gen {
        let! shape = genShape 2 4 4
        let! d0 = Gen.choose (0, shape.Length - 1)
        let! d1 = Gen.choose (0, shape.Length - 1)
        let! x = genInput symmetric shape
        return! case (sprintf "transpose %d %d" d0 d1) [| x |] (fun xs -> xs.[0].transpose(int64 d0, int64 d1))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``permute then reshape gradient matches finite differences`` () =
    gen {
        let! shape = genShape 1 4 3
        let! perm = Gen.shuffle [| 0 .. shape.Length - 1 |]
        let! target = Gen.shuffle shape
        let! flat = Gen.elements [ true; false ]
        let target = if flat then [| -1L |] else target
        let! x = genInput symmetric shape
        return!
            case (sprintf "permute %A reshape %A" perm target) [| x |] (fun xs ->
                xs.[0].permute(perm |> Array.map int64).reshape(target))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``expand gradient matches finite differences`` () =
    gen {
        let! shape = genShape 1 3 3
        let! ones = Gen.arrayOfLength shape.Length (Gen.elements [ true; false ])
        let small = Array.map2 (fun s one -> if one then 1L else s) shape ones
        let! lead = genShape 0 1 3
        let target = Array.append lead shape
        let! x = genInput symmetric small
        return! case (sprintf "expand %A -> %A" small target) [| x |] (fun xs -> xs.[0].expand(target))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``cat gradient matches finite differences`` () =
    gen {
        let! shape = genShape 1 3 3
        let! dim = Gen.choose (0, shape.Length - 1)
        let! k = Gen.choose (1, 3)
        let! sizes = Gen.arrayOfLength k (genDim 3)
        let! inputs =
            sizes
            |> Array.map (fun s -> genInput symmetric (Array.updateAt dim s shape))
            |> Gen.sequenceToArray
        return! case (sprintf "cat dim %d" dim) inputs (fun xs -> torch.cat(xs, int64 dim))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``stack gradient matches finite differences`` () =
    gen {
        let! shape = genShape 0 3 3
        let! dim = Gen.choose (0, shape.Length)
        let! k = Gen.choose (1, 3)
        let! inputs = Gen.arrayOfLength k (genInput symmetric shape)
        return! case (sprintf "stack dim %d" dim) inputs (fun xs -> torch.stack(xs, int64 dim))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``narrow and slice gradients match finite differences`` () =
    gen {
        let! shape = genShape 1 3 5
        let! dim = Gen.choose (0, shape.Length - 1)
        let size = int shape.[dim]
        let! start = Gen.choose (0, size - 1)
        let! length = Gen.choose (1, size - start)
        let! sliceStart = Gen.choose (0, size - 1)
        let! sliceEnd = Gen.choose (sliceStart + 1, size + 2)
        let! step = Gen.choose (1, 3)
        let! x = genInput symmetric shape
        return!
            case (sprintf "narrow(%d, %d, %d) and slice(%d, %d:%d:%d)" dim start length dim sliceStart sliceEnd step) [| x |] (fun xs ->
                let a = xs.[0].narrow(int64 dim, int64 start, int64 length)
                let b = xs.[0].slice(int64 dim, int64 sliceStart, int64 sliceEnd, int64 step)
                torch.cat([| a.flatten(); b.square().flatten() |], 0L))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``index_select gradient matches finite differences (repeated indices accumulate)`` () =
    gen {
        let! shape = genShape 1 3 4
        let! dim = Gen.choose (0, shape.Length - 1)
        let! count = Gen.choose (1, 6)
        let! index = Gen.arrayOfLength count (Gen.choose (0, int shape.[dim] - 1))
        let! x = genInput symmetric shape
        return!
            case (sprintf "index_select dim %d %A" dim index) [| x |] (fun xs ->
                xs.[0].index_select(int64 dim, tensorI64 [| int64 count |] (index |> Array.map int64)))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``gather gradient matches finite differences`` () =
    gen {
        let! shape = genShape 1 3 4
        let! dim = Gen.choose (0, shape.Length - 1)
        let! k = genDim 4
        let indexShape = Array.updateAt dim k shape
        let! index = Gen.arrayOfLength (numel indexShape) (Gen.choose (0, int shape.[dim] - 1))
        let! x = genInput symmetric shape
        return!
            case (sprintf "gather dim %d" dim) [| x |] (fun xs ->
                xs.[0].gather(int64 dim, tensorI64 indexShape (index |> Array.map int64)))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``where gradient matches finite differences (both branches)`` () =
    gen {
        let! shape = genShape 0 3 4
        let! cond = Gen.arrayOfLength (numel shape) (Gen.elements [ true; false ])
        let! a = genInput symmetric shape
        let! b = genInput symmetric shape
        return! case "where" [| a; b |] (fun xs -> torch.where(tensorBool shape cond, xs.[0], xs.[1]))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``masked_fill gradient matches finite differences`` () =
    gen {
        let! shape = genShape 0 3 4
        let! mask = Gen.arrayOfLength (numel shape) (Gen.elements [ true; false ])
        let! value = genValue -3.0 3.0
        let! x = genInput symmetric shape
        return! case (sprintf "masked_fill %g" value) [| x |] (fun xs -> xs.[0].masked_fill(tensorBool shape mask, value) * xs.[0])
    }
    |> check

// ---------------------------------------------------------------- convolution, pooling, normalisation

[<Property(MaxTest = 30)>]
let ``conv2d gradient matches finite differences (stride, padding, dilation, groups generated)`` () =
    gen {
        let! groups = Gen.choose (1, 2)
        let! cinPer = Gen.choose (1, 2)
        let! coutPer = Gen.choose (1, 2)
        let! n = Gen.choose (1, 2)
        let! kh = Gen.choose (1, 3)
        let! kw = Gen.choose (1, 3)
        let! sh = Gen.choose (1, 2)
        let! sw = Gen.choose (1, 2)
        let! ph = Gen.choose (0, 2)
        let! pw = Gen.choose (0, 2)
        let! dh = Gen.choose (1, 2)
        let! dw = Gen.choose (1, 2)
        let minH = max 1 (dh * (kh - 1) + 1 - 2 * ph)
        let minW = max 1 (dw * (kw - 1) + 1 - 2 * pw)
        let! h = Gen.choose (minH, minH + 3)
        let! w = Gen.choose (minW, minW + 3)
        let! withBias = Gen.elements [ true; false ]
        let cin, cout = groups * cinPer, groups * coutPer
        let! x = genInput symmetric (i64s [ n; cin; h; w ])
        let! weight = genInput symmetric (i64s [ cout; cinPer; kh; kw ])
        let! bias = genInput symmetric (i64s [ cout ])
        let inputs = if withBias then [| x; weight; bias |] else [| x; weight |]
        let label =
            sprintf "conv2d stride (%d,%d) padding (%d,%d) dilation (%d,%d) groups %d bias %b" sh sw ph pw dh dw groups withBias
        return!
            case label inputs (fun xs ->
                torch.nn.functional.conv2d(
                    xs.[0], xs.[1], optionalAt xs 2, strides = i64s [ sh; sw ], padding = i64s [ ph; pw ], dilation = i64s [ dh; dw ], groups = int64 groups
                ))
    }
    |> check

[<Property(MaxTest = 20)>]
let ``conv2d with square kernel, stride and padding gradient matches finite differences`` () =
    gen {
        let! k = Gen.choose (1, 3)
        let! s = Gen.choose (1, 2)
        let! p = Gen.choose (0, 1)
        let! h = Gen.choose (max 1 (k - 2 * p), 5)
        let! x = genInput symmetric (i64s [ 1; 2; h; h ])
        let! weight = genInput symmetric (i64s [ 3; 2; k; k ])
        let! bias = genInput symmetric [| 3L |]
        return!
            case (sprintf "conv2d k %d stride %d padding %d" k s p) [| x; weight; bias |] (fun xs ->
                torch.nn.functional.conv2d(xs.[0], xs.[1], xs.[2], strides = i64s [ s; s ], padding = i64s [ p; p ]))
    }
    |> check

[<Property(MaxTest = 30)>]
let ``max_pool2d gradient matches finite differences (distinct values)`` () =
    gen {
        let! k = Gen.choose (1, 3)
        let! s = Gen.choose (1, 3)
        let! d = Gen.choose (1, 2)
        // With dilation a padded window can miss every real element (its max is -inf): dilate only unpadded.
        let! p = if d = 1 then Gen.choose (0, k / 2) else Gen.constant 0
        let! ceil = Gen.elements [ true; false ]
        let minSize = max 1 (d * (k - 1) + 1 - 2 * p)
        let! h = Gen.choose (minSize, minSize + 3)
        let! w = Gen.choose (minSize, minSize + 3)
        let! n = Gen.choose (1, 2)
        let! c = Gen.choose (1, 2)
        let! x = genInput genDistinct (i64s [ n; c; h; w ])
        return!
            case (sprintf "max_pool2d k %d stride %d padding %d dilation %d ceil %b" k s p d ceil) [| x |] (fun xs ->
                torch.nn.functional.max_pool2d(xs.[0], int64 k, stride = int64 s, padding = int64 p, dilation = int64 d, ceil_mode = ceil))
    }
    |> check

[<Property(MaxTest = 30)>]
let ``avg_pool2d gradient matches finite differences`` () =
    gen {
        let! k = Gen.choose (1, 3)
        let! s = Gen.choose (1, 3)
        let! p = Gen.choose (0, k / 2)
        let! ceil = Gen.elements [ true; false ]
        let! includePad = Gen.elements [ true; false ]
        let minSize = max 1 (k - 2 * p)
        let! h = Gen.choose (minSize, minSize + 3)
        let! w = Gen.choose (minSize, minSize + 3)
        let! x = genInput symmetric (i64s [ 2; 2; h; w ])
        return!
            case (sprintf "avg_pool2d k %d stride %d padding %d ceil %b countIncludePad %b" k s p ceil includePad) [| x |] (fun xs ->
                torch.nn.functional.avg_pool2d(xs.[0], int64 k, stride = int64 s, padding = int64 p, ceil_mode = ceil, count_include_pad = includePad))
    }
    |> check

[<Property(MaxTest = 30)>]
let ``adaptive_avg_pool2d gradient matches finite differences`` () =
    gen {
        let! h = Gen.choose (1, 6)
        let! w = Gen.choose (1, 6)
        let! oh = Gen.choose (1, h + 1)
        let! ow = Gen.choose (1, w + 1)
        let! x = genInput symmetric (i64s [ 1; 2; h; w ])
        return!
            case (sprintf "adaptive_avg_pool2d to (%d, %d)" oh ow) [| x |] (fun xs ->
                torch.nn.functional.adaptive_avg_pool2d(xs.[0], [| int64 oh; int64 ow |]))
    }
    |> check

[<Property(MaxTest = 30)>]
let ``batch_norm (training, batch statistics) gradient matches finite differences`` () =
    gen {
        let! c = Gen.choose (1, 3)
        let! spatial = Gen.elements [ true; false ]
        let! n = Gen.choose ((if spatial then 1 else 3), 4)
        let! hw = Gen.choose (2, 3)
        let shape = if spatial then i64s [ n; c; hw; hw ] else i64s [ n; c ]
        let! x = genInput genDistinct shape
        let! weight = genInput symmetric [| int64 c |]
        let! bias = genInput symmetric [| int64 c |]
        return!
            case (sprintf "batch_norm training shape %A" shape) [| x; weight; bias |] (fun xs ->
                torch.nn.functional.batch_norm(xs.[0], null, null, xs.[1], xs.[2], training = true))
    }
    |> check

// ---------------------------------------------------------------- softmax and losses

[<Property(MaxTest = 40)>]
let ``softmax gradient matches finite differences`` () =
    gen {
        let! shape = genShape 1 3 4
        let! dim = Gen.choose (-shape.Length, shape.Length - 1)
        let! x = genInput symmetric shape
        return! case (sprintf "softmax dim %d" dim) [| x |] (fun xs -> torch.nn.functional.softmax(xs.[0], int64 dim))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``log_softmax gradient matches finite differences`` () =
    gen {
        let! shape = genShape 1 3 4
        let! dim = Gen.choose (-shape.Length, shape.Length - 1)
        let! x = genInput symmetric shape
        return! case (sprintf "log_softmax dim %d" dim) [| x |] (fun xs -> torch.nn.functional.log_softmax(xs.[0], int64 dim))
    }
    |> check

let private genReduction = Gen.elements [ torch.nn.Reduction.None; torch.nn.Reduction.Mean; torch.nn.Reduction.Sum ]

[<Property(MaxTest = 40)>]
let ``cross_entropy gradient matches finite differences (weights, reduction, label smoothing)`` () =
    gen {
        let! n = genDim 4
        let! c = Gen.choose (2, 5)
        let! target = Gen.arrayOfLength (int n) (Gen.choose (0, c - 1))
        let! reduction = genReduction
        let! smoothing = Gen.elements [ 0.0; 0.1 ]
        let! classWeights = Gen.optionOf (genValues 0.5 2.0 c)
        let! logits = genInput symmetric [| n; int64 c |]
        let label = sprintf "cross_entropy %A smoothing %g weights %b" reduction smoothing classWeights.IsSome
        return!
            case label [| logits |] (fun xs ->
                let weight = classWeights |> Option.map (tensorF64 [| int64 c |]) |> Option.toObj
                torch.nn.functional.cross_entropy(
                    xs.[0], tensorI64 [| n |] (target |> Array.map int64), weight, reduction = reduction, label_smoothing = smoothing
                ))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``nll_loss gradient matches finite differences`` () =
    gen {
        let! n = genDim 4
        let! c = Gen.choose (2, 5)
        let! target = Gen.arrayOfLength (int n) (Gen.choose (0, c - 1))
        let! reduction = genReduction
        let! classWeights = Gen.optionOf (genValues 0.5 2.0 c)
        let! logp = genInput (genValues -3.0 0.0) [| n; int64 c |]
        return!
            case (sprintf "nll_loss %A weights %b" reduction classWeights.IsSome) [| logp |] (fun xs ->
                let weight = classWeights |> Option.map (tensorF64 [| int64 c |]) |> Option.toObj
                torch.nn.functional.nll_loss(xs.[0], tensorI64 [| n |] (target |> Array.map int64), weight, reduction = reduction))
    }
    |> check

[<Property(MaxTest = 40)>]
let ``mse_loss gradient matches finite differences (input and target)`` () =
    gen {
        let! shape = genShape 1 3 4
        let! reduction = genReduction
        let! x = genInput symmetric shape
        let! y = genInput symmetric shape
        return! case (sprintf "mse_loss %A" reduction) [| x; y |] (fun xs -> torch.nn.functional.mse_loss(xs.[0], xs.[1], reduction = reduction))
    }
    |> check
