/// GPU checks: they run where TorchSharp sees a CUDA device (torch.cuda.is_available()) and are skipped, with the
/// reason, elsewhere. The project restores TorchSharp with libtorch's CPU natives; a GPU user who installs the
/// TorchSharp CUDA package runs them.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.CudaTests

open System
open NUnit.Framework
open TorchSharp
open Symmetry.Properties.TestSupport

let private requireCuda () =
    if not (torch.cuda.is_available ()) then
        Assert.Ignore(
            sprintf
                "no CUDA device: torch.cuda.is_available() is false (%d CUDA devices; TorchSharp runs on libtorch's CPU natives or there is no GPU)"
                (torch.cuda.device_count ()))

let private isCuda (index: int) (d: torch.Device) = d.``type`` = DeviceType.CUDA && d.index = index

[<Test>]
let ``device parsing and naming round trip`` () =
    let cpu = torch.device "cpu"
    Assert.That(cpu.``type``, Is.EqualTo DeviceType.CPU)
    Assert.That(string cpu, Is.EqualTo "cpu")
    Assert.That(torch.CPU.``type``, Is.EqualTo DeviceType.CPU)
    throws<ArgumentException> (fun () -> torch.device "tpu" |> ignore) |> ignore
    Assert.That(torch.cuda.device_count (), Is.GreaterThanOrEqualTo 0)
    Assert.That(torch.cuda.device_count () > 0, Is.EqualTo(torch.cuda.is_available ()))
    // Naming a CUDA device initialises TorchSharp's CUDA backend, which fails without one.
    requireCuda ()
    Assert.That(isCuda 0 (torch.device "cuda") || (torch.device "cuda").index = -1, Is.True, "'cuda' is not CUDA device 0")
    Assert.That(isCuda 3 (torch.device "cuda:3"), Is.True)
    Assert.That(string (torch.device "cuda:2"), Is.EqualTo "cuda:2")
    Assert.That(torch.CUDA.``type``, Is.EqualTo DeviceType.CUDA)

[<Test>]
let ``a tensor round trips through the GPU unchanged`` () =
    requireCuda ()
    use scope = torch.NewDisposeScope()
    let data = [| for i in 0 .. 23 -> float i * 0.37 - 4.0 |]
    let cpu = tensorF64 [| 2L; 3L; 4L |] data
    let gpu = cpu.cuda ()
    Assert.That(isCuda 0 gpu.device, Is.True, sprintf "on %O" gpu.device)
    assertShape "on the GPU" [| 2L; 3L; 4L |] gpu
    let back = gpu.cpu ()
    Assert.That(back.device.``type``, Is.EqualTo DeviceType.CPU)
    assertAllClose "cpu -> cuda -> cpu" 0.0 0.0 data (doubles back)
    // A tensor can be created on the GPU directly.
    let direct = torch.tensor(data, dtype = ScalarType.Float64, device = torch.CUDA)
    Assert.That(isCuda 0 direct.device, Is.True, sprintf "on %O" direct.device)
    assertAllClose "created on the GPU" 0.0 0.0 data (doubles (direct.cpu ()))

[<Test>]
let ``matmul on the GPU equals matmul on the CPU`` () =
    requireCuda ()
    use scope = torch.NewDisposeScope()
    use g = new torch.Generator(5UL)
    let a = torch.randn([| 33L; 17L |], dtype = ScalarType.Float64, generator = g)
    let b = torch.randn([| 17L; 29L |], dtype = ScalarType.Float64, generator = g)
    let onCpu = a.matmul b
    let onGpu = a.cuda().matmul(b.cuda ())
    Assert.That(isCuda 0 onGpu.device, Is.True)
    assertAllClose "matmul cuda vs cpu" 1e-12 1e-12 (doubles onCpu) (doubles (onGpu.cpu ()))

/// The project's seeded draws come from CPU generators (Symmetry.Torch.Generators) and are moved to the device, so
/// that a run on the GPU draws exactly what the same run draws on the CPU (CUDA's own generator is another stream).
[<Test>]
let ``the same generator seed gives the same values on the CPU and the GPU`` () =
    requireCuda ()
    use scope = torch.NewDisposeScope()
    let draw (device: torch.Device) =
        use g = new torch.Generator(99UL)
        [ torch.rand([| 100L |], dtype = ScalarType.Float64, generator = g)
          torch.randn([| 100L |], dtype = ScalarType.Float64, generator = g)
          torch.randint(0L, 1000L, [| 100L |], dtype = ScalarType.Int64, generator = g).``to``(ScalarType.Float64)
          torch.randperm(100L, generator = g).``to``(ScalarType.Float64) ]
        |> List.map (fun t ->
            let moved = t.``to`` device
            Assert.That(moved.device.``type``, Is.EqualTo device.``type``)
            doubles (moved.cpu ()))
    for cpu, gpu in List.zip (draw torch.CPU) (draw torch.CUDA) do
        assertAllClose "same seed on cpu and cuda" 0.0 0.0 cpu gpu

[<Test>]
let ``gradients computed on the GPU equal those on the CPU`` () =
    requireCuda ()
    use scope = torch.NewDisposeScope()
    let data = [| for i in 0 .. 11 -> float i * 0.1 - 0.5 |]
    let grad (device: torch.Device) =
        let x = (tensorF64 [| 3L; 4L |] data).``to``(device).detach().requires_grad_()
        (torch.nn.functional.softmax(x, 1L) * x).sum().backward()
        match x.grad with
        | null -> failwith "no gradient"
        | g -> doubles (g.cpu ())
    assertAllClose "grad cuda vs cpu" 1e-12 1e-12 (grad torch.CPU) (grad torch.CUDA)
