/// Shared helpers: tensor construction from .NET data, generators for small shapes and values, tolerant
/// comparisons, row-major index arithmetic for the F# oracles, and the finite-difference gradient checker.
/// Tensors are TorchSharp's (`torch.Tensor`); TorchSharp itself is loaded by the SetUpFixture in TestSetup.fs.
module Symmetry.Properties.TestSupport

open System
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open TorchSharp

// `open type TorchSharp.torch` is avoided on purpose: it brings torch.int64, torch.float, torch.int, ... into scope
// as ScalarType values and so shadows F#'s conversion functions (int64 x, float x) and more.

/// TorchSharp's tensor (short name for the tests).
type Tensor = torch.Tensor

/// TorchSharp's element types (short name for the tests).
type ScalarType = torch.ScalarType

// ---------------------------------------------------------------- tensors <-> .NET

/// A tensor of `dtype` holding a copy of `data` in row-major order with `shape` (a mismatch between the two is
/// an ArgumentException, checked here: TorchSharp would read past the array).
let private fromArray (dtype: ScalarType) (shape: int64[]) (data: 'T[]) (create: 'T[] -> int64[] -> Tensor) : Tensor =
    let n = shape |> Array.fold (fun a s -> a * s) 1L
    if int64 data.Length <> n then
        raise (ArgumentException(sprintf "%d %A values do not fill shape %A (%d elements)" data.Length dtype shape n))
    Symmetry.Torch.TorchRuntime.Ensure()
    let t = create data shape
    if t.dtype <> dtype then failwithf "expected a %A tensor, TorchSharp made %A" dtype t.dtype
    t

/// A float64 tensor holding `data` in row-major order with `shape`.
let tensorF64 (shape: int64[]) (data: float[]) : Tensor =
    fromArray ScalarType.Float64 shape data (fun d s -> torch.tensor(d, ReadOnlySpan<int64>(s), dtype = ScalarType.Float64))

/// A float32 tensor holding `data` in row-major order with `shape`.
let tensorF32 (shape: int64[]) (data: float32[]) : Tensor =
    fromArray ScalarType.Float32 shape data (fun d s -> torch.tensor(d, ReadOnlySpan<int64>(s), dtype = ScalarType.Float32))

/// An int64 tensor holding `data` with `shape`.
let tensorI64 (shape: int64[]) (data: int64[]) : Tensor =
    fromArray ScalarType.Int64 shape data (fun d s -> torch.tensor(d, ReadOnlySpan<int64>(s), dtype = ScalarType.Int64))

/// A bool tensor holding `data` with `shape`.
let tensorBool (shape: int64[]) (data: bool[]) : Tensor =
    fromArray ScalarType.Bool shape data (fun d s -> torch.tensor(d, ReadOnlySpan<int64>(s), dtype = ScalarType.Bool))

/// `xs.[i]` when there is one, else null (an optional tensor argument left out).
let optionalAt (xs: Tensor[]) (i: int) : Tensor | null = if i < xs.Length then xs.[i] else null

/// The elements of a CPU tensor of element type 'T, row-major in its logical order (any layout). Read as it is:
/// a dtype mismatch is an ArgumentException from TorchSharp, not a conversion.
let elements<'T when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T)> (t: Tensor) : 'T[] =
    use accessor = t.data<'T>() // checks the element type
    // TorchSharp 0.107.0's ToArray throws ArgumentOutOfRangeException on a tensor with no elements.
    if accessor.Count = 0L then [||] else accessor.ToArray()

/// The elements of a float64 tensor (read as it is: a dtype mismatch is an error, not a conversion).
let doubles (t: Tensor) : float[] = elements<float> t

/// The elements of a float32 tensor.
let singles (t: Tensor) : float32[] = elements<float32> t

/// The elements of an int64 tensor.
let longs (t: Tensor) : int64[] = elements<int64> t

/// The elements of a bool tensor.
let bools (t: Tensor) : bool[] = elements<bool> t

/// Number of elements of a shape (1 for rank 0).
let numel (shape: int64[]) : int = shape |> Array.fold (fun a s -> a * int s) 1

