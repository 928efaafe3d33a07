/// Optimizers: updates against hand-computed formulas, and masked weights staying exactly zero.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.OptimizerTests

open NUnit.Framework
open Symmetry.Torch
open Symmetry.Torch.NN
open Symmetry.Torch.Optim

/// A parameter holding `values` (float64) whose gradient is set to `grad`.
let private withGrad (p: Parameter) (grad: float[]) =
    p.Value.Grad <- Torch.FromArray(grad)

[<Test>]
let ``SGD with momentum and weight decay matches the hand-computed update`` () =
    use scope = Torch.NewScope()
    use p = new Parameter(Torch.FromArray([| 1.0; -2.0 |]))
    use sgd = new Sgd([ p ], 0.1, momentum = 0.9, weightDecay = 0.01)
    let grads = [ [| 0.5; 0.25 |]; [| -1.0; 2.0 |]; [| 0.0; 1.0 |] ]
    // Oracle: d = g + wd*theta; b = d (first) else 0.9 b + d; theta -= lr * b
    let mutable theta = [| 1.0; -2.0 |]
    let mutable buffer = [| 0.0; 0.0 |]
    grads |> List.iteri (fun step g ->
        withGrad p g
        sgd.Step()
        let d = Array.map2 (fun gi ti -> gi + 0.01 * ti) g theta
        buffer <- if step = 0 then d else Array.map2 (fun b di -> 0.9 * b + di) buffer d
        theta <- Array.map2 (fun t b -> t - 0.1 * b) theta buffer)
    TestSupport.assertAllClose "sgd momentum" 1e-12 1e-14 theta (p.Value.ToArray<float>())

[<Test>]
let ``Nesterov SGD matches the hand-computed update`` () =
    use scope = Torch.NewScope()
    use p = new Parameter(Torch.FromArray([| 0.5 |]))
    use sgd = new Sgd([ p ], 0.2, momentum = 0.5, nesterov = true)
    let mutable theta, buffer = 0.5, 0.0
    for step, g in List.indexed [ 1.0; 2.0; -1.0 ] do
        withGrad p [| g |]
        sgd.Step()
        buffer <- if step = 0 then g else 0.5 * buffer + g
        theta <- theta - 0.2 * (g + 0.5 * buffer)
    TestSupport.assertAllClose "nesterov" 1e-12 1e-14 [| theta |] (p.Value.ToArray<float>())

let private adamOracle (lr: float) (b1: float) (b2: float) (eps: float) (wd: float) (decoupled: bool) (theta0: float) (grads: float list) =
    let mutable theta, m, v = theta0, 0.0, 0.0
    grads |> List.iteri (fun i g0 ->
        let t = float (i + 1)
        if decoupled then theta <- theta * (1.0 - lr * wd)
        let g = if decoupled then g0 else g0 + wd * theta
        m <- b1 * m + (1.0 - b1) * g
        v <- b2 * v + (1.0 - b2) * g * g
        let mHat = m / (1.0 - b1 ** t)
        let vHat = v / (1.0 - b2 ** t)
        theta <- theta - lr * mHat / (sqrt vHat + eps))
    theta

[<Test>]
let ``Adam and AdamW match the textbook update`` () =
    use scope = Torch.NewScope()
    let grads = [ 0.3; -0.7; 1.1; 0.05; -0.2 ]
    for decoupled in [ false; true ] do
        use p = new Parameter(Torch.FromArray([| 0.8 |]))
        use opt: Optimizer =
            if decoupled then new AdamW([ p ], 0.01, weightDecay = 0.1)
            else new Adam([ p ], 0.01, weightDecay = 0.1)
        for g in grads do
            withGrad p [| g |]
            opt.Step()
        let expected = adamOracle 0.01 0.9 0.999 1e-8 0.1 decoupled 0.8 grads
        // PyTorch's form divides by sqrt(v)/sqrt(bc2) + eps, which differs from the textbook by O(eps).
        TestSupport.assertAllClose (sprintf "adam decoupled=%b" decoupled) 1e-9 1e-9 [| expected |] (p.Value.ToArray<float>())

[<Test>]
let ``masked weights stay exactly zero through 100 steps of every optimizer`` () =
    let makeOptimizers (ps: Parameter list) : Optimizer list =
        [ new Sgd(ps, 0.05)
          new Sgd(ps, 0.05, momentum = 0.9, weightDecay = 1e-3, nesterov = true)
          new Adam(ps, 1e-2, weightDecay = 1e-3)
          new AdamW(ps, 1e-2, weightDecay = 0.1) ]
    for index in 0 .. 3 do
        use scope = Torch.NewScope()
        use init = new Generator(7UL)
        use layer = new Linear(6L, 4L, generator = init)
        let mask = Torch.Bernoulli([| 4L; 6L |], 0.5, init)
        // Train dense for a few steps first so momentum buffers are non-zero where the mask will cut.
        let optimizer = (makeOptimizers (List.ofSeq (layer.Parameters()))).[index]
        use _ = optimizer
        let x = Torch.Randn([| 8L; 6L |], init)
        let y = Torch.RandInt(0L, 4L, [| 8L |], init)
        let step () =
            use inner = Torch.NewScope()
            Functional.CrossEntropy(layer.Forward(x), y).Backward()
            optimizer.Step()
            optimizer.ZeroGrad()
        for _ in 1 .. 5 do step ()
        layer.Weight.SetMask(mask)
        for _ in 1 .. 100 do step ()
        let weights = layer.Weight.Value.ToArray<float32>()
        let keep = mask.ToArray<float32>()
        let leaked = Array.zip weights keep |> Array.filter (fun (w, k) -> k = 0.0f && w <> 0.0f)
        Assert.That(leaked, Is.Empty, sprintf "optimizer %d moved masked weights" index)
        Assert.That(Array.zip weights keep |> Array.exists (fun (w, k) -> k = 1.0f && w <> 0.0f), "kept weights are not all zero")
