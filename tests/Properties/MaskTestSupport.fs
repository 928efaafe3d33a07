/// Shared helpers of the mask properties: small test models whose prunable layers the tests describe themselves
/// (units, fan-in, and how many fan-in positions one unit of the previous layer feeds), reading masks as arrays, and
/// the F# oracles — forward propagation, neuron counts and a brute-force count of pattern-preserving permutations —
/// computed from the mask arrays alone, never from the code under test.
module Symmetry.Properties.MaskTestSupport

open System
open System.Numerics
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Models
open Symmetry.Core.Masks

// ---------------------------------------------------------------- tensors

/// A float32 tensor holding `data` in row-major order with `shape` (a mask as the tests write it by hand).
let floatTensor (shape: int64[]) (data: float32[]) : torch.Tensor =
    TorchRuntime.Ensure()
    torch.tensor(data, ReadOnlySpan<int64>(shape))

/// A float32 matrix from its rows.
let matrix (rows: float32 list list) : torch.Tensor =
    let cols = match rows with [] -> 0 | r :: _ -> List.length r
    floatTensor [| int64 rows.Length; int64 cols |] (rows |> List.concat |> Array.ofList)

/// A layer of a plain TorchSharp Sequential under its child name (the upcast nn.Sequential's named overload needs).
let named (name: string) (m: torch.nn.Module<torch.Tensor, torch.Tensor>) = name, m

// ---------------------------------------------------------------- test models

/// One Linear/Conv2d weight as the test built it. `Block`: consecutive fan-in positions fed by one unit of the previous
/// layer (0 for the first layer).
type LayerInfo =
    { Name: string
      Shape: int64[]
      Units: int
      FanIn: int
      Block: int }

/// A model and its prunable layers in forward order (the model is owned by the caller).
type TestNet = { Model: torch.nn.Module<torch.Tensor, torch.Tensor>; Layers: LayerInfo[] }

/// The Linear/Conv2d weights of a module (rank ≥ 2, named *weight) in definition order.
let weightShapes (m: torch.nn.Module) : (string * int64[])[] =
    [| for struct (n, p) in m.named_parameters() do
           let shape = p.shape
           if n.EndsWith "weight" && shape.Length >= 2 then yield n, shape |]

let private describe (m: torch.nn.Module<torch.Tensor, torch.Tensor>) (blocks: int[]) : TestNet =
    let weights = weightShapes m
    if weights.Length <> blocks.Length then failwithf "test model has %d weights, %d blocks given" weights.Length blocks.Length
    { Model = m
      Layers =
        Array.map2
            (fun (name, shape: int64[]) block ->
                { Name = name
                  Shape = shape
                  Units = int shape.[0]
                  FanIn = shape.[1..] |> Array.fold (fun a s -> a * int s) 1
                  Block = block })
            weights
            blocks }

/// The zoo's mnist-fc (flatten → [Linear → ReLU → Dropout]… → Linear) on `features` input channels of 1×1.
let mlp (features: int) (widths: int list) (classes: int) (seed: uint64) : TestNet =
    use g = Generators.Create seed
    let config = MlpConfig(features, 1, classes, Widths = (Array.ofList widths :> Collections.Generic.IReadOnlyList<int>))
    let model = ModelZoo.Create("mnist-fc", config, g)
    describe model (Array.init (widths.Length + 1) (fun i -> if i = 0 then 0 else 1))

