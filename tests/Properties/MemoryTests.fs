/// Deterministic disposal (design rule 1): scopes free what they own, Return hands a tensor outward, the live-handle
/// counters come back to their baseline after a long training loop, nothing reaches the finalizer and RSS stays flat.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.MemoryTests

open System
open System.IO
open NUnit.Framework
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

[<Test>]
let ``10,000 training steps in their own scopes leave no handle and no RSS growth`` () =
    settle ()
    let liveBefore = Torch.LiveTensors
    let nativeBefore = Torch.NativeLiveTensors
    Assert.That(nativeBefore, Is.EqualTo liveBefore, "native and managed live counts differ before the test")
    let batch, inputs, classes, lr = 16L, 8L, 4L, 0.1
    do
        use outer = Torch.NewScope()
        use generator = new Generator(7UL)
        let x = Torch.Randn([| batch; inputs |], generator)
        let y = Torch.RandInt(0L, classes, [| batch |], generator)
        let w = (Torch.Randn([| classes; inputs |], generator) * 0.1).Detach().WithRequiresGrad()
        let b = Torch.Zeros([| classes |]).WithRequiresGrad()
        let parameters = [| w; b |]
        let step () =
            use scope = Torch.NewScope()
            let loss = Functional.CrossEntropy(Functional.Linear(x, w, b), y)
            loss.Backward()
            do
                use _ = Torch.NoGrad()
                for p in parameters do
                    match p.Grad with
                    | null -> Assert.Fail "a parameter has no gradient after backward"
                    | g -> p.AddInPlace(g, -lr) |> ignore
            for p in parameters do
                p.ZeroGrad()
            loss.ToDouble()
        let firstLoss = step ()
        for _ in 1 .. 499 do
            step () |> ignore
        let liveInLoop = Torch.LiveTensors
        let rssBefore = residentBytes ()
        let mutable lastLoss = 0.0
        for _ in 1 .. 10_000 do
            lastLoss <- step ()
        let rssAfter = residentBytes ()
        Assert.That(Torch.LiveTensors, Is.EqualTo liveInLoop, "live tensors drifted during the loop")
        Assert.That(Torch.NativeLiveTensors, Is.EqualTo Torch.LiveTensors, "the shim holds handles .NET does not")
        Assert.That(lastLoss, Is.LessThan firstLoss, "the training steps did not lower the loss")
        let growthMb = float (rssAfter - rssBefore) / 1048576.0
        Assert.That(growthMb, Is.LessThan 50.0, sprintf "RSS grew by %.1f MB over 10,000 steps" growthMb)
    settle ()
    Assert.That(Torch.LiveTensors, Is.EqualTo liveBefore, "live tensors after the outer scope")
    Assert.That(Torch.NativeLiveTensors, Is.EqualTo nativeBefore, "native live tensors after the outer scope")

[<Test>]
let ``a scope frees every tensor created in it, in-place results and gradients included`` () =
    let live = Torch.LiveTensors
    do
        use scope = Torch.NewScope()
        let x = Torch.Ones([| 3L |]).WithRequiresGrad()
        (x * x).Sum().Backward()
        let g = x.Grad
        Assert.That(g, Is.Not.Null)
        use _ = Torch.NoGrad()
        x.AddInPlace(1.0) |> ignore
        Assert.That(Torch.LiveTensors, Is.GreaterThan(live + 3L))
        Assert.That(scope.OwnedCount, Is.EqualTo(int (Torch.LiveTensors - live)))
    Assert.That(Torch.LiveTensors, Is.EqualTo live)
    Assert.That(Torch.NativeLiveTensors, Is.EqualTo Torch.LiveTensors)

[<Test>]
let ``scope.Return keeps a tensor alive past its scope, owned by the enclosing scope`` () =
    let live = Torch.LiveTensors
    let survivor =
        use outer = Torch.NewScope()
        let returned =
            use inner = Torch.NewScope()
            let temporary = Torch.Full([| 2L |], 3.0, DType.Float64)
            let kept = inner.Return(temporary * 2.0)
            Assert.That(TensorScope.Current, Is.SameAs inner)
            kept, temporary
        let kept, temporary = returned
        Assert.That(temporary.IsDisposed, Is.True, "the inner scope did not free its own tensor")
        Assert.That(kept.IsDisposed, Is.False, "Return did not keep the tensor alive")
        assertAllClose "returned tensor" 0.0 0.0 [| 6.0; 6.0 |] (doubles kept)
        Assert.That(outer.OwnedCount, Is.EqualTo 1)
        kept
    Assert.That(survivor.IsDisposed, Is.True, "the enclosing scope did not free the returned tensor")
    Assert.That(Torch.LiveTensors, Is.EqualTo live)

[<Test>]
let ``Return from the outermost scope and DetachFromScope hand the tensor to the caller`` () =
    let live = Torch.LiveTensors
    let a, b =
        use scope = Torch.NewScope()
        let a = scope.Return(Torch.Ones([| 2L |]))
        let b = Torch.Zeros([| 2L |]).DetachFromScope()
        Torch.Ones([| 5L |]) |> ignore
        a, b
    Assert.That(a.IsDisposed, Is.False)
    Assert.That(b.IsDisposed, Is.False)
    Assert.That(Torch.LiveTensors, Is.EqualTo(live + 2L))
    a.Dispose()
    b.Dispose()
    Assert.That(Torch.LiveTensors, Is.EqualTo live)

[<Test>]
let ``nested scopes free only their own tensors`` () =
    let live = Torch.LiveTensors
    use outer = Torch.NewScope()
    let a = Torch.Ones([| 2L |])
    let b, c =
        use middle = Torch.NewScope()
        let b = Torch.Ones([| 2L |])
        let c =
            use inner = Torch.NewScope()
            let c = Torch.Ones([| 2L |]) + b
            Assert.That(inner.OwnedCount, Is.EqualTo 2) // the ones and the sum
            c
        Assert.That(c.IsDisposed, Is.True)
        Assert.That(b.IsDisposed, Is.False)
        Assert.That(a.IsDisposed, Is.False)
        Assert.That(middle.OwnedCount, Is.EqualTo 1)
        b, c
    Assert.That(b.IsDisposed, Is.True)
    Assert.That(c.IsDisposed, Is.True)
    Assert.That(a.IsDisposed, Is.False)
    Assert.That(TensorScope.Current, Is.SameAs outer)
    Assert.That(Torch.LiveTensors, Is.EqualTo(live + 1L))

[<Test>]
let ``ending an outer scope while an inner one is open is refused`` () =
    use outer = Torch.NewScope()
    let inner = Torch.NewScope()
    throws<InvalidOperationException> (fun () -> outer.Dispose()) |> ignore
    inner.Dispose()
    Assert.That(TensorScope.Current, Is.SameAs outer)

[<Test>]
let ``a disposed tensor is not disposed again by its scope`` () =
    let live = Torch.LiveTensors
    do
        use scope = Torch.NewScope()
        let x = Torch.Ones([| 2L |])
        x.Dispose()
        Assert.That(Torch.LiveTensors, Is.EqualTo live)
        Assert.That(scope.OwnedCount, Is.EqualTo 0)
    Assert.That(Torch.LiveTensors, Is.EqualTo live)
    Assert.That(Torch.NativeLiveTensors, Is.EqualTo live)
