/// GPU checks: they run where libtorch sees a CUDA device and are skipped, with the reason, elsewhere.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.CudaTests

open NUnit.Framework
open Symmetry.Torch
open Symmetry.Properties.TestSupport

let private requireCuda () =
    if not Device.CudaAvailable then
        Assert.Ignore(sprintf "no CUDA device: libtorch %s reports %d CUDA devices (CPU-only build or no GPU)" Torch.LibTorchVersion Device.CudaCount)

[<Test>]
let ``device parsing and naming round trip`` () =
    Assert.That(Device.Parse "cpu", Is.EqualTo Device.Cpu)
    Assert.That(Device.Parse "cuda", Is.EqualTo(Device.Cuda 0))
    Assert.That(Device.Parse " CUDA:3 ", Is.EqualTo(Device.Cuda 3))
    Assert.That(string (Device.Cuda 2), Is.EqualTo "cuda:2")
    Assert.That(string Device.Cpu, Is.EqualTo "cpu")
    throws<System.ArgumentException> (fun () -> Device.Parse "tpu" |> ignore) |> ignore
    Assert.That(Device.CudaCount, Is.GreaterThanOrEqualTo 0)
    Assert.That(Device.Default, Is.EqualTo(if Device.CudaAvailable then Device.Cuda 0 else Device.Cpu))

[<Test>]
let ``a tensor round trips through the GPU unchanged`` () =
    requireCuda ()
    use scope = Torch.NewScope()
    let data = [| for i in 0 .. 23 -> float i * 0.37 - 4.0 |]
    let cpu = tensorF64 [| 2L; 3L; 4L |] data
    let gpu = cpu.To(Device.Cuda())
    Assert.That(gpu.Device, Is.EqualTo(Device.Cuda 0))
    assertShape "on the GPU" [| 2L; 3L; 4L |] gpu
    let back = gpu.To(Device.Cpu)
    Assert.That(back.Device, Is.EqualTo Device.Cpu)
    assertAllClose "cpu -> cuda -> cpu" 0.0 0.0 data (doubles back)
    // ToArray copies from the GPU directly, and FromArray can create on the GPU.
    assertAllClose "ToArray on a GPU tensor" 0.0 0.0 data (doubles gpu)
    let direct = Torch.FromArray(data, [| 24L |], Device.Cuda())
    Assert.That(direct.Device, Is.EqualTo(Device.Cuda 0))
    assertAllClose "FromArray on the GPU" 0.0 0.0 data (doubles direct)

[<Test>]
let ``matmul on the GPU equals matmul on the CPU`` () =
    requireCuda ()
    use scope = Torch.NewScope()
    use g = new Generator(5UL)
    let a = Torch.Randn([| 33L; 17L |], g, DType.Float64)
    let b = Torch.Randn([| 17L; 29L |], g, DType.Float64)
    let onCpu = a.MatMul b
    let onGpu = a.To(Device.Cuda()).MatMul(b.To(Device.Cuda()))
    Assert.That(onGpu.Device, Is.EqualTo(Device.Cuda 0))
    assertAllClose "matmul cuda vs cpu" 1e-12 1e-12 (doubles onCpu) (doubles (onGpu.To(Device.Cpu)))

[<Test>]
let ``the same generator seed gives the same values on the CPU and the GPU`` () =
    requireCuda ()
    use scope = Torch.NewScope()
    let draw (device: Device) =
        use g = new Generator(99UL)
        [ Torch.Rand([| 100L |], g, DType.Float64, device)
          Torch.Randn([| 100L |], g, DType.Float64, device)
          Torch.RandInt(0L, 1000L, [| 100L |], g, DType.Int64, device).To(DType.Float64)
          Torch.RandPerm(100L, g, DType.Int64, device).To(DType.Float64) ]
        |> List.map (fun t ->
            Assert.That(t.Device, Is.EqualTo device)
            doubles (t.To(Device.Cpu)))
    for cpu, gpu in List.zip (draw Device.Cpu) (draw (Device.Cuda())) do
        assertAllClose "same seed on cpu and cuda" 0.0 0.0 cpu gpu

[<Test>]
let ``gradients computed on the GPU equal those on the CPU`` () =
    requireCuda ()
    use scope = Torch.NewScope()
    let data = [| for i in 0 .. 11 -> float i * 0.1 - 0.5 |]
    let grad (device: Device) =
        let x = (tensorF64 [| 3L; 4L |] data).To(device).Detach().WithRequiresGrad()
        (Functional.Softmax(x, 1L) * x).Sum().Backward()
        match x.Grad with
        | null -> failwith "no gradient"
        | g -> doubles (g.To(Device.Cpu))
    assertAllClose "grad cuda vs cpu" 1e-12 1e-12 (grad Device.Cpu) (grad (Device.Cuda()))