/// conv (k×k) per (channels, kernel) → ReLU …, flatten of C×(hw positions), Linear(dense) → ReLU → Linear(classes).
/// Only the weights matter here (nothing is run), so the spatial size after the convs is simply `hw`.
let convChain (inChannels: int) (convs: (int * int) list) (hw: int) (dense: int) (classes: int) : TestNet =
    TorchRuntime.Ensure()
    let modules = ResizeArray<torch.nn.Module<torch.Tensor, torch.Tensor>>()
    let blocks = ResizeArray<int>()
    let mutable channels = inChannels
    for i, (c, k) in List.indexed convs do
        modules.Add(torch.nn.Conv2d(int64 channels, int64 c, int64 k))
        modules.Add(torch.nn.ReLU())
        blocks.Add(if i = 0 then 0 else k * k)
        channels <- c
    modules.Add(torch.nn.Flatten())
    modules.Add(torch.nn.Linear(int64 (channels * hw), int64 dense))
    blocks.Add hw
    modules.Add(torch.nn.ReLU())
    modules.Add(torch.nn.Linear(int64 dense, int64 classes))
    blocks.Add 1
    describe (torch.nn.Sequential(modules.ToArray())) (blocks.ToArray())

/// A researcher's own plain TorchSharp MLP, built with nn.Sequential directly (not through the zoo):
/// "0" Linear(features → w₁), "1" ReLU, "2" Linear(w₁ → w₂), … , Linear(→ classes), every weight and bias drawn
/// N(0, 1) from `seed` (TorchSharp's constructors draw from the global generator; the tests need their own stream).
let plainMlp (features: int) (widths: int list) (classes: int) (seed: uint64) : TestNet =
    TorchRuntime.Ensure()
    let sizes = features :: widths @ [ classes ]
    let layers =
        [ for i, (fanIn, units) in List.indexed (List.pairwise sizes) do
              yield torch.nn.Linear(int64 fanIn, int64 units) :> torch.nn.Module<torch.Tensor, torch.Tensor>
              if i < widths.Length then yield torch.nn.ReLU() ]
    let model = torch.nn.Sequential(layers |> List.mapi (fun i m -> named (string i) m) |> Array.ofList)
    use g = Generators.Create seed
    do
        use noGrad = torch.no_grad()
        for p in model.parameters() do
            p.normal_(0.0, 1.0, generator = g) |> ignore
    describe model (Array.init (widths.Length + 1) (fun i -> if i = 0 then 0 else 1))

/// A small MLP: features 1..4, 1..3 hidden widths of 1..maxWidth, classes 1..3.
let genMlpShape (maxWidth: int) : Gen<int * int list * int> =
    gen {
        let! features = Gen.choose (1, 4)
        let! depth = Gen.choose (1, 3)
        let! widths = Gen.listOfLength depth (Gen.choose (1, maxWidth))
        let! classes = Gen.choose (1, 3)
        return features, widths, classes
    }

/// How to build a test net (kept as data so that FsCheck prints it).
type NetSpec =
    | Mlp of features: int * widths: int list * classes: int
    | Convs of inChannels: int * convs: (int * int) list * hw: int * dense: int * classes: int

let build (spec: NetSpec) (seed: uint64) : TestNet =
    match spec with
    | Mlp(f, w, c) -> mlp f w c seed
    | Convs(i, convs, hw, d, c) -> convChain i convs hw d c

/// Small MLPs and conv chains (widths ≤ maxWidth).
let genNetSpec (maxWidth: int) : Gen<NetSpec> =
    let mlps = genMlpShape maxWidth |> Gen.map Mlp
    let convs =
        gen {
            let! inChannels = Gen.choose (1, 3)
            let! depth = Gen.choose (1, 2)
            let! convs = Gen.listOfLength depth (Gen.zip (Gen.choose (1, maxWidth)) (Gen.choose (1, 3)))
            let! hw = Gen.choose (1, 4)
            let! dense = Gen.choose (1, maxWidth)
            let! classes = Gen.choose (1, 3)
            return Convs(inChannels, convs, hw, dense, classes)
        }
    Gen.oneof [ mlps; convs ]

// ---------------------------------------------------------------- sparsities as exact fractions

/// A sparsity p/q (0 ≤ p ≤ q ≤ 20) with its exact numerator and denominator.
let genFraction: Gen<int * int> =
    gen {
        let! q = Gen.choose (1, 20)
        let! p = Gen.choose (0, q)
        return p, q
    }