// ---------------------------------------------------------------- comparisons

/// |a - b| <= atol + rtol * max(|a|, |b|), with NaN only equal to NaN.
let close (rtol: float) (atol: float) (a: float) (b: float) =
    (Double.IsNaN a && Double.IsNaN b)
    || a = b
    || abs (a - b) <= atol + rtol * max (abs a) (abs b)

/// Fails with the first mismatching position when two arrays differ beyond the tolerance.
let assertAllClose (what: string) (rtol: float) (atol: float) (expected: float[]) (actual: float[]) =
    if expected.Length <> actual.Length then
        Assert.Fail(sprintf "%s: expected %d elements, got %d" what expected.Length actual.Length)
    for i in 0 .. expected.Length - 1 do
        if not (close rtol atol expected.[i] actual.[i]) then
            Assert.Fail(
                sprintf "%s: element %d differs: expected %.17g, got %.17g (|diff| = %.3g)\nexpected %A\nactual   %A"
                    what i expected.[i] actual.[i] (abs (expected.[i] - actual.[i])) expected actual)

/// Fails unless two arrays are equal element by element.
let assertArrayEqual<'T when 'T: equality> (what: string) (expected: 'T[]) (actual: 'T[]) =
    if expected <> actual then
        Assert.Fail(sprintf "%s:\nexpected %A\nactual   %A" what expected actual)

/// TorchSharp's live-tensor count after collecting garbage and running pending finalizers: the baseline of a leak
/// check, so that wrappers left to the finalizer by earlier tests cannot move the count during the checked block.
let liveTensorsSettled () =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()
    Symmetry.Torch.TorchRuntime.LiveTensors

/// True when two states have the same names, in the same order, and bit-identical tensors (shape, dtype, values).
let identicalStates (a: Symmetry.Torch.NamedTensors) (b: Symmetry.Torch.NamedTensors) =
    use scope = torch.NewDisposeScope()
    Seq.toList a.Names = Seq.toList b.Names
    && a
       |> Seq.forall (fun kv ->
           let t = b.[kv.Key]
           t.shape = kv.Value.shape && t.dtype = kv.Value.dtype && kv.Value.eq(t).all().item<bool>())

/// Fails unless two shapes are equal.
let assertShape (what: string) (expected: int64[]) (t: Tensor) =
    let actual = t.shape
    if expected <> actual then
        Assert.Fail(sprintf "%s: expected shape %A, got %A" what expected actual)

/// Fails unless `text` contains `fragment`.
let contains (fragment: string) (text: string) =
    if not (text.Contains fragment) then Assert.Fail(sprintf "expected '%s' in: %s" fragment text)

/// Labels a boolean outcome of a property.
let (|@) (ok: bool) (label: string) = FsCheck.FSharp.Prop.label label ok

