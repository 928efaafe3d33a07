/// libtorch's errors reach .NET as TorchSharp's ExternalException carrying libtorch's own message, the process keeps
/// working afterwards, and misuse on the .NET side (a disposed tensor, a wrong element type, a shape that does not
/// hold the data) gives clear .NET exceptions.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ErrorTests

open System
open System.Runtime.InteropServices
open NUnit.Framework
open TorchSharp
open Symmetry.Torch
open Symmetry.Properties.TestSupport

/// Runs `action` and returns the ExternalException (libtorch's error, as TorchSharp raises it) it must raise.
let private expectTorchError (action: unit -> unit) : ExternalException = throws<ExternalException> action

/// The first line of an error message: libtorch's own message (TorchSharp appends the C++ backtrace after it).
let private firstLine (message: string) = message.Split('\n').[0]

/// A small op whose result is known: the process still works.
let private assertStillWorks () =
    use scope = torch.NewDisposeScope()
    let a = tensorF64 [| 2L; 2L |] [| 1.0; 2.0; 3.0; 4.0 |]
    let b = tensorF64 [| 2L; 2L |] [| 5.0; 6.0; 7.0; 8.0 |]
    assertAllClose "matmul after an error" 0.0 0.0 [| 19.0; 22.0; 43.0; 50.0 |] (doubles (a.matmul b))

// A shape mismatch in TorchSharp 0.107.0's matmul is not caught by its native layer and aborts the process
// ("terminate called after throwing an instance of 'c10::Error'"), so the in-process checks below use mm, which
// reports the same libtorch error; RuntimeTests checks matmul's behaviour in a fresh process.

[<Test>]
let ``mm shape mismatch raises ExternalException with libtorch's message`` () =
    let live = TestSupport.liveTensorsSettled ()
    do
        use scope = torch.NewDisposeScope()
        let a = torch.ones([| 3L; 4L |])
        let b = torch.ones([| 3L; 4L |])
        let e = expectTorchError (fun () -> a.mm(b) |> ignore)
        Assert.That(e.Message, Does.Contain "mat1 and mat2 shapes cannot be multiplied")
        Assert.That(e.Message, Does.Contain "3x4 and 3x4")
        // libtorch's message comes first (the C++ backtrace TorchSharp appends follows it).
        Assert.That(firstLine e.Message, Does.StartWith "mat1 and mat2 shapes cannot be multiplied (3x4 and 3x4)")
    // The failed op left no tensor behind.
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo live)
    assertStillWorks ()

[<Test>]
let ``errors from different ops carry their own message and do not leak into the next error`` () =
    use scope = torch.NewDisposeScope()
    let x = torch.ones([| 2L; 3L |])
    let e1 = expectTorchError (fun () -> x.reshape(4L, 2L) |> ignore)
    Assert.That(firstLine e1.Message, Does.Contain "invalid for input of size 6")
    let e2 = expectTorchError (fun () -> x.select(0L, 5L) |> ignore)
    Assert.That(firstLine e2.Message, Does.Contain "out of range")
    Assert.That(e2.Message, Does.Not.Contain "invalid for input of size 6")
    let e3 = expectTorchError (fun () -> (x + torch.ones([| 4L |])) |> ignore)
    Assert.That(firstLine e3.Message, Does.Contain "must match the size")
    Assert.That(e3.Message, Does.Not.Contain "out of range")
    assertStillWorks ()

[<Test>]
let ``many errors in a row keep the process healthy`` () =
    use scope = torch.NewDisposeScope()
    let a = torch.ones([| 3L; 4L |])
    for _ in 1 .. 100 do
        expectTorchError (fun () -> a.mm(a) |> ignore) |> ignore
    assertStillWorks ()

[<Test>]
let ``an out-of-memory-sized allocation raises ExternalException and the process keeps working`` () =
    let live = TestSupport.liveTensorsSettled ()
    let e = expectTorchError (fun () -> torch.empty([| 1L <<< 40; 1L <<< 20 |]) |> ignore)
    Assert.That(e.Message, Is.Not.Empty)
    Assert.That(firstLine e.Message, Does.Contain "can't allocate memory")
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo live)
    assertStillWorks ()

/// TorchSharp's error for a tensor whose native handle is gone.
let private expectDisposed (action: unit -> unit) =
    let e = throws<InvalidOperationException> action
    Assert.That(e.Message, Does.Contain "Tensor invalid")