/// A sparsity p/q of at least 0.3 (masks with dead units).
let genHighFraction: Gen<int * int> =
    gen {
        let! q = Gen.choose (3, 20)
        let! p = Gen.choose ((3 * q + 9) / 10, q)
        return p, q
    }

/// ⌈p·n/q⌉ in exact integer arithmetic.
let ceilFraction (p: int) (q: int) (n: int) : int = (p * n + q - 1) / q

let fraction (p: int) (q: int) : float = float p / float q

// ---------------------------------------------------------------- reading masks

/// The values of a mask tensor, row-major, as float32.
let values (t: torch.Tensor) : float32[] =
    use scope = torch.NewDisposeScope()
    t.detach().``to``(torch.float32, torch.CPU).contiguous().data<float32>().ToArray()

/// Per test layer, its mask values, or None when the mask has no entry (dense).
let readMasks (net: TestNet) (mask: ModelMask) : float32[] option[] =
    net.Layers
    |> Array.map (fun l ->
        match mask.TryGet l.Name with
        | true, t ->
            match t with
            | null -> None
            | t -> Some(values t)
        | _ -> None)

/// Entry k of a layer's mask (1 when dense).
let at (m: float32[] option) (k: int) : float32 =
    match m with
    | Some a -> a.[k]
    | None -> 1.0f

/// Incoming row of unit u of layer i.
let row (net: TestNet) (masks: float32[] option[]) (i: int) (u: int) : float32[] =
    let l = net.Layers.[i]
    Array.init l.FanIn (fun k -> at masks.[i] (u * l.FanIn + k))

/// Positions of layer i + 1 fed by unit u of layer i.
let outgoingPositions (net: TestNet) (i: int) (u: int) : int[] =
    let nx = net.Layers.[i + 1]
    [| for r in 0 .. nx.Units - 1 do
           for j in 0 .. nx.Block - 1 -> r * nx.FanIn + u * nx.Block + j |]

/// Outgoing connections of unit u of layer i (into layer i + 1).
let outgoing (net: TestNet) (masks: float32[] option[]) (i: int) (u: int) : float32[] =
    outgoingPositions net i u |> Array.map (at masks.[i + 1])

let allZero (xs: float32[]) = Array.forall (fun x -> x = 0.0f) xs

// ---------------------------------------------------------------- oracles

/// Forward propagation: dead units (all-zero rows) of layer i − 1 lose every outgoing connection in layer i, in order.
let forwardOracle (net: TestNet) (masks: float32[] option[]) : float32[] option[] =
    let m = masks |> Array.map (Option.map Array.copy)
    for i in 1 .. net.Layers.Length - 1 do
        match m.[i] with
        | Some a ->
            for u in 0 .. net.Layers.[i - 1].Units - 1 do
                if allZero (row net m (i - 1) u) then
                    for k in outgoingPositions net (i - 1) u do
                        a.[k] <- 0.0f
        | None -> ()
    m

/// n! exactly.
let factorial (n: int) : BigInteger = Seq.fold (fun (a: BigInteger) (k: int) -> a * BigInteger k) BigInteger.One (seq { 1..n })

/// Every permutation of 0..n−1 (as arrays σ with σ.[u] the image of u).
let rec permutationsOf (items: int list) : int list list =
    match items with
    | [] -> [ [] ]
    | _ -> [ for x in items do
               for rest in permutationsOf (List.filter ((<>) x) items) -> x :: rest ]

/// A unit of a hidden layer survives when it has an incoming and an outgoing connection.
let survives (net: TestNet) (masks: float32[] option[]) (i: int) (u: int) =
    not (allZero (row net masks i u)) && not (allZero (outgoing net masks i u))

