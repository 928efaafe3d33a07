/// Mask generation (ALGORITHMS §1): every mask type zeroes exactly what it promises on Linear and Conv2d shapes,
/// the same seed gives the same mask and each layer draws from its own stream, no-input-ablation masks keep every
/// input connected whenever that is possible and refuse clearly when it is not, bad sparsities and type names are
/// refused with clear messages, masks land on weights only, and sparse-aware init follows the mask.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.MaskGenerationTests

open System
open System.Globalization
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Models
open Symmetry.Core.Masks
open Symmetry.Properties.MaskTestSupport

let private allTypes = [| MaskType.Random; MaskType.Bernoulli; MaskType.Symmetric; MaskType.PerNeuron; MaskType.PerNeuronNoInputAblation |]

/// A Linear (out, in) or Conv2d (out, in, k, k) weight shape.
let private genWeightShape: Gen<int64[]> =
    Gen.oneof
        [ gen {
              let! o = Gen.choose (1, 12)
              let! i = Gen.choose (1, 24)
              return [| int64 o; int64 i |]
          }
          gen {
              let! o = Gen.choose (1, 6)
              let! i = Gen.choose (1, 4)
              let! k = Gen.choose (1, 3)
              return [| int64 o; int64 i; int64 k; int64 k |]
          } ]

let private rowsOf (shape: int64[]) = int shape.[0]
let private fanInOf (shape: int64[]) = shape.[1..] |> Array.fold (fun a s -> a * int s) 1

let private rowZeros (data: float32[]) (l: int) (r: int) =
    Seq.sum (seq { for k in 0 .. l - 1 -> if data.[r * l + k] = 0.0f then 1 else 0 })

