// Smoke demo: tensors, then one epoch of a tiny MLP (784-64-10) on Fashion-MNIST; the loss should fall.
#load "_prelude.fsx"
open _prelude
open Symmetry.Torch
open Symmetry.Core.Data

let seed = uint64 (argOr "seed" "42")
let dataDir = argOr "data" Mnist.FashionMnistDirectory
Torch.SetThreadCount(int (argOr "threads" "1"))
printfn "Symmetry demo — %s" (describeRuntime ())

do
    use scope = Torch.NewScope()
    let a = Torch.FromArray(array2D [ [ 1.0f; 2.0f ]; [ 3.0f; 4.0f ] ])
    printfn "a @ a + 1 = %O" (a.MatMul(a) + 1.0)

let struct (images, labels) = Mnist.Load(dataDir, train = true)
let n = images.Size 0
let init = Generator.ForPurpose(seed, "init")
let order = Generator.ForPurpose(seed, "data-order")

/// Kaiming-uniform weights (out, in) and zero bias, owned by the script.
let layer (fanIn: int64) (fanOut: int64) =
    use scope = Torch.NewScope()
    let bound = sqrt (6.0 / float fanIn)
    let w = Torch.Empty([| fanOut; fanIn |]).UniformInPlace(-bound, bound, init).DetachFromScope().WithRequiresGrad()
    let b = Torch.Zeros([| fanOut |]).DetachFromScope().WithRequiresGrad()
    [ w; b ]

let parameters = layer 784L 64L @ layer 64L 10L
let lr, batch = 0.1, 128L
let permutation = Torch.RandPerm(n, order).DetachFromScope()
let mutable runningLoss = 0.0

for step in 0L .. (n / batch) - 1L do
    use scope = Torch.NewScope()
    let index = permutation.Narrow(0, step * batch, batch)
    let x = images.IndexSelect(0, index).Flatten(1)
    let y = labels.IndexSelect(0, index)
    let hidden = Functional.Linear(x, parameters.[0], parameters.[1]).Relu()
    let loss = Functional.CrossEntropy(Functional.Linear(hidden, parameters.[2], parameters.[3]), y)
    loss.Backward()
    do
        use _ = Torch.NoGrad()
        for p in parameters do
            p.AddInPlace(p.Grad, -lr) |> ignore
            p.ZeroGrad()
    runningLoss <- runningLoss + loss.ToDouble()
    if (step + 1L) % 50L = 0L then
        printfn "step %4d  mean loss over last 50 batches %.4f" (step + 1L) (runningLoss / 50.0)
        runningLoss <- 0.0

for t in parameters @ [ images; labels; permutation ] do t.Dispose()
init.Dispose(); order.Dispose()
printfn "live tensors at exit: %d" Torch.LiveTensors
