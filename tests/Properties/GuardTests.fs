/// Global runtime state is set through disposable guards that restore the previous value (design rule 11): TorchSharp's
/// no_grad/enable_grad for grad mode, and Symmetry.Torch.Guards for grad mode, train/eval mode and the thread count.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.GuardTests

open System
open NUnit.Framework
open TorchSharp
open Symmetry.Torch
open Symmetry.Properties.TestSupport

[<Test>]
let ``no_grad turns recording off inside and restores the previous mode after`` () =
    use scope = torch.NewDisposeScope()
    Assert.That(torch.is_grad_enabled (), Is.True, "grad mode should be on by default")
    let x = torch.ones([| 3L |]).requires_grad_()
    do
        use _ = torch.no_grad ()
        Assert.That(torch.is_grad_enabled (), Is.False)
        let y = x * 2.0
        Assert.That(y.requires_grad, Is.False, "a result computed under no_grad requires grad")
        Assert.That((y.sum() + x.exp().sum()).requires_grad, Is.False)
    Assert.That(torch.is_grad_enabled (), Is.True)
    Assert.That((x * 2.0).requires_grad, Is.True, "recording did not come back after no_grad")

[<Test>]
let ``nested no_grad and enable_grad guards restore each previous mode in turn`` () =
    use scope = torch.NewDisposeScope()
    let x = torch.ones([| 2L |]).requires_grad_()
    let outer = torch.no_grad ()
    Assert.That(torch.is_grad_enabled (), Is.False)
    let inner = torch.no_grad ()
    Assert.That(torch.is_grad_enabled (), Is.False)
    let enable = torch.enable_grad ()
    Assert.That(torch.is_grad_enabled (), Is.True)
    Assert.That((x * x).requires_grad, Is.True, "enable_grad inside no_grad should record")
    enable.Dispose()
    Assert.That(torch.is_grad_enabled (), Is.False, "enable_grad did not restore the no_grad it was nested in")
    inner.Dispose()
    Assert.That(torch.is_grad_enabled (), Is.False, "the inner no_grad restored 'on' although the outer one is still open")
    outer.Dispose()
    Assert.That(torch.is_grad_enabled (), Is.True)

[<Test>]
let ``Guards.GradMode sets the mode, restores the previous one (nested too) and a second Dispose changes nothing`` () =
    use scope = torch.NewDisposeScope()
    let x = torch.ones([| 2L |]).requires_grad_()
    Assert.That(torch.is_grad_enabled (), Is.True)
    let off = Guards.GradMode false
    Assert.That(torch.is_grad_enabled (), Is.False)
    Assert.That((x * x).requires_grad, Is.False, "GradMode false still records")
    let on = Guards.GradMode true
    Assert.That(torch.is_grad_enabled (), Is.True)
    Assert.That((x * x).requires_grad, Is.True, "GradMode true inside GradMode false should record")
    on.Dispose()
    Assert.That(torch.is_grad_enabled (), Is.False, "GradMode true did not restore the GradMode false it was nested in")
    off.Dispose()
    Assert.That(torch.is_grad_enabled (), Is.True)
    // Disposing a guard twice does not change the mode again.
    let g = Guards.GradMode false
    g.Dispose()
    use _ = Guards.GradMode false
    g.Dispose()
    Assert.That(torch.is_grad_enabled (), Is.False, "a second Dispose of a finished guard changed the mode")

[<Test>]
let ``grad mode is per thread`` () =
    use _ = torch.no_grad ()
    let mutable other = false
    let t = System.Threading.Thread(fun () -> other <- torch.is_grad_enabled ())
    t.Start()
    t.Join()
    Assert.That(torch.is_grad_enabled (), Is.False)
    Assert.That(other, Is.True, "no_grad on one thread turned recording off on another")

[<Test>]
let ``Guards.Threads sets the intra-op thread count and restores the previous one, nested too`` () =
    let before = torch.get_num_threads ()
    Assert.That(before, Is.GreaterThanOrEqualTo 1)
    do
        use _ = Guards.Threads(before + 1)
        Assert.That(torch.get_num_threads (), Is.EqualTo(before + 1))
        do
            use _ = Guards.Threads 1
            Assert.That(torch.get_num_threads (), Is.EqualTo 1)
            // Work still runs with the changed count.
            use scope = torch.NewDisposeScope()
            Assert.That(torch.ones([| 64L; 64L |]).matmul(torch.ones([| 64L; 64L |])).sum().ToSingle(), Is.EqualTo(float32 (64.0 ** 3.0)))
        Assert.That(torch.get_num_threads (), Is.EqualTo(before + 1))
    Assert.That(torch.get_num_threads (), Is.EqualTo before)

[<Test>]
let ``Guards.SetThreads sets the count it is given`` () =
    let before = torch.get_num_threads ()
    try
        Guards.SetThreads 1
        Assert.That(torch.get_num_threads (), Is.EqualTo 1)
        Guards.SetThreads(before + 1)
        Assert.That(torch.get_num_threads (), Is.EqualTo(before + 1))
    finally
        torch.set_num_threads before
    Assert.That(torch.get_num_threads (), Is.EqualTo before)

[<Test>]
let ``an invalid thread count is refused and changes nothing`` () =
    let before = torch.get_num_threads ()
    for count in [ 0; -1; Int32.MinValue ] do
        let e = throws<ArgumentOutOfRangeException> (fun () -> Guards.Threads count |> ignore)
        Assert.That(e.ParamName, Is.EqualTo "count")
        Assert.That(torch.get_num_threads (), Is.EqualTo before)
        throws<ArgumentOutOfRangeException> (fun () -> Guards.SetThreads count) |> ignore
        Assert.That(torch.get_num_threads (), Is.EqualTo before)

/// A module with a child, so that the mode must reach the children as well.
let private twoLayers () =
    torch.nn.Sequential(("0", torch.nn.Linear(3L, 4L) :> torch.nn.Module<Tensor, Tensor>), ("1", torch.nn.ReLU() :> torch.nn.Module<Tensor, Tensor>))

let private modes (m: torch.nn.Module) =
    m.training :: [ for struct (_, child) in m.named_modules () -> child.training ]

[<Test>]
let ``Guards.Mode puts a module and its children in train or eval mode and restores the previous mode, nested too`` () =
    use model = twoLayers ()
    Assert.That(modes model |> List.forall id, Is.True, "a new module should be in training mode")
    do
        use _ = Guards.Mode(model, false)
        Assert.That(modes model |> List.forall not, Is.True, sprintf "Mode false left some module training: %A" (modes model))
        do
            use _ = Guards.Mode(model, true)
            Assert.That(modes model |> List.forall id, Is.True, sprintf "Mode true left some module in eval: %A" (modes model))
        Assert.That(modes model |> List.forall not, Is.True, "the inner Mode did not restore eval mode")
    Assert.That(modes model |> List.forall id, Is.True, "Mode did not restore training mode")
    model.eval () |> ignore
    do
        use g = Guards.Mode(model, true)
        Assert.That(model.training, Is.True)
        g.Dispose()
        Assert.That(model.training, Is.False, "Mode did not restore eval mode")
        model.train () |> ignore
        // A second Dispose does not change the mode again.
        g.Dispose()
        Assert.That(model.training, Is.True, "a second Dispose of a finished Mode guard changed the mode")