[<Property(MaxTest = 200)>]
let ``every mask type zeroes exactly what it promises`` () =
    let gen =
        gen {
            let! t = Gen.elements allTypes
            let! shape = genWeightShape
            let! p, q = genFraction
            let! seed = Gen.choose (0, Int32.MaxValue)
            return t, shape, p, q, uint64 seed
        }
    Prop.forAll (Arb.fromGen gen) (fun (t, shape, p, q, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create seed
        let s = fraction p q
        let n, l = rowsOf shape, fanInOf shape
        let size = n * l
        let perNeuronZeros = ceilFraction p q l
        if t = MaskType.PerNeuronNoInputAblation && n * (l - perNeuronZeros) < l then
            raises<ArgumentException> "impossible no-ablation mask" (fun () -> LayerMasks.Draw(t, shape, s, g, "w") |> ignore) |> ignore
        else
            let mask = LayerMasks.Draw(t, shape, s, g, "w")
            same "shape" shape mask.shape
            Assert.That(mask.dtype, Is.EqualTo torch.ScalarType.Float32, "dtype")
            let data = values mask
            Assert.That(data |> Array.forall (fun x -> x = 0.0f || x = 1.0f), "0/1 values")
            let zeros = data |> Array.filter (fun x -> x = 0.0f) |> Array.length
            match t with
            | MaskType.Random -> Assert.That(zeros, Is.EqualTo(ceilFraction p q size), "random: ⌈s·size⌉ zeros")
            | MaskType.Bernoulli ->
                let mean = s * float size
                let bound = 5.0 * sqrt (float size * s * (1.0 - s)) + 1.0
                Assert.That(abs (float zeros - mean), Is.LessThanOrEqualTo bound, sprintf "bernoulli: %d zeros, expected about %g" zeros mean)
            | _ ->
                for r in 0 .. n - 1 do
                    Assert.That(rowZeros data l r, Is.EqualTo perNeuronZeros, sprintf "%A: zeros of neuron %d" t r)
                if t = MaskType.Symmetric then
                    for r in 1 .. n - 1 do
                        same (sprintf "symmetric: row %d" r) data.[0 .. l - 1] data.[r * l .. r * l + l - 1]
                if t = MaskType.PerNeuronNoInputAblation then
                    for c in 0 .. l - 1 do
                        Assert.That(Seq.exists (fun r -> data.[r * l + c] = 1.0f) (seq { 0 .. n - 1 }), sprintf "input %d disconnected" c))

[<Property(MaxTest = 40)>]
let ``same seed gives the same model mask and each layer its own stream`` () =
    let gen =
        gen {
            let! t = Gen.elements [| MaskType.Random; MaskType.Bernoulli; MaskType.Symmetric; MaskType.PerNeuron |]
            let! width = Gen.choose (24, 32)
            let! seed = Gen.choose (0, Int32.MaxValue)
            return t, width, uint64 seed
        }
    Prop.forAll (Arb.fromGen gen) (fun (t, width, seed) ->
        use scope = torch.NewDisposeScope()
        let net = mlp 5 [ width; width; width ] 3 seed
        use model = net.Model
        use first = ModelMasks.Create(model, t, 0.5, seed)
        use again = ModelMasks.Create(model, MaskTypes.Name t, 0.5, seed)
        use other = ModelMasks.Create(model, t, 0.5, seed + 1UL)
        use withoutOutput = ModelMasks.Create(model, t, 0.5, seed, excludeOutputLayer = true)
        let names = net.Layers |> Array.map (fun l -> l.Name)
        same "every Linear weight, in order" names (Array.ofSeq first.Names)
        same "output layer left out" names.[.. names.Length - 2] (Array.ofSeq withoutOutput.Names)
        let a, b, c, d = readMasks net first, readMasks net again, readMasks net other, readMasks net withoutOutput
        assertSameMasks "same seed" net a b
        Assert.That(a <> c, "another seed gives another mask")
        for i in 0 .. names.Length - 2 do
            same (sprintf "%s does not depend on the other layers" names.[i]) a.[i] d.[i]
        // the layer's stream is ForPurpose(seed, "mask/<name>")
        for i, l in Array.indexed net.Layers do
            use g = Generators.ForPurpose(seed, "mask/" + l.Name)
            same (sprintf "stream of %s" l.Name) a.[i] (Some(values (LayerMasks.Draw(t, l.Shape, 0.5, g))))
        // the two (width, width) layers have the same shape but different streams
        Assert.That(a.[1] <> a.[2], "layers 1 and 2 drew the same mask"))

[<Property(MaxTest = 150)>]
let ``no-input-ablation keeps every input connected up to the largest possible sparsity`` () =
    let gen =
        gen {
            let! shape = genWeightShape
            let n, l = rowsOf shape, fanInOf shape
            let least = (l + n - 1) / n // fewest kept connections per neuron that can cover every input
            let! kept = Gen.oneof [ Gen.constant least; Gen.constant (min l (least + 1)); Gen.choose (least, l) ]
            let! seed = Gen.choose (0, Int32.MaxValue)
            return shape, kept, uint64 seed
        }
    Prop.forAll (Arb.fromGen gen) (fun (shape, kept, seed) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create seed
        let n, l = rowsOf shape, fanInOf shape
        let s = fraction (l - kept) l
        let data = values (LayerMasks.Draw(MaskType.PerNeuronNoInputAblation, shape, s, g))
        for r in 0 .. n - 1 do
            Assert.That(l - rowZeros data l r, Is.EqualTo kept, sprintf "kept connections of neuron %d" r)
        for c in 0 .. l - 1 do
            Assert.That(Seq.exists (fun r -> data.[r * l + c] = 1.0f) (seq { 0 .. n - 1 }), sprintf "input %d disconnected (s = %g)" c s)
        let largest = MaskSparsity.LargestNoInputAblationSparsity(int64 n, int64 l)
        Assert.That(largest, Is.EqualTo(fraction (l - (l + n - 1) / n) l), "largest sparsity")
        use g2 = Generators.Create seed
        let atLargest = values (LayerMasks.Draw(MaskType.PerNeuronNoInputAblation, shape, largest, g2))
        for c in 0 .. l - 1 do
            Assert.That(Seq.exists (fun r -> atLargest.[r * l + c] = 1.0f) (seq { 0 .. n - 1 }), "input disconnected at the largest sparsity"))

[<Property(MaxTest = 100)>]
let ``no-input-ablation refuses impossible sparsities naming the layer and the limit`` () =
    let gen =
        gen {
            let! n = Gen.choose (1, 8)
            let! l = Gen.choose (2, 40)
            let least = (l + n - 1) / n
            let! kept = Gen.choose (0, least - 1)
            return n, l, kept
        }
    Prop.forAll (Arb.fromGen gen) (fun (n, l, kept) ->
        use scope = torch.NewDisposeScope()
        use g = Generators.Create 1UL
        let s = fraction (l - kept) l
        let e =
            raises<ArgumentException> "impossible mask" (fun () ->
                LayerMasks.Draw(MaskType.PerNeuronNoInputAblation, [| int64 n; int64 l |], s, g, "layers.4.weight") |> ignore)
        contains "layers.4.weight" e.Message
        contains "impossible" e.Message
        contains (sprintf "largest sparsity that works for this layer is %d/%d" (l - (l + n - 1) / n) l) e.Message)

[<Test>]
let ``a model mask names the layer whose no-input-ablation mask is impossible`` () =
    use scope = torch.NewDisposeScope()
    let net = mlp 64 [ 2; 30 ] 10 1UL
    use model = net.Model
    // layers.1.weight is (2, 64): at s = 0.9 each neuron keeps 64 − 58 = 6 inputs, 12 < 64.
    let e = raises<ArgumentException> "model mask" (fun () -> ModelMasks.Create(model, MaskType.PerNeuronNoInputAblation, 0.9, 7UL) |> ignore)
    contains "layers.1.weight" e.Message
    contains "32/64" e.Message
    use ok = ModelMasks.Create(model, MaskType.PerNeuronNoInputAblation, 0.5, 7UL)
    Assert.That(ok.Count, Is.EqualTo 3)

[<Test>]
let ``sparsities outside 0..1 are refused with their value`` () =
    use scope = torch.NewDisposeScope()
    let net = mlp 3 [ 4 ] 2 1UL
    use model = net.Model
    for bad in [ nan; -0.1; 1.5; 1.0000001; infinity; -infinity; -1e-300 ] do
        let text = bad.ToString("R", CultureInfo.InvariantCulture)
        for t in allTypes do
            use g = Generators.Create 0UL
            let e = raises<ArgumentOutOfRangeException> (sprintf "layer %A %s" t text) (fun () -> LayerMasks.Draw(t, [| 2L; 3L |], bad, g) |> ignore)
            Assert.That(e.ParamName, Is.EqualTo "sparsity")
            contains text e.Message
            let e2 = raises<ArgumentOutOfRangeException> (sprintf "model %A %s" t text) (fun () -> ModelMasks.Create(model, t, bad, 1UL) |> ignore)
            contains text e2.Message
        raises<ArgumentOutOfRangeException> "zero count" (fun () -> MaskSparsity.ZeroCount(bad, 10L) |> ignore) |> ignore
    for good in [ 0.0; 1.0; 0.5 ] do
        use m = ModelMasks.Create(model, MaskType.Random, good, 1UL)
        Assert.That(m.Count, Is.EqualTo 2)

[<Test>]
let ``unknown mask type names are refused with the known names`` () =
    use scope = torch.NewDisposeScope()
    let net = mlp 3 [ 4 ] 2 1UL
    use model = net.Model
    for bad in [ "diagonal"; ""; "per neuron"; "randomly" ] do
        let e = raises<ArgumentException> bad (fun () -> MaskTypes.Parse bad |> ignore)
        for name in [ "random"; "bernoulli"; "symmetric"; "per-neuron"; "per-neuron-no-input-ablation" ] do
            contains name e.Message
        raises<ArgumentException> bad (fun () -> ModelMasks.Create(model, bad, 0.5, 1UL) |> ignore) |> ignore
    for t in allTypes do
        Assert.That(MaskTypes.Parse(MaskTypes.Name t), Is.EqualTo t)
        Assert.That(MaskTypes.Parse((MaskTypes.Name t).Replace('-', '_').ToUpperInvariant()), Is.EqualTo t)
    same "names" [| "random"; "bernoulli"; "symmetric"; "per-neuron"; "per-neuron-no-input-ablation" |] (Array.ofSeq MaskTypes.Names)

[<Property(MaxTest = 300)>]
let ``zero count is the exact ceiling of s times n`` () =
    let gen =
        gen {
            let! q = Gen.choose (1, 1000)
            let! p = Gen.choose (0, q)
            // half the time a multiple of q: p·n/q is then an integer, which floating-point rounding can push above
            let! n = Gen.oneof [ Gen.choose (0, 2000000); Gen.choose (0, 2000) |> Gen.map (fun m -> m * q) ]
            return p, q, n
        }
    Prop.forAll (Arb.fromGen gen) (fun (p, q, n) ->
        let expected = (int64 p * int64 n + int64 q - 1L) / int64 q
        Assert.That(MaskSparsity.ZeroCount(fraction p q, int64 n), Is.EqualTo expected))

[<Test>]
let ``zero count does not add a zero for floating-point rounding`` () =
    // in floating point 0.07·100 = 7.000000000000001, (7/25)·25 = 7.000000000000001, (9/14)·42 = 27.000000000000004
    for s, n, expected in [ 0.07, 100L, 7L; 7.0 / 25.0, 25L, 7L; 9.0 / 14.0, 42L, 27L; 0.3, 11L, 4L; 0.0, 7L, 0L; 1.0, 7L, 7L; 0.5, 0L, 0L ] do
        Assert.That(MaskSparsity.ZeroCount(s, n), Is.EqualTo expected, sprintf "⌈%g·%d⌉" s n)

[<Test>]
let ``masks cover every Linear and Conv2d weight and never a bias`` () =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 3UL
    for name, config in [ "lenet-5", ModelConfig.Mnist; "mnist-cnn", (ConvNetConfig(1, 8, Filters = [| 3; 4 |], Kernel = Nullable 3, DenseWidth = Nullable 5) :> ModelConfig) ] do
        use model = ModelZoo.Create(name, config, g)
        let weights = weightShapes model |> Array.map fst
        use before = StateDicts.Copy model
        use mask = ModelMasks.Create(model, MaskType.PerNeuron, 0.5, 11UL)
        same name weights (Array.ofSeq mask.Names)
        use noOutput = ModelMasks.Create(model, MaskType.PerNeuron, 0.5, 11UL, excludeOutputLayer = true)
        same (name + " without output layer") weights.[.. weights.Length - 2] (Array.ofSeq noOutput.Names)
        Assert.That(model.Mask, Is.Null, "a new model holds no mask")
        model.SetMask mask
        // The model holds its own copy of the mask: same names and values, another object.
        match model.Mask with
        | null -> Assert.Fail(name + ": SetMask left the model without a mask")
        | held ->
            Assert.That(obj.ReferenceEquals(held, mask), Is.False, name + ": the model keeps a copy")
            same (name + ": names of the held mask") (Array.ofSeq mask.Names) (Array.ofSeq held.Names)
            for n in mask.Names do
                same (name + ": held mask " + n) (values mask.[n]) (values held.[n])
        // Masked weights are exactly zero where the mask is 0 and untouched where it is 1; every other parameter
        // (biases, BatchNorm) and every buffer is untouched.
        for struct (pname, p) in model.named_parameters() do
            let w = values p
            let original = values before.[pname]
            if mask.Contains pname then
                Assert.That(Array.contains pname weights, sprintf "%s should not be masked" pname)
                let expected = values mask.[pname]
                let wanted = Array.map2 (fun (x: float32) (k: float32) -> if k = 0.0f then 0.0f else x) original expected
                same (pname + ": zero where masked, unchanged elsewhere") wanted w
            else
                Assert.That(Array.contains pname weights, Is.False, sprintf "%s should be masked" pname)
                same (pname + ": unmasked parameter unchanged") original w

[<Test>]
let ``generating and dropping masks leaks no tensor`` () =
    let net = mlp 6 [ 5; 4 ] 3 1UL
    use model = net.Model :?> ZooModel
    // Gradients to mask (they live with the parameters from now on, before the count is taken).
    do
        use scope = torch.NewDisposeScope()
        use g = Generators.Create 4UL
        model.call(torch.randn([| 2L; 6L; 1L; 1L |], generator = g)).sum().backward()
    let before = TestSupport.liveTensorsSettled ()
    for t in allTypes do
        use m = ModelMasks.Create(model, t, 0.4, 2UL)
        use p = MaskPropagation.Propagate(model, m, removeUnitsWithoutOutputs = true)
        use c = p.Clone()
        MaskStatistics.Compute(model, c) |> ignore
        MaskReport.Create(model, m) |> ignore
        model.SetMask c
        model.ApplyMask()
        c.MaskGradients model
        model.SetMask m // frees the previous copy
        model.SetMask null
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo before)

