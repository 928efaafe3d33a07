/// Golden values recorded with the pre-TorchSharp binding (tests/Properties/golden, see its README): the port must
/// reproduce every zoo model's initial weights and buffers bit for bit, every mask type's mask bit for bit, the seeded
/// draws exactly, the first two training losses of mnist-fc and mnist-cnn to 1e-5 relative, and must load the old
/// training checkpoint with the tensors it recorded.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.GoldenTests

open System
open System.Collections.Generic
open System.Globalization
open System.IO
open System.Runtime.InteropServices
open System.Security.Cryptography
open System.Text.Json
open NUnit.Framework
open TorchSharp
open Symmetry.Torch
open Symmetry.Torch.Serialization
open Symmetry.Core.Masks
open Symmetry.Core.Models
open Symmetry.Core.Training

type private Tensor = torch.Tensor
type private ScalarType = torch.ScalarType

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// The golden directory, next to this source file (independent of the project file and the build output).
let private goldenDirectory = Path.Combine(__SOURCE_DIRECTORY__, "golden")

let private golden =
    lazy
        (let path = Path.Combine(goldenDirectory, "golden.json")
         if not (File.Exists path) then failwithf "%s is missing" path
         JsonDocument.Parse(File.ReadAllText path))

let private root () = golden.Force().RootElement

let private prop (name: string) (e: JsonElement) = e.GetProperty name

let private str (name: string) (e: JsonElement) = (prop name e).GetString() |> nonNull

let private items (e: JsonElement) = [ for x in e.EnumerateArray() -> x ]

let private shapeOf (e: JsonElement) = [| for d in (prop "shape" e).EnumerateArray() -> d.GetInt64() |]

/// The seed and label of the recorded model initialisations.
let private initSeed, initLabel = 1234UL, "init"

// ---------------------------------------------------------------- tensor fingerprints

