/// Learning-rate schedules against their closed forms, and scheduler state restore.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.ScheduleTests

open NUnit.Framework
open TorchSharp
open TorchSharp.Modules
open Symmetry.Torch
open Symmetry.Core.Training

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

[<Test>]
let ``schedules follow their closed forms`` () =
    let close a b = abs (a - b) < 1e-12
    let check (name: string) (s: Schedule) (f: int64 -> float) =
        for t in 0L .. 40L do
            Assert.That(close (s.Factor t) (f t), sprintf "%s at t=%d: %g vs %g" name t (s.Factor t) (f t))
    check "step" (Schedule.StepDecay(7L, 0.5)) (fun t -> 0.5 ** float (t / 7L))
    check "multistep" (Schedule.MultiStep([ 10L; 25L ], 0.1)) (fun t -> if t >= 25L then 0.01 elif t >= 10L then 0.1 else 1.0)
    check "exponential" (Schedule.Exponential 0.95) (fun t -> 0.95 ** float t)
    check "cosine" (Schedule.Cosine(20L, 0.1)) (fun t -> if t >= 20L then 0.1 else 0.1 + 0.9 * (1.0 + cos (System.Math.PI * float t / 20.0)) / 2.0)
    check "warmup" (Schedule.LinearWarmup(4L, Schedule.Exponential 0.5)) (fun t -> if t < 4L then float (t + 1L) / 5.0 else 0.5 ** float (t - 4L))

[<Test>]
let ``scheduler and optimizer state restore exactly`` () =
    use scope = torch.NewDisposeScope()
    use p = new Parameter(torch.tensor([| 1.0; 2.0 |]))
    use adam = torch.optim.Adam([ p ], 0.1)
    let scheduler = Scheduler(adam, Schedule.StepDecay(2L, 0.5))
    let setGrad (q: Parameter) (g: float) =
        use grad = torch.tensor([| g; -g |])
        q.grad <- grad
    let step g =
        setGrad p g
        adam.step() |> ignore
        scheduler.Step()
    for g in [ 0.1; 0.4; -0.3 ] do step g
    use saved = OptimizerStates.Flatten adam
    let savedSteps = scheduler.Steps
    use snapshot = p.detach().clone()
    for g in [ 0.2; 0.7 ] do step g
    let continued = p.data<float>().ToArray()
    // Restore into a fresh optimizer and parameter, replay the same gradients.
    use p2 = new Parameter(snapshot.clone())
    use adam2 = torch.optim.Adam([ p2 ], 999.0)
    OptimizerStates.Restore(adam2, saved)
    let scheduler2 = Scheduler(adam2, Schedule.StepDecay(2L, 0.5), 0.1)
    scheduler2.Restore(savedSteps)
    for g in [ 0.2; 0.7 ] do
        setGrad p2 g
        adam2.step() |> ignore
        scheduler2.Step()
    TestSupport.assertArrayEqual "restored run" continued (p2.data<float>().ToArray())
