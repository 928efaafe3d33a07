/// Alignment metrics between two layers' activations (ALGORITHMS §3) against independent oracles: the U-statistic
/// definition of unbiased HSIC, the centring-matrix definition of the biased one, brute force over permutations,
/// Kornblith's closed form of linear CKA, and the invariances each metric is built to have.
module Symmetry.Properties.AlignmentTests

open System
open FsCheck
open FsCheck.FSharp
open FsCheck.NUnit
open NUnit.Framework
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Alignment

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

let private close (tolerance: float) (a: float) (b: float) = abs (a - b) <= tolerance * max 1.0 (max (abs a) (abs b))

/// A random symmetric n×n kernel (a Gram matrix of random features, so it is also positive semi-definite).
let private kernel (g: torch.Generator) (n: int) =
    use x = torch.randn([| int64 n; 3L |], dtype = torch.float64, generator = g)
    x.matmul(x.t())

let private values (t: torch.Tensor) = t.data<float>().ToArray()

/// Unbiased HSIC as the U-statistic over ordered 4-tuples of distinct indices (Song et al. 2012, Theorem 2).
let private hsicByTuples (k: float[]) (l: float[]) (n: int) =
    let at (m: float[]) i j = m.[i * n + j]
    let mutable sum, count = 0.0, 0
    for t in 0 .. n - 1 do
        for u in 0 .. n - 1 do
            for v in 0 .. n - 1 do
                for w in 0 .. n - 1 do
                    if Set.count (set [ t; u; v; w ]) = 4 then
                        sum <- sum + at k t u * at l t u + at k t u * at l v w - 2.0 * at k t u * at l t v
                        count <- count + 1
    sum / float count

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``unbiased HSIC equals its U-statistic definition`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (4, 7)) (Gen.choose (0, 1000)))) (fun (n, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        let k, l = kernel g n, kernel g n
        close 1e-9 (Hsic.Unbiased(k, l)) (hsicByTuples (values k) (values l) n))

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``biased HSIC equals tr(KHLH) / (n - 1)^2 with the centring matrix`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (2, 8)) (Gen.choose (0, 1000)))) (fun (n, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        let k, l = values (kernel g n), values (kernel g n)
        let h i j = (if i = j then 1.0 else 0.0) - 1.0 / float n
        let product (a: int -> int -> float) (b: int -> int -> float) i j = Seq.sum (seq { for m in 0 .. n - 1 -> a i m * b m j })
        let at (m: float[]) i j = m.[i * n + j]
        let khlh = product (product (product (at k) h) (at l)) h
        let trace = Seq.sum (seq { for i in 0 .. n - 1 -> khlh i i })
        close 1e-9 (Hsic.Biased(torch.tensor(k).reshape(int64 n, int64 n), torch.tensor(l).reshape(int64 n, int64 n))) (trace / float ((n - 1) * (n - 1))))

/// Random activations (N, C, H, W), float64.
let private activations (g: torch.Generator) (n: int) (c: int) (size: int) =
    torch.randn([| int64 n; int64 c; int64 size; int64 size |], dtype = torch.float64, generator = g)

/// `x` with its channels permuted by `perm` and each scaled by a positive factor.
let private permutedAndScaled (g: torch.Generator) (x: torch.Tensor) (perm: int[]) =
    use index = torch.tensor(perm |> Array.map int64)
    use scales = torch.rand([| 1L; x.shape.[1]; 1L; 1L |], dtype = torch.float64, generator = g)
    x.index_select(1L, index) * (scales + 0.1)

let private genCase = Gen.zip3 (Gen.choose (5, 12)) (Gen.choose (1, 5)) (Gen.choose (0, 1000))

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``G_ReLU-Procrustes and G_ReLU-CKA are 1 for a channel permutation with positive scalings of the same activations`` () =
    Prop.forAll (Arb.fromGen genCase) (fun (n, c, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        let x = activations g n c 3
        let perm = [| 0 .. c - 1 |]
        Random(seed).Shuffle perm
        let y = permutedAndScaled g x perm
        let procrustes, cka = GReluProcrustes.Similarity(x, y), Cka.GRelu(x, y)
        // 1 − d with d = √(rounding-sized d²): the square root turns 1e-16 into 1e-8, hence 1e-6 for the Procrustes metrics.
        (close 1e-6 procrustes 1.0 && close 1e-9 cka 1.0) |> Prop.label (sprintf "G_ReLU-Procrustes %.17g, G_ReLU-CKA %.17g" procrustes cka))

let rec private permutations (items: int list) : int list list =
    match items with
    | [] -> [ [] ]
    | _ -> [ for x in items do for rest in permutations (List.filter ((<>) x) items) -> x :: rest ]

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``G_ReLU-Procrustes equals its definition with the best permutation found by brute force`` () =
    Prop.forAll (Arb.fromGen genCase) (fun (n, c, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        let x, y = activations g n c 2, activations g n c 2
        // Unit-norm channel columns over (N, H, W), in plain arrays.
        let columns (t: torch.Tensor) =
            let v = values (t.contiguous())
            [| for ch in 0 .. c - 1 ->
                let col = [| for s in 0 .. n - 1 do for p in 0 .. 3 -> v.[(s * c + ch) * 4 + p] |]
                let norm = sqrt (Array.sumBy (fun a -> a * a) col)
                col |> Array.map (fun a -> a / norm) |]
        let h1, h2 = columns x, columns y
        let inner i j = Array.fold2 (fun acc a b -> acc + a * b) 0.0 h1.[i] h2.[j]
        let best = permutations [ 0 .. c - 1 ] |> List.map (fun p -> p |> List.mapi (fun i j -> inner i j) |> List.sum) |> List.max
        let expected = 1.0 - sqrt ((float c + float c - 2.0 * best) / (4.0 * float c))
        close 1e-9 (GReluProcrustes.Similarity(x, y)) expected)

/// A random orthogonal c×c matrix (Q of a QR decomposition).
let private orthogonal (g: torch.Generator) (c: int) =
    let struct (q, _) = torch.linalg.qr(torch.randn([| int64 c; int64 c |], dtype = torch.float64, generator = g))
    q

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``orthogonal Procrustes is 1 for any orthogonal mixing of channels, and linear CKA for one of features`` () =
    Prop.forAll (Arb.fromGen genCase) (fun (n, c, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        let x = activations g n c 2
        // Mix channels: y[:, :, h, w] = Q x[:, :, h, w].
        let y = torch.einsum("dc,nchw->ndhw", orthogonal g c, x)
        let features = x.reshape(int64 n, -1L)
        let mixed = features.matmul(orthogonal g (int features.shape.[1])) * 3.5
        let procrustes, cka = OrthogonalProcrustes.Similarity(x, y), Cka.Linear(features, mixed)
        (close 1e-6 procrustes 1.0 && close 1e-9 cka 1.0) |> Prop.label (sprintf "orthogonal Procrustes %.17g, linear CKA %.17g" procrustes cka))

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``linear CKA equals Kornblith's closed form ||YᵀX||² / (||XᵀX|| ||YᵀY||) on centred features`` () =
    Prop.forAll (Arb.fromGen genCase) (fun (n, c, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        // Different channel counts and map sizes: the closed form is taken on the pair ActivationPair makes.
        let x, y = activations g n c 2, activations g n (c + 1) 1
        let struct (a, b) = ActivationPair.Match(x, y)
        let centred (t: torch.Tensor) = let f = t.reshape(int64 n, -1L) in f - f.mean([| 0L |], keepdim = true)
        let fa, fb = centred a, centred b
        let frob (t: torch.Tensor) = t.square().sum().item<float>()
        let expected = frob (fb.t().matmul fa) / (sqrt (frob (fa.t().matmul fa)) * sqrt (frob (fb.t().matmul fb)))
        close 1e-9 (Cka.Linear(x, y)) expected)

[<Test>]
let ``activations of different shapes are upsampled by nearest neighbour and padded with zero channels`` () =
    use scope = torch.NewDisposeScope()
    let small = torch.arange(16, dtype = torch.float64).reshape(2L, 2L, 2L, 2L)
    let large = torch.zeros([| 2L; 3L; 4L; 4L |], dtype = torch.float64)
    let struct (a, b) = ActivationPair.Match(small, large)
    Assert.That(a.shape, Is.EqualTo(box [| 2L; 3L; 4L; 4L |]))
    Assert.That(b.shape, Is.EqualTo(box [| 2L; 3L; 4L; 4L |]))
    let v = values (a.contiguous())
    let s = values small
    for n in 0 .. 1 do
        for c in 0 .. 2 do
            for i in 0 .. 3 do
                for j in 0 .. 3 do
                    let expected = if c < 2 then s.[((n * 2 + c) * 2 + i / 2) * 2 + j / 2] else 0.0
                    Assert.That(v.[((n * 3 + c) * 4 + i) * 4 + j], Is.EqualTo expected, sprintf "[%d,%d,%d,%d]" n c i j)
    Assert.Throws<ArgumentException>(Action(fun () -> ActivationPair.Match(small, torch.zeros(3L, 2L)) |> ignore)) |> ignore

[<Test>]
let ``the metrics leave no tensor behind`` () =
    use g = Generators.Create 5UL
    use x = activations g 6 3 4
    use y = activations g 6 5 2
    let before = TestSupport.liveTensorsSettled ()
    for metric in [ GReluProcrustes.Similarity; OrthogonalProcrustes.Similarity; Cka.GRelu; Cka.LinearUnbiased; Cka.Linear ] do
        let value = metric (x, y)
        Assert.That(value, Is.InRange(-1.0, 1.0))
    Assert.That(TestSupport.liveTensorsSettled (), Is.EqualTo before)

[<FsCheck.NUnit.Property(MaxTest = 20)>]
let ``every metric is symmetric in its arguments`` () =
    Prop.forAll (Arb.fromGen genCase) (fun (n, c, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        let x, y = activations g n c 2, activations g n (c + 2) 4
        [ GReluProcrustes.Similarity; OrthogonalProcrustes.Similarity; Cka.GRelu; Cka.LinearUnbiased; Cka.Linear ]
        |> List.forall (fun metric -> close 1e-9 (metric (x, y)) (metric (y, x))))

open Symmetry.Core.Models
open Symmetry.Core.Permutations

/// An MLP's hidden Linear entries (index in its Sequential), each followed by its ReLU.
let private hiddenLinears (model: ZooModel) =
    let entries = model.Layers.children() |> Seq.toArray
    [ for i in 0 .. entries.Length - 1 do
        if entries.[i] :? TorchSharp.Modules.Linear && i + 1 < entries.Length && entries.[i + 1] :? TorchSharp.Modules.ReLU then i ]

let private reluNames (model: ZooModel) = hiddenLinears model |> List.map (fun i -> sprintf "layers.%d" (i + 1))

[<FsCheck.NUnit.Property(MaxTest = 20)>]
let ``a model against its own G_ReLU-transformed copy: the G_ReLU metrics are 1, and all are 1 under a permutation alone`` () =
    let gen = Gen.zip3 (Gen.listOfLength 2 (Gen.choose (2, 6))) (Gen.choose (0, 1000)) (Gen.elements [ true; false ])
    Prop.forAll (Arb.fromGen gen) (fun (widths, seed, scale) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create(uint64 seed)
        use model = ModelZoo.Create("mnist-fc", MlpConfig(1, 4, 3, Widths = Array.ofList widths), g)
        model.``to``(torch.float64) |> ignore
        let inputs = torch.randn([| 24L; 1L; 4L; 4L |], dtype = torch.float64, generator = g)
        let layers = reluNames model
        let before = ActivationRecorder.Record(model, layers, inputs)
        let output = model.call inputs
        // Permute every hidden layer's neurons, then scale each neuron's incoming weights and bias by s > 0 and its
        // outgoing weights by 1/s: the ReLU outputs become P·D·(the old ones), the network's outputs stay the same.
        let spec = PermutationSpec.For model
        use original = StateDicts.Copy model
        use permuted = spec.Apply(spec.Random g, original)
        StateDicts.Load(model, permuted)
        if scale then
            let entries = model.Layers.children() |> Seq.toArray
            let linears = entries |> Array.indexed |> Array.choose (fun (i, m) -> match m with :? TorchSharp.Modules.Linear as l -> Some(i, l) | _ -> None)
            use _ = torch.no_grad()
            for (i, layer), (_, next) in Array.pairwise linears do
                if List.contains i (hiddenLinears model) then
                    let s = torch.rand([| layer.weight.shape.[0] |], dtype = torch.float64, generator = g) + 0.2
                    layer.weight.mul_(s.unsqueeze 1) |> ignore
                    (nonNull layer.bias).mul_(s) |> ignore
                    next.weight.div_(s.unsqueeze 0) |> ignore
        let after = ActivationRecorder.Record(model, layers, inputs)
        let sameOutputs = (model.call inputs - output).abs().max().item<float>() < 1e-9
        // A layer of dead units (zero for every input) has no defined similarity: NaN, for every metric. A layer
        // active on fewer than 3 inputs is degenerate for the unbiased HSIC (zero up to rounding): 1 or NaN.
        let dead (a: torch.Tensor) = a.count_nonzero().item<int64>() = 0L
        let degenerate (a: torch.Tensor) = a.reshape(a.shape.[0], -1L).abs().sum([| 1L |]).count_nonzero().item<int64>() < 3L
        let one tolerance (metric: torch.Tensor * torch.Tensor -> float) =
            Seq.forall2 (fun (a: torch.Tensor) b ->
                let value = metric (a, b)
                if dead a then Double.IsNaN value else close tolerance value 1.0 || (degenerate a && Double.IsNaN value)) before after
        let gRelu = one 1e-6 GReluProcrustes.Similarity && one 1e-9 Cka.GRelu && one 1e-9 Cka.LinearUnbiased
        let others = one 1e-6 OrthogonalProcrustes.Similarity && one 1e-9 Cka.Linear
        let detail =
            Seq.map2 (fun (a: torch.Tensor) b ->
                sprintf "GP %.17g OP %.17g GC %.17g LU %.17g L %.17g" (GReluProcrustes.Similarity(a, b)) (OrthogonalProcrustes.Similarity(a, b))
                    (Cka.GRelu(a, b)) (Cka.LinearUnbiased(a, b)) (Cka.Linear(a, b))) before after |> String.concat "; "
        (sameOutputs |> Prop.label "outputs unchanged") .&. (gRelu |> Prop.label ("G_ReLU metrics are 1: " + detail))
        .&. ((scale || others) |> Prop.label "under a permutation alone, every metric is 1"))

[<Test>]
let ``a layer that is zero everywhere has no similarity: every metric is NaN`` () =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 9UL
    let x = activations g 8 3 2
    let dead = torch.zeros([| 8L; 3L; 2L; 2L |], dtype = torch.float64)
    for metric in [ GReluProcrustes.Similarity; OrthogonalProcrustes.Similarity; Cka.GRelu; Cka.LinearUnbiased; Cka.Linear ] do
        Assert.That(metric (x, dead), Is.NaN)
        Assert.That(metric (dead, dead), Is.NaN)