let private asBytes<'T when 'T: unmanaged and 'T: struct and 'T :> ValueType and 'T: (new: unit -> 'T)> (xs: 'T[]) =
    MemoryMarshal.AsBytes(ReadOnlySpan<'T>(xs)).ToArray()

/// The golden dtype name of a tensor.
let private dtypeName (t: Tensor) =
    match t.dtype with
    | ScalarType.Float32 -> "float32"
    | ScalarType.Float64 -> "float64"
    | ScalarType.Int64 -> "int64"
    | ScalarType.Int32 -> "int32"
    | ScalarType.Byte -> "uint8"
    | ScalarType.Bool -> "bool"
    | other -> string other

/// The raw little-endian bytes of the contiguous CPU tensor, row-major.
let private rawBytes (t: Tensor) : byte[] =
    use scope = torch.NewDisposeScope()
    let c = t.detach().cpu().contiguous()
    match c.dtype with
    | ScalarType.Float32 -> asBytes (c.data<float32>().ToArray())
    | ScalarType.Float64 -> asBytes (c.data<float>().ToArray())
    | ScalarType.Int64 -> asBytes (c.data<int64>().ToArray())
    | ScalarType.Int32 -> asBytes (c.data<int>().ToArray())
    | ScalarType.Byte -> c.data<byte>().ToArray()
    | ScalarType.Bool -> c.data<bool>().ToArray() |> Array.map (fun b -> if b then 1uy else 0uy)
    | other -> failwithf "no golden fingerprint for dtype %A" other

let private sha256 (bytes: byte[]) = Convert.ToHexString(SHA256.HashData bytes).ToLowerInvariant()

/// The first few values of a tensor as text, for mismatch reports.
let private firstValues (t: Tensor) =
    use scope = torch.NewDisposeScope()
    let flat = t.detach().cpu().flatten().to_type(ScalarType.Float64)
    let n = min 4L (flat.numel())
    flat.narrow(0L, 0L, n).data<float>().ToArray() |> Array.map (fun v -> v.ToString("R", CultureInfo.InvariantCulture)) |> String.concat ", "

/// Compares a tensor with a golden entry (shape, dtype, sha256); returns the differences found.
let private compareEntry (what: string) (entry: JsonElement) (t: Tensor) =
    [ let expectedShape = shapeOf entry
      if t.shape <> expectedShape then yield sprintf "%s: shape %A, golden %A" what t.shape expectedShape
      let expectedDtype = str "dtype" entry
      if dtypeName t <> expectedDtype then yield sprintf "%s: dtype %s, golden %s" what (dtypeName t) expectedDtype
      let hash = sha256 (rawBytes t)
      if hash <> str "sha256" entry then
          let recorded =
              match entry.TryGetProperty "first" with
              | true, first -> items first |> List.map (fun v -> v.GetRawText()) |> String.concat ", "
              | _ -> "(not recorded)"
          yield sprintf "%s: sha256 differs; first values now [%s], golden [%s]" what (firstValues t) recorded ]

let private failOn (what: string) (problems: string list) =
    if not problems.IsEmpty then
        Assert.Fail(sprintf "%s: %d mismatch(es) against the golden values:\n%s" what problems.Length (String.concat "\n" problems))

// ---------------------------------------------------------------- zoo

let private configOf (text: string) =
    match text with
    | "1x28x28" -> ModelConfig()
    | "3x32x32" -> ModelConfig.Cifar10
    | other -> failwithf "unknown golden config %s" other

/// Every parameter then every buffer of a model by name (the golden order: parameters in definition order, then buffers).
let private goldenOrder (model: torch.nn.Module) =
    [ for struct (n, p) in model.named_parameters() -> n, (p :> Tensor) ] @ [ for struct (n, b) in model.named_buffers() -> n, b ]

let private checkZoo (section: string) =
    let models = items (prop section (prop "zoo" (root ())))
    Assert.That(models, Is.Not.Empty)
    let problems =
        [ for m in models do
            let name = str "model" m
            let config = configOf (str "config" m)
            use g = Generators.ForPurpose(initSeed, initLabel)
            use model = ModelZoo.Create(name, config, g)
            let what = sprintf "%s %s" name (str "config" m)
            if string model.InitScheme <> str "init_scheme" m then
                yield sprintf "%s: init scheme %O, golden %s" what model.InitScheme (str "init_scheme" m)
            let count = model.parameters() |> Seq.sumBy (fun p -> p.numel())
            if count <> (prop "parameter_count" m).GetInt64() then
                yield sprintf "%s: %d parameters, golden %d" what count ((prop "parameter_count" m).GetInt64())
            let entries = items (prop "entries" m)
            let ours = goldenOrder model
            let goldenNames = entries |> List.map (str "name")
            if List.map fst ours <> goldenNames then
                yield sprintf "%s: names (parameters, then buffers)\n  now    %A\n  golden %A" what (List.map fst ours) goldenNames
            let byName = dict ours
            for entry in entries do
                let n = str "name" entry
                match byName.TryGetValue n with
                | true, t -> yield! compareEntry (sprintf "%s %s" what n) entry t
                | _ -> yield sprintf "%s: no %s" what n ]
    failOn section problems

[<Test>]
let ``the init seed derives as recorded`` () =
    Assert.That(Seeds.Derive(initSeed, initLabel), Is.EqualTo(UInt64.Parse(str "init_seed_derived" (prop "zoo" (root ())))))

[<Test>]
let ``every zoo model's initial parameters and buffers are bit-identical to the golden values`` () =
    use _ = Guards.Threads 1
    checkZoo "models"

[<Test>]
let ``every zoo model taking both inputs is bit-identical on 3x32x32 too`` () =
    use _ = Guards.Threads 1
    checkZoo "also_cifar10"

// ---------------------------------------------------------------- masks

let private compareMask (what: string) (entries: JsonElement list) (mask: ModelMask) =
    [ let goldenNames = entries |> List.map (str "name")
      if List.ofSeq mask.Names <> goldenNames then yield sprintf "%s: names %A, golden %A" what (List.ofSeq mask.Names) goldenNames
      for entry in entries do
          let n = str "name" entry
          if mask.Contains n then
              let t = mask.[n]
              yield! compareEntry (sprintf "%s %s" what n) entry t
              let ones = t.data<float32>().ToArray() |> Array.sumBy (fun v -> if v = 1.0f then 1L else 0L)
              if ones <> (prop "ones" entry).GetInt64() then yield sprintf "%s %s: %d ones, golden %d" what n ones ((prop "ones" entry).GetInt64())
          else yield sprintf "%s: no %s" what n ]

[<Test>]
let ``every mask type's mask and propagated mask are bit-identical to the golden values`` () =
    let section = prop "masks" (root ())
    let model = str "model" section
    let sparsity = (prop "sparsity" section).GetDouble()
    let maskSeed = (prop "mask_seed" section).GetUInt64()
    use g = Generators.ForPurpose(initSeed, initLabel)
    use net = ModelZoo.Create(model, ModelConfig(), g)
    let types = [ for t in (prop "types" section).EnumerateObject() -> t.Name, t.Value ]
    Assert.That(types |> List.map fst, Is.EquivalentTo MaskTypes.Names, "every mask type is recorded")
    let problems =
        [ for typeName, recorded in types do
            let maskType = MaskTypes.Parse typeName
            if string maskType <> str "enum" recorded then yield sprintf "%s: enum %O, golden %s" typeName maskType (str "enum" recorded)
            use mask = ModelMasks.Create(net, maskType, sparsity, maskSeed)
            yield! compareMask typeName (items (prop "entries" recorded)) mask
            use propagated = MaskPropagation.Propagate(net, mask)
            yield! compareMask (typeName + " propagated") (items (prop "propagated" recorded)) propagated ]
    failOn "masks" problems

// ---------------------------------------------------------------- seeded draws

/// The draws in the recorded order, each from the given generator, as (name, tensor).
let private draws: (string * (torch.Generator -> Tensor)) list =
    [ "randperm_10", (fun g -> torch.randperm(10L, generator = g))
      "normal_5_mean0_std1", (fun g -> torch.empty([| 5L |]).normal_(0.0, 1.0, g))
      "bernoulli_8_p0.3", (fun g -> torch.full([| 8L |], (0.3).ToScalar(), dtype = ScalarType.Float32).bernoulli(g))
      "uniform_5_-1_1", (fun g -> torch.empty([| 5L |]).uniform_(-1.0, 1.0, g))
      "rand_5", (fun g -> torch.rand([| 5L |], generator = g))
      "randn_5", (fun g -> torch.randn([| 5L |], generator = g))
      "randint_0_100_5", (fun g -> torch.randint(0L, 100L, [| 5L |], dtype = ScalarType.Int64, generator = g)) ]

let private compareDraw (what: string) (recorded: JsonElement) (t: Tensor) =
    [ let dtype = str "dtype" recorded
      if dtypeName t <> dtype then yield sprintf "%s: dtype %s, golden %s" what (dtypeName t) dtype
      else
          let values = items (prop "values" recorded)
          match dtype with
          | "int64" ->
              let expected = values |> List.map (fun v -> v.GetInt64()) |> Array.ofList
              let actual = t.data<int64>().ToArray()
              if expected <> actual then yield sprintf "%s: %A, golden %A" what actual expected
          | _ ->
              let expected = values |> List.map (fun v -> v.GetSingle()) |> Array.ofList
              let actual = t.data<float32>().ToArray()
              if asBytes expected <> asBytes actual then yield sprintf "%s: %A, golden %A" what actual expected ]

[<Test>]
let ``seeded draws reproduce the golden values exactly, fresh and in sequence`` () =
    let section = prop "draws" (root ())
    let seed = (prop "seed" section).GetUInt64()
    use scope = torch.NewDisposeScope()
    let problems =
        [ let fresh = prop "fresh" section
          for name, draw in draws do
              use g = new torch.Generator(seed)
              yield! compareDraw ("fresh " + name) (prop name fresh) (draw g)
          let sequential = prop "sequential" section
          use g = new torch.Generator(seed)
          for name, draw in draws do
              yield! compareDraw ("sequential " + name) (prop name sequential) (draw g) ]
    failOn "draws" problems

// ---------------------------------------------------------------- first training losses

/// The recorded synthetic data: x = randn([64, 1, 28, 28]) then y = randint(0, 10, [64]) from one Generator(5).
let private syntheticData (section: JsonElement) =
    use g = new torch.Generator((prop "data_seed" section).GetUInt64())
    let x = torch.randn([| 64L; 1L; 28L; 28L |], generator = g).DetachFromDisposeScope()
    let y = torch.randint(0L, 10L, [| 64L |], dtype = ScalarType.Int64, generator = g).DetachFromDisposeScope()
    x, y

/// Training data of one epoch made of the two recorded batches, unshuffled; no evaluation sets.
let private twoBatches (x: Tensor) (y: Tensor) (batch: int64) =
    { new ITrainingData with
        member _.TrainBatches(_epoch) =
            seq {
                yield Batch(x.narrow(0L, 0L, batch), y.narrow(0L, 0L, batch))
                yield Batch(x.narrow(0L, batch, batch), y.narrow(0L, batch, batch))
            }
        member _.TrainEvaluationBatches() = Seq.empty
        member _.TestBatches() = Seq.empty }

/// Records the loss of every step.
type private LossRecorder() =
    member val Losses = ResizeArray<float>()
    interface ITrainingCallback with
        member this.OnStep(_, loss) = this.Losses.Add(loss.ToDouble())

[<TestCase("mnist-fc")>]
[<TestCase("mnist-cnn")>]
let ``the first two training losses match the golden values to 1e-5 relative`` (model: string) =
    let section = prop "losses" (root ())
    let recorded = prop model (prop "models" section)
    use _ = Guards.Threads 1
    let x, y = syntheticData section
    use x = x
    use y = y
    let data = prop "synthetic_data" section
    failOn "synthetic data" (compareEntry "x" (prop "x" data) x)
    Assert.That(sha256 (rawBytes y), Is.EqualTo(str "sha256" (prop "y" data)), "synthetic labels")
    use g = Generators.ForPurpose(initSeed, initLabel)
    use net = ModelZoo.Create(model, ModelConfig(), g)
    use adam = torch.optim.Adam(net.parameters(), (prop "lr" recorded).GetDouble(), 0.9, 0.999, 1e-8, 0.0)
    let recorder = LossRecorder()
    use trainer =
        new Trainer(net, adam, twoBatches x y ((prop "batch_size" section).GetInt64()),
                    TrainerOptions(Epochs = 1, Seed = 1234UL, EvaluateEachEpoch = false))
    trainer.AddCallback recorder
    trainer.Run() |> ignore
    let expected = items (prop "losses" recorded) |> List.map (fun v -> v.GetDouble())
    TestContext.Out.WriteLine(
        sprintf "%s losses now %s, golden %s; cumulative gradient norm now %s, golden %s" model
            (recorder.Losses |> Seq.map (fun v -> v.ToString("R", CultureInfo.InvariantCulture)) |> String.concat ", ")
            (expected |> List.map (fun v -> v.ToString("R", CultureInfo.InvariantCulture)) |> String.concat ", ")
            (trainer.CumulativeGradientNorm.ToString("R", CultureInfo.InvariantCulture)) (str "cumulative_gradient_norm" recorded))
    Assert.That(recorder.Losses.Count, Is.EqualTo 2, "two steps")
    List.iteri (fun i (golden: float) ->
        let now = recorder.Losses.[i]
        Assert.That(abs (now - golden), Is.LessThanOrEqualTo(1e-5 * abs golden),
                    sprintf "%s step %d loss %s, golden %s" model (i + 1) (now.ToString("R", CultureInfo.InvariantCulture)) (golden.ToString("R", CultureInfo.InvariantCulture)))) expected

// ---------------------------------------------------------------- the old training checkpoint

let private checkpointPath () =
    Path.Combine(goldenDirectory, str "file" (prop "checkpoint" (root ())))

[<Test>]
let ``the golden checkpoint file reads back with the recorded entries and metadata`` () =
    let section = prop "checkpoint" (root ())
    let path = checkpointPath ()
    let bytes = File.ReadAllBytes path
    Assert.That(int64 bytes.Length, Is.EqualTo((prop "file_bytes" section).GetInt64()), "file size")
    Assert.That(sha256 bytes, Is.EqualTo(str "file_sha256" section), "file sha256")
    use file = SafeTensors.Load(path)
    let entries = items (prop "entries" section)
    TestSupport.assertArrayEqual "entry names in file order" (entries |> List.map (str "name") |> Array.ofList) (Array.ofSeq file.Names)
    failOn "checkpoint file" [ for entry in entries do yield! compareEntry (str "name" entry) entry file.[str "name" entry] ]
    let metadata = [ for kv in (prop "metadata" section).EnumerateObject() -> kv.Name, kv.Value.GetString() |> nonNull ]
    for key, value in metadata do
        Assert.That(file.Metadata.[key], Is.EqualTo value, "metadata " + key)
    Assert.That(file.Metadata.Count, Is.EqualTo metadata.Length, "no other metadata")

[<Test>]
let ``the old training checkpoint restores with the new checkpoint code, tensors as recorded`` () =
    let section = prop "checkpoint" (root ())
    let entries = items (prop "entries" section)
    let metadata = prop "metadata" section
    let model = str "model" section
    // A trainer built another way (other init, other learning rate), so that anything the restore skipped would show.
    use g = Generators.ForPurpose(99UL, initLabel)
    use net = ModelZoo.Create(model, ModelConfig(), g)
    use adam = torch.optim.Adam(net.parameters(), 0.5)
    let noData =
        { new ITrainingData with
            member _.TrainBatches(_epoch) = Seq.empty
            member _.TrainEvaluationBatches() = Seq.empty
            member _.TestBatches() = Seq.empty }
    use trainer = new Trainer(net, adam, noData, TrainerOptions(Epochs = 1, Seed = UInt64.Parse(str "seed" metadata), EvaluateEachEpoch = false))
    TrainingCheckpoint.Restore(trainer, checkpointPath ()) |> ignore
    Assert.That(trainer.Epoch, Is.EqualTo(Int32.Parse(str "epoch" metadata)))
    Assert.That(trainer.Step, Is.EqualTo(Int64.Parse(str "step" metadata)))
    Assert.That(trainer.CumulativeGradientNorm, Is.EqualTo(Double.Parse(str "cumulative_gradient_norm" metadata, CultureInfo.InvariantCulture)))
    Assert.That((Seq.head adam.ParamGroups).LearningRate, Is.EqualTo(Double.Parse(str "scheduler_base_lr" metadata, CultureInfo.InvariantCulture)))
    let modelTensors = dict (goldenOrder net)
    use optimizer = OptimizerStates.Flatten adam
    let under (prefix: string) = entries |> List.filter (fun e -> (str "name" e).StartsWith prefix)
    let strip (prefix: string) (e: JsonElement) = (str "name" e).Substring prefix.Length
    let sameNames what (recorded: string list) (now: string seq) =
        TestSupport.assertArrayEqual what (recorded |> List.sort |> Array.ofList) (now |> Seq.sort |> Array.ofSeq)
    sameNames "model entries" (under "model." |> List.map (strip "model.")) modelTensors.Keys
    sameNames "optimizer entries" (under "optimizer." |> List.map (strip "optimizer.")) optimizer.Names
    sameNames "init entries" (under "init." |> List.map (strip "init.")) trainer.InitialParameters.Names
    Assert.That(entries |> List.forall (fun e -> [ "model."; "optimizer."; "init." ] |> List.exists (str "name" e).StartsWith), "no other sections")
    let problems =
        [ for e in under "model." do yield! compareEntry (str "name" e) e modelTensors.[strip "model." e]
          for e in under "optimizer." do yield! compareEntry (str "name" e) e optimizer.[strip "optimizer." e]
          for e in under "init." do yield! compareEntry (str "name" e) e trainer.InitialParameters.[strip "init." e] ]
    failOn "restored checkpoint" problems