/// Brute force: permutations σ of hidden layer i's units that fix every non-surviving unit and map each unit's incoming
/// row and outgoing connections onto those of its image (the mask of layers i and i + 1 is unchanged).
let bruteForcePermutations (net: TestNet) (masks: float32[] option[]) (i: int) : BigInteger =
    let n = net.Layers.[i].Units
    let rows = Array.init n (row net masks i)
    let outs = Array.init n (outgoing net masks i)
    let alive = Array.init n (survives net masks i)
    permutationsOf [ 0 .. n - 1 ]
    |> List.filter (fun sigma ->
        let s = Array.ofList sigma
        Seq.forall (fun u -> (alive.[u] || s.[u] = u) && rows.[s.[u]] = rows.[u] && outs.[s.[u]] = outs.[u]) (seq { 0 .. n - 1 }))
    |> List.length
    |> BigInteger

/// Per-layer counts from the arrays: zeros, zeroed units, distinct non-zero rows, surviving units, classes of
/// (row, outgoing) among survivors (row only for the last layer).
let layerCounts (net: TestNet) (masks: float32[] option[]) (i: int) =
    let l = net.Layers.[i]
    let hidden = i < net.Layers.Length - 1
    let zeros =
        match masks.[i] with
        | Some a -> a |> Array.filter (fun x -> x = 0.0f) |> Array.length
        | None -> 0
    let rows = Array.init l.Units (row net masks i)
    let live = [ for u in 0 .. l.Units - 1 do if not (allZero rows.[u]) then yield u ]
    let unique = live |> List.map (fun u -> rows.[u]) |> List.distinct |> List.length
    let survivors = if hidden then live |> List.filter (survives net masks i) else live
    let groups =
        survivors
        |> List.map (fun u -> rows.[u], (if hidden then outgoing net masks i u else [||]))
        |> List.distinct
        |> List.length
    zeros, l.Units - live.Length, unique, survivors.Length, groups

/// log10(x + 1) computed independently of the code under test, from the decimal digits of x.
let log10PlusOne (x: BigInteger) : float =
    let s = x.ToString()
    if s.Length <= 17 then log10 (float x + 1.0)
    else
        // over 17 digits the +1 is far below double precision: the leading 17 digits and the exponent.
        log10 (float (s.Substring(0, 17))) + float (s.Length - 17)

// ---------------------------------------------------------------- assertions

/// Fails unless two values are equal by F# structural equality (arrays element by element).
let same (what: string) (expected: 'T) (actual: 'T) =
    if expected <> actual then Assert.Fail(sprintf "%s:\nexpected %A\nactual   %A" what expected actual)

let private failf fmt = Printf.kprintf (fun (s: string) -> Assert.Fail s) fmt

/// Fails unless `a` ≤ `b` everywhere (dense counts as all ones).
let assertSubset (what: string) (net: TestNet) (a: float32[] option[]) (b: float32[] option[]) =
    for i in 0 .. net.Layers.Length - 1 do
        for k in 0 .. net.Layers.[i].Units * net.Layers.[i].FanIn - 1 do
            if at a.[i] k > at b.[i] k then failf "%s: %s[%d] is %g, above %g" what net.Layers.[i].Name k (at a.[i] k) (at b.[i] k)

/// Fails unless two mask sets are equal.
let assertSameMasks (what: string) (net: TestNet) (a: float32[] option[]) (b: float32[] option[]) =
    for i in 0 .. net.Layers.Length - 1 do
        if a.[i] <> b.[i] then failf "%s: layer %s differs:\nexpected %A\nactual   %A" what net.Layers.[i].Name a.[i] b.[i]

/// The exception of type 'E that `f` raises (fails otherwise, naming `what`).
let raises<'E when 'E :> exn> (what: string) (f: unit -> unit) : 'E = TestSupport.throwsLabelled<'E> what f

/// Fails unless `text` contains `fragment`.
let contains (fragment: string) (text: string) = TestSupport.contains fragment text
