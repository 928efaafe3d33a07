/// Deterministic disposal (design rule 1): TorchSharp's dispose scopes free what they own, MoveToOuterDisposeScope
/// hands a tensor outward, TorchSharp's live-tensor count (Symmetry.Torch.TorchRuntime.LiveTensors) comes back to its
/// baseline after a long training loop, nothing is left to the finalizer and RSS stays flat.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.MemoryTests

open System
open System.IO
open NUnit.Framework
open TorchSharp
open Symmetry.Torch
open Symmetry.Properties.TestSupport

/// Resident set size of this process in bytes, from /proc/self/status (VmRSS), after a full GC.
let private residentBytes () =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()
    let line = File.ReadAllLines "/proc/self/status" |> Array.find (fun l -> l.StartsWith "VmRSS:")
    let kb = line.Substring(6).Trim().Split(' ').[0] |> int64
    kb * 1024L

let private settle () =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()

/// True when `scope` owns a tensor created now, i.e. `scope` is the current (innermost) dispose scope.
let private isCurrent (scope: DisposeScope) =
    let probe = torch.empty([| 1L |])
    let owned = scope.Contains probe
    probe.Dispose()
    owned

[<Test>]
let ``10,000 training steps in their own scopes leave no tensor and no RSS growth`` () =
    settle ()
    let liveBefore = TestSupport.liveTensorsSettled ()
    let batch, inputs, classes, lr = 16L, 8L, 4L, 0.1
    do
        use outer = torch.NewDisposeScope()
        use generator = new torch.Generator(7UL)
        let x = torch.randn([| batch; inputs |], generator = generator)
        let y = torch.randint(0L, classes, [| batch |], dtype = ScalarType.Int64, generator = generator)
        let w = (torch.randn([| classes; inputs |], generator = generator) * 0.1).detach().requires_grad_()
        let b = torch.zeros([| classes |]).requires_grad_()
        let parameters = [| w; b |]
        let step () =
            use scope = torch.NewDisposeScope()
            let loss = torch.nn.functional.cross_entropy(torch.nn.functional.linear(x, w, b), y)
            loss.backward()
            do
                use _ = torch.no_grad ()
                for p in parameters do
                    // Each read of grad makes a new wrapper, owned by this step's scope.
                    match p.grad with
                    | null -> Assert.Fail "a parameter has no gradient after backward"
                    | g -> p.add_(g, alpha = lr * -1.0) |> ignore
            for p in parameters do
                match p.grad with
                | null -> ()
                | g -> g.zero_() |> ignore
            loss.ToSingle() |> float
        let firstLoss = step ()
        for _ in 1 .. 499 do
            step () |> ignore
        let liveInLoop = TestSupport.liveTensorsSettled ()
        let rssBefore = residentBytes ()
        let mutable lastLoss = 0.0
        for _ in 1 .. 10_000 do
            lastLoss <- step ()
        let rssAfter = residentBytes ()
        Assert.That(TorchRuntime.LiveTensors, Is.EqualTo liveInLoop, "live tensors drifted during the loop")
        Assert.That(lastLoss, Is.LessThan firstLoss, "the training steps did not lower the loss")
        let growthMb = float (rssAfter - rssBefore) / 1048576.0
        Assert.That(growthMb, Is.LessThan 50.0, sprintf "RSS grew by %.1f MB over 10,000 steps" growthMb)
    settle ()
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo liveBefore, "live tensors after the outer scope")

[<Test>]
let ``a scope frees every tensor created in it, in-place results and gradients included`` () =
    let live = TestSupport.liveTensorsSettled ()
    do
        use scope = torch.NewDisposeScope()
        let x = torch.ones([| 3L |]).requires_grad_()
        (x * x).sum().backward()
        match x.grad with
        | null -> Assert.Fail "no gradient after backward"
        | g -> Assert.That(scope.Contains g, Is.True, "the grad wrapper is not owned by the scope")
        use _ = torch.no_grad ()
        let same = x.add_((1.0).ToScalar())
        Assert.That(same, Is.SameAs x, "an in-place op returned another object")
        Assert.That(TorchRuntime.LiveTensors, Is.GreaterThan(live + 3L))
        Assert.That(scope.DisposablesCount, Is.EqualTo(int (TorchRuntime.LiveTensors - live)))
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo live)