[<Test>]
let ``a disposed tensor raises InvalidOperationException`` () =
    use scope = torch.NewDisposeScope()
    let x = torch.ones([| 2L |])
    x.Dispose()
    Assert.That(x.IsInvalid, Is.True)
    expectDisposed (fun () -> x.sum() |> ignore)
    expectDisposed (fun () -> x.shape |> ignore)
    expectDisposed (fun () -> singles x |> ignore)
    expectDisposed (fun () -> (x + x) |> ignore)
    // Disposing twice is allowed.
    x.Dispose()
    Assert.That(x.IsInvalid, Is.True)

[<Test>]
let ``a tensor used after its scope ended raises InvalidOperationException`` () =
    let escaped =
        use scope = torch.NewDisposeScope()
        torch.ones([| 2L |])
    Assert.That(escaped.IsInvalid, Is.True)
    expectDisposed (fun () -> escaped.sum() |> ignore)
    // As an argument too (the other operand is the disposed one).
    use scope = torch.NewDisposeScope()
    let y = torch.ones([| 2L |])
    expectDisposed (fun () -> (y + escaped) |> ignore)
    expectDisposed (fun () -> torch.cat([| y; escaped |]) |> ignore)

[<Test>]
let ``reading a Float32 tensor as double raises a clear ArgumentException`` () =
    use scope = torch.NewDisposeScope()
    let x = torch.ones([| 2L; 2L |])
    let e = throws<ArgumentException> (fun () -> doubles x |> ignore)
    Assert.That(e.Message, Does.Contain "Float32")
    Assert.That(e.Message, Does.Contain "Double")
    let e2 = throws<ArgumentException> (fun () -> longs x |> ignore)
    Assert.That(e2.Message, Does.Contain "Float32")
    // The conversion works.
    assertAllClose "after conversion" 0.0 0.0 [| 1.0; 1.0; 1.0; 1.0 |] (doubles (x.``to`` ScalarType.Float64))

[<Test>]
let ``an array with a shape that does not hold the data raises ArgumentException`` () =
    use scope = torch.NewDisposeScope()
    let live = TestSupport.liveTensorsSettled ()
    throws<ArgumentException> (fun () -> torch.tensor([| 1.0; 2.0; 3.0 |], ReadOnlySpan<int64>([| 2L; 2L |])) |> ignore)
    |> ignore
    throws<ArgumentException> (fun () -> tensorF64 [| 2L; 2L |] [| 1.0; 2.0; 3.0 |] |> ignore) |> ignore
    Assert.That(TorchRuntime.LiveTensors, Is.EqualTo live)

[<Test>]
let ``backward on a tensor that does not require grad raises ExternalException`` () =
    use scope = torch.NewDisposeScope()
    let x = torch.ones([| 2L |])
    let e = expectTorchError (fun () -> x.sum().backward())
    Assert.That(firstLine e.Message, Does.Contain "does not require grad")
    assertStillWorks ()

/// UPSTREAM BUG WATCH (skipped with the reason while the bug is present, passes once fixed): libtorch (1.13 then, 2.10 under TorchSharp 0.107.0 now) accepts max_pool2d parameters
/// whose pooling window lies entirely in the padding (dilation > 1 with padding, pytorch/pytorch#114216). The
/// forward returns -inf with out-of-range argmax indices (index 2 for a 1x1 input) and the backward then writes the
/// gradient at those indices: a heap buffer overflow ("corrupted size vs. prev_size", "malloc_consolidate():
/// unaligned fastbin chunk detected" and a crashed test host). Such parameters should be refused with an
/// ExternalException, as libtorch does for other invalid pooling arguments; until then, code must not pool with
/// them. Only the forward runs here, which is harmless.
[<Test>]
let ``max_pool2d whose window misses the input is refused instead of corrupting memory in backward`` () =
    use scope = torch.NewDisposeScope()
    let x = torch.ones([| 1L; 1L; 1L; 1L |], dtype = ScalarType.Float64)
    let refused =
        try
            let y = torch.nn.functional.max_pool2d(x, 2L, stride = 1L, padding = 1L, dilation = 2L)
            Some(doubles y)
        with :? ExternalException ->
            None
    match refused with
    | None -> ()
    | Some values ->
        Assert.Ignore(
            sprintf "max_pool2d(kernel 2, stride 1, padding 1, dilation 2) on a 1x1 input was accepted and returned %A; \
                     its backward would write out of bounds. Expected an ExternalException." values)