[<Test>]
let ``sparse-aware init draws each neuron from its kept fan-in`` () =
    use scope = torch.NewDisposeScope()
    let net = mlp 400 [ 300; 20 ] 10 1UL
    use model = net.Model
    use mask = ModelMasks.Create(model, MaskType.PerNeuron, 0.75, 5UL)
    // a fully masked neuron in the last layer
    let last = net.Layers.[2]
    let edited = Array.copy (values mask.[last.Name])
    for k in 0 .. last.FanIn - 1 do
        edited.[k] <- 0.0f
    mask.Add(last.Name, floatTensor last.Shape edited) |> ignore
    use g = Generators.Create 9UL
    let names = SparseInit.Apply(model, g, mask)
    same "re-initialised" (net.Layers |> Array.map (fun l -> l.Name)) (Array.ofSeq names)
    for struct (pname, p) in model.named_parameters() do
        if mask.Contains pname then
            let m = values mask.[pname]
            let w = values p
            Assert.That(Array.forall2 (fun (x: float32) (k: float32) -> (k = 0.0f) = (x = 0.0f)) w m, pname + ": zero exactly where masked")
    // first layer: 300 × 400 with 100 kept per neuron → std √(2/100)
    let first = model.named_parameters() |> Seq.pick (fun struct (n, p) -> if n = net.Layers.[0].Name then Some p else None)
    let w = values first
    let kept = w |> Array.filter (fun x -> x <> 0.0f) |> Array.map float
    let std = sqrt (Array.averageBy (fun x -> x * x) kept)
    Assert.That(kept.Length, Is.EqualTo(300 * 100))
    Assert.That(std, Is.EqualTo(sqrt (2.0 / 100.0)).Within(3).Percent)

