/// Global runtime state is set through disposable guards that restore the previous value (design rule 10).
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.GuardTests

open NUnit.Framework
open Symmetry.Torch
open Symmetry.Properties.TestSupport

[<Test>]
let ``NoGrad turns recording off inside and restores the previous mode after`` () =
    use scope = Torch.NewScope()
    Assert.That(Torch.IsGradEnabled, Is.True, "grad mode should be on by default")
    let x = Torch.Ones([| 3L |]).WithRequiresGrad()
    do
        use _ = Torch.NoGrad()
        Assert.That(Torch.IsGradEnabled, Is.False)
        let y = x * 2.0
        Assert.That(y.RequiresGrad, Is.False, "a result computed under NoGrad requires grad")
        Assert.That((y.Sum() + x.Exp().Sum()).RequiresGrad, Is.False)
    Assert.That(Torch.IsGradEnabled, Is.True)
    Assert.That((x * 2.0).RequiresGrad, Is.True, "recording did not come back after NoGrad")

[<Test>]
let ``nested NoGrad and EnableGrad guards restore each previous mode in turn`` () =
    use scope = Torch.NewScope()
    let x = Torch.Ones([| 2L |]).WithRequiresGrad()
    let outer = Torch.NoGrad()
    Assert.That(Torch.IsGradEnabled, Is.False)
    let inner = Torch.NoGrad()
    Assert.That(Torch.IsGradEnabled, Is.False)
    let enable = Torch.EnableGrad()
    Assert.That(Torch.IsGradEnabled, Is.True)
    Assert.That((x * x).RequiresGrad, Is.True, "EnableGrad inside NoGrad should record")
    enable.Dispose()
    Assert.That(Torch.IsGradEnabled, Is.False, "EnableGrad did not restore the NoGrad it was nested in")
    inner.Dispose()
    Assert.That(Torch.IsGradEnabled, Is.False, "the inner NoGrad restored 'on' although the outer one is still open")
    outer.Dispose()
    Assert.That(Torch.IsGradEnabled, Is.True)
    // Disposing a guard twice does not change the mode again.
    let g = Torch.NoGrad()
    g.Dispose()
    use _ = Torch.NoGrad()
    g.Dispose()
    Assert.That(Torch.IsGradEnabled, Is.False, "a second Dispose of a finished guard changed the mode")

[<Test>]
let ``grad mode is per thread`` () =
    use _ = Torch.NoGrad()
    let mutable other = false
    let t = System.Threading.Thread(fun () -> other <- Torch.IsGradEnabled)
    t.Start()
    t.Join()
    Assert.That(Torch.IsGradEnabled, Is.False)
    Assert.That(other, Is.True, "NoGrad on one thread turned recording off on another")

[<Test>]
let ``Threads sets the intra-op thread count and restores the previous one, nested too`` () =
    let before = Torch.ThreadCount
    Assert.That(before, Is.GreaterThanOrEqualTo 1)
    do
        use _ = Torch.Threads(before + 1)
        Assert.That(Torch.ThreadCount, Is.EqualTo(before + 1))
        do
            use _ = Torch.Threads 1
            Assert.That(Torch.ThreadCount, Is.EqualTo 1)
            // Work still runs with the changed count.
            use scope = Torch.NewScope()
            Assert.That(Torch.Ones([| 64L; 64L |]).MatMul(Torch.Ones([| 64L; 64L |])).Sum().ToDouble(), Is.EqualTo(64.0 ** 3.0))
        Assert.That(Torch.ThreadCount, Is.EqualTo(before + 1))
    Assert.That(Torch.ThreadCount, Is.EqualTo before)

[<Test>]
let ``an invalid thread count is refused and changes nothing`` () =
    let before = Torch.ThreadCount
    throws<TorchException> (fun () -> Torch.Threads 0 |> ignore) |> ignore
    Assert.That(Torch.ThreadCount, Is.EqualTo before)

[<Test>]
let ``Deterministic sets the flag and restores the previous value, nested too`` () =
    let before = Torch.IsDeterministic
    do
        use _ = Torch.Deterministic(not before)
        Assert.That(Torch.IsDeterministic, Is.EqualTo(not before))
        do
            use _ = Torch.Deterministic before
            Assert.That(Torch.IsDeterministic, Is.EqualTo before)
        Assert.That(Torch.IsDeterministic, Is.EqualTo(not before))
    Assert.That(Torch.IsDeterministic, Is.EqualTo before)
    do
        use _ = Torch.Deterministic true
        Assert.That(Torch.IsDeterministic, Is.True)
        // Reading the flag does not change it.
        Assert.That(Torch.IsDeterministic, Is.True)
    Assert.That(Torch.IsDeterministic, Is.EqualTo before)