[<Test>]
let ``MoveToOuterDisposeScope keeps a tensor alive past its scope, owned by the enclosing scope`` () =
    let live = TestSupport.liveTensorsSettled ()
    let survivor =
        use outer = torch.NewDisposeScope()
        let returned =
            use inner = torch.NewDisposeScope()
            let temporary = torch.full([| 2L |], (3.0).ToScalar(), dtype = ScalarType.Float64)
            let kept = (temporary * 2.0).MoveToOuterDisposeScope()
            Assert.That(isCurrent inner, Is.True, "the inner scope is not the current one")
            Assert.That(outer.Contains kept, Is.True, "the moved tensor is not owned by the enclosing scope")
            kept, temporary
        let kept, temporary = returned
        Assert.That(temporary.IsInvalid, Is.True, "the inner scope did not free its own tensor")
        Assert.That(kept.IsInvalid, Is.False, "MoveToOuterDisposeScope did not keep the tensor alive")
        assertAllClose "returned tensor" 0.0 0.0 [| 6.0; 6.0 |] (doubles kept)
        Assert.That(outer.DisposablesCount, Is.EqualTo 1)
        kept
    Assert.That(survivor.IsInvalid, Is.True, "the enclosing scope did not free the returned tensor")
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo live)

[<Test>]
let ``MoveToOuterDisposeScope from the outermost scope and DetachFromDisposeScope hand the tensor to the caller`` () =
    let live = TestSupport.liveTensorsSettled ()
    let a, b =
        use scope = torch.NewDisposeScope()
        let a = torch.ones([| 2L |]).MoveToOuterDisposeScope()
        let b = torch.zeros([| 2L |]).DetachFromDisposeScope()
        torch.ones([| 5L |]) |> ignore
        a, b
    Assert.That(a.IsInvalid, Is.False)
    Assert.That(b.IsInvalid, Is.False)
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo(live + 2L))
    a.Dispose()
    b.Dispose()
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo live)

[<Test>]
let ``nested scopes free only their own tensors`` () =
    let live = TestSupport.liveTensorsSettled ()
    use outer = torch.NewDisposeScope()
    let a = torch.ones([| 2L |])
    let b, c =
        use middle = torch.NewDisposeScope()
        let b = torch.ones([| 2L |])
        let c =
            use inner = torch.NewDisposeScope()
            let c = torch.ones([| 2L |]) + b
            Assert.That(inner.DisposablesCount, Is.EqualTo 2) // the ones and the sum
            c
        Assert.That(c.IsInvalid, Is.True)
        Assert.That(b.IsInvalid, Is.False)
        Assert.That(a.IsInvalid, Is.False)
        Assert.That(middle.DisposablesCount, Is.EqualTo 1)
        b, c
    Assert.That(b.IsInvalid, Is.True)
    Assert.That(c.IsInvalid, Is.True)
    Assert.That(a.IsInvalid, Is.False)
    Assert.That(isCurrent outer, Is.True, "the outer scope is not the current one after the inner ones ended")
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo(live + 1L))

[<Test>]
let ``a disposed tensor is not disposed again by its scope`` () =
    let live = TestSupport.liveTensorsSettled ()
    do
        use scope = torch.NewDisposeScope()
        let x = torch.ones([| 2L |])
        x.Dispose()
        Assert.That(TorchRuntime.LiveTensors, Is.EqualTo live)
        Assert.That(scope.DisposablesCount, Is.EqualTo 0)
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo live)