[<Test>]
let ``a held mask keeps masked weights zero through ApplyMask and its gradients masked`` () =
    use scope = torch.NewDisposeScope()
    let net = mlp 5 [ 6; 4 ] 3 2UL
    use model = net.Model :?> ZooModel
    use mask = ModelMasks.Create(model, MaskType.Random, 0.6, 3UL)
    model.SetMask mask
    // Weights moved off zero (as an optimizer step would move them): ApplyMask zeroes exactly the masked ones again.
    do
        use noGrad = torch.no_grad()
        for p in model.parameters() do
            p.fill_((0.5).ToScalar()) |> ignore
    model.ApplyMask()
    for struct (pname, p) in model.named_parameters() do
        let w = values p
        if mask.Contains pname then
            same (pname + " after ApplyMask") (values mask.[pname] |> Array.map (fun k -> if k = 0.0f then 0.0f else 0.5f)) w
        else
            Assert.That(w |> Array.forall ((=) 0.5f), pname + " (not masked) untouched")
    // Gradients: zero exactly where masked, untouched elsewhere.
    use g = Generators.Create 7UL
    model.call(torch.randn([| 4L; 5L; 1L; 1L |], generator = g)).square().sum().backward()
    let gradients () =
        [| for struct (pname, p) in model.named_parameters() ->
               use grad = p.grad
               match grad with
               | null -> failwithf "%s has no gradient" pname
               | grad -> pname, values grad |]
    let full = gradients ()
    mask.MaskGradients model
    for pname, masked in gradients () do
        let original = full |> Array.find (fst >> (=) pname) |> snd
        let expected =
            if mask.Contains pname then Array.map2 (fun (x: float32) (k: float32) -> if k = 0.0f then 0.0f else x) original (values mask.[pname])
            else original
        same (pname + ": gradient") expected masked

