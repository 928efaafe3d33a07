/// TorchSharp's optimizers, which training relies on: updates against hand-computed formulas, and masked weights
/// staying exactly zero under the mask protocol of the training loop (mask the gradients, step, re-apply the mask).
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.OptimizerTests

open System
open NUnit.Framework
open TorchSharp
open TorchSharp.Modules
open Symmetry.Torch
open Symmetry.Core.Masks

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// A float64 parameter holding `values`.
let private parameter (values: float[]) = new Parameter(torch.tensor(values))

/// Sets the gradient of `p` to `grad` (float64).
let private withGrad (p: Parameter) (grad: float[]) =
    use g = torch.tensor(grad)
    p.grad <- g

let private values (p: Parameter) = p.data<float>().ToArray()

[<Test>]
let ``SGD with momentum and weight decay matches the hand-computed update`` () =
    use scope = torch.NewDisposeScope()
    use p = parameter [| 1.0; -2.0 |]
    use sgd = torch.optim.SGD([ p ], 0.1, momentum = 0.9, weight_decay = 0.01)
    let grads = [ [| 0.5; 0.25 |]; [| -1.0; 2.0 |]; [| 0.0; 1.0 |] ]
    // Oracle: d = g + wd*theta; b = d (first) else 0.9 b + d; theta -= lr * b
    let mutable theta = [| 1.0; -2.0 |]
    let mutable buffer = [| 0.0; 0.0 |]
    grads |> List.iteri (fun step g ->
        withGrad p g
        sgd.step() |> ignore
        let d = Array.map2 (fun gi ti -> gi + 0.01 * ti) g theta
        buffer <- if step = 0 then d else Array.map2 (fun b di -> 0.9 * b + di) buffer d
        theta <- Array.map2 (fun t b -> t - 0.1 * b) theta buffer)
    TestSupport.assertAllClose "sgd momentum" 1e-12 1e-14 theta (values p)

[<Test>]
let ``Nesterov SGD matches the hand-computed update`` () =
    use scope = torch.NewDisposeScope()
    use p = parameter [| 0.5 |]
    use sgd = torch.optim.SGD([ p ], 0.2, momentum = 0.5, nesterov = true)
    let mutable theta, buffer = 0.5, 0.0
    for step, g in List.indexed [ 1.0; 2.0; -1.0 ] do
        withGrad p [| g |]
        sgd.step() |> ignore
        buffer <- if step = 0 then g else 0.5 * buffer + g
        theta <- theta - 0.2 * (g + 0.5 * buffer)
    TestSupport.assertAllClose "nesterov" 1e-12 1e-14 [| theta |] (values p)

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
    use scope = torch.NewDisposeScope()
    let grads = [ 0.3; -0.7; 1.1; 0.05; -0.2 ]
    for decoupled in [ false; true ] do
        use p = parameter [| 0.8 |]
        use opt: torch.optim.Optimizer =
            if decoupled then torch.optim.AdamW([ p ], 0.01, weight_decay = 0.1)
            else torch.optim.Adam([ p ], 0.01, weight_decay = 0.1)
        for g in grads do
            withGrad p [| g |]
            opt.step() |> ignore
        let expected = adamOracle 0.01 0.9 0.999 1e-8 0.1 decoupled 0.8 grads
        // PyTorch's form divides by sqrt(v)/sqrt(bc2) + eps, which differs from the textbook by O(eps).
        TestSupport.assertAllClose (sprintf "adam decoupled=%b" decoupled) 1e-9 1e-9 [| expected |] (values p)

[<Test>]
let ``masked weights stay exactly zero through 100 steps of every optimizer`` () =
    let makeOptimizer (index: int) (ps: Parameter seq) : torch.optim.Optimizer =
        match index with
        | 0 -> torch.optim.SGD(ps, 0.05)
        | 1 -> torch.optim.SGD(ps, 0.05, momentum = 0.9, weight_decay = 1e-3, nesterov = true)
        | 2 -> torch.optim.Adam(ps, 1e-2, weight_decay = 1e-3)
        | _ -> torch.optim.AdamW(ps, 1e-2, weight_decay = 0.1)
    for index in 0 .. 3 do
        use init = new torch.Generator(7UL)
        use layer = torch.nn.Linear(6L, 4L)
        SeededInit.PyTorchDefault(layer.weight, layer.bias, init)
        use scope = torch.NewDisposeScope()
        let keep = torch.empty([| 4L; 6L |]).bernoulli_(0.5, init)
        use mask = (new ModelMask()).Add("weight", keep)
        // Train dense for a few steps first so momentum buffers are non-zero where the mask will cut.
        use optimizer = makeOptimizer index (layer.parameters())
        let x = torch.randn([| 8L; 6L |], generator = init)
        let y = torch.randint(0L, 4L, [| 8L |], generator = init)
        let step (masked: bool) =
            use inner = torch.NewDisposeScope()
            torch.nn.functional.cross_entropy(layer.forward x, y).backward()
            // The training loop's protocol: masked gradients, step, mask re-applied.
            if masked then mask.MaskGradients(layer)
            optimizer.step() |> ignore
            if masked then mask.ApplyTo(layer)
            optimizer.zero_grad()
        for _ in 1 .. 5 do step false
        mask.ApplyTo(layer)
        for _ in 1 .. 100 do step true
        let weights = layer.weight.data<float32>().ToArray()
        let keepValues = keep.data<float32>().ToArray()
        let leaked = Array.zip weights keepValues |> Array.filter (fun (w, k) -> k = 0.0f && w <> 0.0f)
        Assert.That(leaked, Is.Empty, sprintf "optimizer %d moved masked weights" index)
        Assert.That(Array.zip weights keepValues |> Array.exists (fun (w, k) -> k = 1.0f && w <> 0.0f), "kept weights are not all zero")
        Assert.That(keepValues |> Array.exists ((=) 0.0f), "the mask cuts something")