/// Runs `action` and returns the exception of type 'E it must raise (any other outcome fails the test, with the
/// message prefixed by `label` when it is not empty).
let throwsLabelled<'E when 'E :> exn> (label: string) (action: unit -> unit) : 'E =
    let outcome =
        try
            action ()
            Error "it returned normally"
        with
        | :? 'E as e -> Ok e
        | e -> Error(sprintf "it raised %s: %s" (e.GetType().Name) e.Message)
    match outcome with
    | Ok e -> e
    | Error what ->
        Assert.Fail(sprintf "%sexpected %s, but %s" (if label = "" then "" else label + ": ") typeof<'E>.Name what)
        failwith "unreachable"

/// Runs `action` and returns the exception of type 'E it must raise (any other outcome fails the test).
let throws<'E when 'E :> exn> (action: unit -> unit) : 'E = throwsLabelled<'E> "" action

// ---------------------------------------------------------------- row-major index arithmetic (oracles)

/// Strides of a contiguous row-major layout.
let strides (shape: int64[]) : int[] =
    let s = Array.create shape.Length 1
    for d in shape.Length - 2 .. -1 .. 0 do
        s.[d] <- s.[d + 1] * int shape.[d + 1]
    s

/// The multi-index of flat position `flat`.
let unravel (shape: int64[]) (flat: int) : int[] =
    let st = strides shape
    Array.init shape.Length (fun d -> (flat / st.[d]) % int shape.[d])

/// The flat position of a multi-index.
let ravel (shape: int64[]) (index: int[]) : int =
    let st = strides shape
    Array.fold2 (fun acc i s -> acc + i * s) 0 index st

/// Applies `f` to every 1-D line along `dim` of a row-major array; the result has `dim` removed (row-major).
let reduceAlong (shape: int64[]) (data: 'T[]) (dim: int) (f: 'T[] -> 'U) : 'U[] =
    let outer = shape.[.. dim - 1] |> Array.fold (fun a s -> a * int s) 1
    let size = int shape.[dim]
    let inner = shape.[dim + 1 ..] |> Array.fold (fun a s -> a * int s) 1
    [| for o in 0 .. outer - 1 do
         for i in 0 .. inner - 1 do
             f (Array.init size (fun k -> data.[(o * size + k) * inner + i])) |]

/// Maps every 1-D line along `dim` to a line of the same length (e.g. a running sum); the shape is unchanged.
let mapAlong (shape: int64[]) (data: 'T[]) (dim: int) (f: 'T[] -> 'U[]) : 'U[] =
    let outer = shape.[.. dim - 1] |> Array.fold (fun a s -> a * int s) 1
    let size = int shape.[dim]
    let inner = shape.[dim + 1 ..] |> Array.fold (fun a s -> a * int s) 1
    let result = Array.zeroCreate data.Length
    for o in 0 .. outer - 1 do
        for i in 0 .. inner - 1 do
            let line = f (Array.init size (fun k -> data.[(o * size + k) * inner + i]))
            for k in 0 .. size - 1 do
                result.[(o * size + k) * inner + i] <- line.[k]
    result

/// The shape with `dim` removed (or kept as 1).
let reducedShape (shape: int64[]) (dims: int list) (keepDim: bool) : int64[] =
    [| for d in 0 .. shape.Length - 1 do
         if not (List.contains d dims) then shape.[d]
         elif keepDim then 1L |]

// ---------------------------------------------------------------- generators

/// A size in 1..max.
let genDim (max: int) : Gen<int64> = Gen.choose (1, max) |> Gen.map int64

/// A shape of the given rank with sizes in 1..max.
let genShapeOfRank (rank: int) (max: int) : Gen<int64[]> = Gen.arrayOfLength rank (genDim max)

/// A shape of rank lo..hi with sizes in 1..max.
let genShape (lo: int) (hi: int) (max: int) : Gen<int64[]> =
    gen {
        let! rank = Gen.choose (lo, hi)
        return! genShapeOfRank rank max
    }

/// Uniform values in [lo, hi).
let genValue (lo: float) (hi: float) : Gen<float> =
    Gen.choose (0, Int32.MaxValue - 1) |> Gen.map (fun i -> lo + (hi - lo) * (float i / float Int32.MaxValue))

/// n values uniform in [lo, hi).
let genValues (lo: float) (hi: float) (n: int) : Gen<float[]> = Gen.arrayOfLength n (genValue lo hi)

/// n values with magnitude in [lo, hi) and a random sign (keeps away from zero, kinks and poles).
let genAwayFromZero (lo: float) (hi: float) (n: int) : Gen<float[]> =
    Gen.arrayOfLength n (Gen.zip (genValue lo hi) (Gen.elements [ -1.0; 1.0 ]) |> Gen.map (fun (m, s) -> m * s))

/// n pairwise distinct values, at least 0.09 apart, shuffled: no ties for max/sort/pool, even after ±1e-6.
let genDistinct (n: int) : Gen<float[]> =
    gen {
        let! order = Gen.shuffle [| 0 .. n - 1 |]
        let! jitter = genValues 0.0 0.01 n
        return Array.init n (fun i -> (float order.[i] - float n / 2.0) * 0.1 + jitter.[i])
    }

/// A non-empty subset of 0..rank-1, sorted.
let genDims (rank: int) : Gen<int list> =
    Gen.subListOf [ 0 .. rank - 1 ] |> Gen.filter (fun l -> not l.IsEmpty) |> Gen.map List.sort

/// A non-shrinking arbitrary from a generator (tensor cases are checked as generated).
let arb (g: Gen<'T>) : Arbitrary<'T> = Arb.fromGen g

// ---------------------------------------------------------------- gradient check

/// One differentiable input: its shape and float64 data.
type GradInput = { Shape: int64[]; Data: float[] }

/// Draws an input of the given shape with values from `values n`.
let genInput (values: int -> Gen<float[]>) (shape: int64[]) : Gen<GradInput> =
    values (numel shape) |> Gen.map (fun d -> { Shape = shape; Data = d })

/// Finite-difference step and tolerances of the gradient checks (float64).
let fdStep = 1e-6
let gradRtol = 1e-5
let gradAtol = 1e-5

/// Checks the analytic gradient of `op` against central finite differences. The scalar objective is
/// (op(inputs) * w).Sum() for fixed random weights w drawn from `weightSeed`, so every output element counts
/// with a different weight. Only inputs whose index is in `differentiable` are checked (others are constants).
let gradCheckSome (name: string) (differentiable: Set<int>) (op: Tensor[] -> Tensor) (inputs: GradInput[]) (weightSeed: int) =
    use scope = torch.NewDisposeScope()
    let leaves =
        inputs
        |> Array.mapi (fun i inp ->
            let t = tensorF64 inp.Shape inp.Data
            if differentiable.Contains i then t.requires_grad_() else t)
    let out = op leaves
    if out.dtype <> ScalarType.Float64 then Assert.Fail(sprintf "%s: output dtype %A, expected Float64" name out.dtype)
    let outShape = out.shape
    let rng = Random(weightSeed)
    let weights = tensorF64 outShape (Array.init (numel outShape) (fun _ -> rng.NextDouble() * 2.0 - 1.0))
    let objective = (out * weights).sum()
    objective.backward()
    let analytic =
        leaves
        |> Array.mapi (fun i leaf ->
            if differentiable.Contains i then
                // The getter makes a new wrapper on each read: it belongs to this scope.
                match leaf.grad with
                | null -> Some(Array.zeroCreate inputs.[i].Data.Length)
                | g ->
                    assertShape (sprintf "%s: gradient of input %d" name i) inputs.[i].Shape g
                    Some(doubles g)
            else None)
    let evaluate (datas: float[][]) =
        use inner = torch.NewDisposeScope()
        use _ = torch.no_grad()
        let xs = Array.map2 (fun (inp: GradInput) d -> tensorF64 inp.Shape d) inputs datas
        (op xs * weights).sum().ToDouble()
    let datas = inputs |> Array.map (fun inp -> Array.copy inp.Data)
    for i in 0 .. inputs.Length - 1 do
        match analytic.[i] with
        | None -> ()
        | Some grad ->
            for j in 0 .. datas.[i].Length - 1 do
                let x = datas.[i].[j]
                datas.[i].[j] <- x + fdStep
                let up = evaluate datas
                datas.[i].[j] <- x - fdStep
                let down = evaluate datas
                datas.[i].[j] <- x
                let numeric = (up - down) / (2.0 * fdStep)
                if not (close gradRtol gradAtol numeric grad.[j]) then
                    Assert.Fail(
                        sprintf "%s: d objective / d input%d[%d] (shape %A): finite difference %.10g, autograd %.10g\ninputs: %A"
                            name i j inputs.[i].Shape numeric grad.[j] (inputs |> Array.map (fun inp -> inp.Shape, inp.Data)))

/// Gradient check with respect to every input.
let gradCheck (name: string) (op: Tensor[] -> Tensor) (inputs: GradInput[]) (weightSeed: int) =
    gradCheckSome name (Set.ofSeq (seq { 0 .. inputs.Length - 1 })) op inputs weightSeed