[<Test>]
let ``a mask is refused, naming the parameter, when the model lacks it or its shape differs`` () =
    use scope = torch.NewDisposeScope()
    let net = mlp 3 [ 4 ] 2 1UL
    use model = net.Model :?> ZooModel
    use before = StateDicts.Copy model
    let unchanged () =
        for struct (pname, p) in model.named_parameters() do
            same (pname + " unchanged") (values before.[pname]) (values p)
    use unknown = (new ModelMask()).Add("layers.1.weight", floatTensor [| 4L; 3L |] (Array.create 12 0.0f)).Add("layers.9.weight", floatTensor [| 2L; 2L |] (Array.create 4 0.0f))
    contains "layers.9.weight" (raises<ArgumentException> "unknown name" (fun () -> unknown.ApplyTo model)).Message
    unchanged ()
    contains "layers.9.weight" (raises<ArgumentException> "unknown name (SetMask)" (fun () -> model.SetMask unknown)).Message
    Assert.That(model.Mask, Is.Null, "a refused mask is not kept")
    unchanged ()
    use wrongShape = (new ModelMask()).Add("layers.1.weight", floatTensor [| 3L; 4L |] (Array.create 12 0.0f))
    contains "layers.1.weight" (raises<ArgumentException> "wrong shape" (fun () -> wrongShape.ApplyTo model)).Message
    unchanged ()
