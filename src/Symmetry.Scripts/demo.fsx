// Smoke demo: tensors, then one epoch of a tiny MLP (784-64-10) on Fashion-MNIST; the loss should fall.
//   dotnet fsi src/Symmetry.Scripts/demo.fsx [--seed 42] [--data DIR] [--threads 1]
#load "_prelude.fsx"
open TorchSharp
open Symmetry
open Symmetry.Torch
open Symmetry.Core.Data

let flags = Flags.OfScript fsi.CommandLineArgs
let seed = uint64 (flags.Int("seed", 42))
let dataDir = flags.String("data", Mnist.FashionMnistDirectory)
Flags.Checked(fun () -> Runtime.threads (flags.Int("threads", 1)))
flags.Finish()
printfn "Symmetry demo — %s" (Runtime.describe torch.CPU)

do
    use scope = torch.NewDisposeScope()
    let a = torch.tensor([| 1.0f; 2.0f; 3.0f; 4.0f |]).reshape(2L, 2L)
    printfn "a @ a + 1 = %s" ((a.matmul(a) + 1.0).ToString(TensorStringStyle.Numpy))

let struct (images, labels) = Mnist.Load(dataDir, train = true)
let n = images.size 0
let init = Generators.ForPurpose(seed, "init")
let order = Generators.ForPurpose(seed, "data-order")

/// Kaiming-uniform weights (out, in) and zero bias, owned by the script (created outside any dispose scope).
let layer (fanIn: int64) (fanOut: int64) =
    let bound = sqrt (6.0 / float fanIn)
    let w = torch.empty([| fanOut; fanIn |]).uniform_(-bound, bound, init).requires_grad_()
    let b = torch.zeros([| fanOut |]).requires_grad_()
    [ w; b ]

let parameters = layer 784L 64L @ layer 64L 10L
let lr, batch = 0.1, 128L
let permutation = torch.randperm(n, generator = order)
let mutable runningLoss = 0.0

for step in 0L .. (n / batch) - 1L do
    use scope = torch.NewDisposeScope()
    let index = permutation.narrow(0L, step * batch, batch)
    let x = images.index_select(0L, index).flatten(1L)
    let y = labels.index_select(0L, index)
    let hidden = torch.nn.functional.linear(x, parameters.[0], parameters.[1]).relu()
    let loss = torch.nn.functional.cross_entropy(torch.nn.functional.linear(hidden, parameters.[2], parameters.[3]), y)
    loss.backward()
    do
        use _ = torch.no_grad()
        for p in parameters do
            // The grad getter makes a new wrapper on every read: this scope disposes it.
            let grad = p.grad
            p.add_(grad, alpha = -lr) |> ignore
            grad.zero_() |> ignore
    runningLoss <- runningLoss + float (loss.item<float32> ())
    if (step + 1L) % 50L = 0L then
        printfn "step %4d  mean loss over last 50 batches %.4f" (step + 1L) (runningLoss / 50.0)
        runningLoss <- 0.0

for t in parameters @ [ images; labels; permutation ] do t.Dispose()
init.Dispose(); order.Dispose()
printfn "live tensors at exit: %d" TorchRuntime.LiveTensors
