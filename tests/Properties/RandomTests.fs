/// Reproducibility (design rule 3): the same seed gives bit-identical draws, through the global generator and
/// through explicit generators; a saved generator state continues the same stream; sub-seeds are a stable
/// SHA-256 of (seed, label), checked against an independent computation and against known values.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.RandomTests

open System
open System.Buffers.Binary
open System.Security.Cryptography
open System.Text
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Properties.TestSupport

/// Every seeded random draw the library relies on (TorchSharp's, and our SeededDropout), each read back as raw bits
/// (int64 per element) so that equality is bit-for-bit. `gen` = None uses the global generator.
let private draws (gen: torch.Generator option) : (string * int64[]) list =
    let g = Option.toObj gen
    let bits32 (t: Tensor) = singles t |> Array.map (fun v -> int64 (BitConverter.SingleToInt32Bits v))
    let bits64 (t: Tensor) = doubles t |> Array.map BitConverter.DoubleToInt64Bits
    use scope = torch.NewDisposeScope()
    let probabilities = tensorF64 [| 3L; 5L |] [| for i in 1 .. 15 -> float i |]
    [ "rand", bits32 (torch.rand([| 4L; 5L |], generator = g))
      "rand float64", bits64 (torch.rand([| 7L |], dtype = ScalarType.Float64, generator = g))
      "randn", bits32 (torch.randn([| 4L; 5L |], generator = g))
      "randn float64", bits64 (torch.randn([| 7L |], dtype = ScalarType.Float64, generator = g))
      "randint", longs (torch.randint(-5L, 1000L, [| 30L |], dtype = ScalarType.Int64, generator = g))
      "randperm", longs (torch.randperm(50L, generator = g))
      "bernoulli(p)", bits32 (torch.empty([| 40L |]).bernoulli_(0.3, g))
      "bernoulli(tensor)", bits64 (torch.bernoulli(tensorF64 [| 40L |] (Array.init 40 (fun i -> 0.1 + 0.2 * float (i % 5))), g))
      "multinomial", longs (torch.multinomial(probabilities, 4L, false, g))
      "multinomial with replacement", longs (torch.multinomial(probabilities, 9L, true, g))
      "uniform_", bits32 (torch.empty([| 10L |]).uniform_(-2.0, 3.0, g))
      "normal_", bits64 (torch.empty([| 10L |], dtype = ScalarType.Float64).normal_(1.0, 0.5, g))
      "dropout",
      bits32 (
          match gen with
          | None -> torch.nn.functional.dropout(torch.ones([| 30L |]), 0.5)
          | Some explicitGenerator ->
              use dropout = new SeededDropout(0.5, explicitGenerator)
              dropout.forward(torch.ones([| 30L |]))
      ) ]

let private assertSameDraws (what: string) (a: (string * int64[]) list) (b: (string * int64[]) list) =
    for (name, x), (_, y) in List.zip a b do
        assertArrayEqual (sprintf "%s: %s" what name) x y

let private assertAllDrawsDiffer (what: string) (a: (string * int64[]) list) (b: (string * int64[]) list) =
    for (name, x), (_, y) in List.zip a b do
        if x = y then Assert.Fail(sprintf "%s: %s gave the same values for different seeds/positions: %A" what name x)

let private genSeed = Gen.choose64 (0L, Int64.MaxValue) |> Gen.map uint64

[<Property(MaxTest = 30)>]
let ``same global seed gives bit-identical draws; a different seed differs`` () =
    Prop.forAll (arb (Gen.zip genSeed genSeed |> Gen.filter (fun (a, b) -> a <> b))) (fun (seed, other) ->
        torch.manual_seed(int64 seed) |> ignore
        let first = draws None
        torch.manual_seed(int64 seed) |> ignore
        let second = draws None
        assertSameDraws "manual_seed twice" first second
        torch.manual_seed(int64 other) |> ignore
        assertAllDrawsDiffer "manual_seed, other seed" first (draws None))

[<Property(MaxTest = 30)>]
let ``same generator seed gives bit-identical draws; a different seed differs`` () =
    Prop.forAll (arb (Gen.zip genSeed genSeed |> Gen.filter (fun (a, b) -> a <> b))) (fun (seed, other) ->
        let run s =
            use g = new torch.Generator(s)
            Assert.That(uint64 (g.initial_seed()), Is.EqualTo s)
            draws (Some g)
        let first = run seed
        // The global generator in between does not disturb an explicit one.
        torch.manual_seed(int64 (seed + 1UL)) |> ignore
        draws None |> ignore
        assertSameDraws "Generator twice" first (run seed)
        assertAllDrawsDiffer "Generator, other seed" first (run other))

[<Test>]
let ``a generator's stream advances: two draws in a row differ`` () =
    use g = new torch.Generator(3UL)
    assertAllDrawsDiffer "consecutive draws" (draws (Some g)) (draws (Some g))

[<Property(MaxTest = 20)>]
let ``a saved generator state continues exactly the same stream, in the same or another generator`` () =
    Prop.forAll (arb (Gen.zip genSeed (Gen.choose (0, 3)))) (fun (seed, warmup) ->
        use g = new torch.Generator(seed)
        for _ in 1 .. warmup do
            draws (Some g) |> ignore
        let state = Generators.GetState g
        let next = draws (Some g)
        let after = draws (Some g)
        Generators.SetState(g, state)
        assertSameDraws "restored in the same generator (first draw)" next (draws (Some g))
        assertSameDraws "restored in the same generator (second draw)" after (draws (Some g))
        use other = new torch.Generator(seed ^^^ 0x5555UL)
        Generators.SetState(other, state)
        assertSameDraws "restored in another generator" next (draws (Some other))
        // The state is a value: reading it twice gives the same bytes, and it is not empty.
        Assert.That(state.Length, Is.GreaterThan 0)
        Generators.SetState(g, state)
        assertArrayEqual "GetState after SetState" state (Generators.GetState g))

/// The specification of Seeds.Derive, recomputed here: SHA-256 of UTF-8 "{seed}/{label}", the first eight bytes
/// read little-endian, top bit cleared.
let private deriveIndependently (seed: uint64) (label: string) =
    use sha = SHA256.Create()
    let digest = sha.ComputeHash(Encoding.UTF8.GetBytes(seed.ToString(Globalization.CultureInfo.InvariantCulture) + "/" + label))
    BinaryPrimitives.ReadUInt64LittleEndian(ReadOnlySpan(digest, 0, 8)) &&& 0x7FFF_FFFF_FFFF_FFFFUL

/// Labels of any valid UTF-16 text (no lone surrogates, which UTF-8 would all encode as U+FFFD), empty included.
let private genLabel =
    ArbMap.defaults
    |> ArbMap.generate<char>
    |> Gen.filter (fun c -> not (Char.IsSurrogate c))
    |> Gen.arrayOf
    |> Gen.map String

let private genUInt64 = ArbMap.defaults |> ArbMap.generate<uint64>

[<Property>]
let ``Seeds.Derive equals an independent SHA-256 computation`` () =
    Prop.forAll (arb (Gen.zip genUInt64 genLabel)) (fun (seed, label) ->
        Seeds.Derive(seed, label) = deriveIndependently seed label)

[<Property>]
let ``Seeds.Derive gives different seeds for different labels and different master seeds`` () =
    Prop.forAll (arb (Gen.zip3 genUInt64 genLabel genLabel |> Gen.filter (fun (_, a, b) -> a <> b))) (fun (seed, a, b) ->
        Seeds.Derive(seed, a) <> Seeds.Derive(seed, b) && Seeds.Derive(seed, a) <> Seeds.Derive(seed + 1UL, a))

[<Test>]
let ``Seeds.Derive matches known values (computed with Python's hashlib)`` () =
    // python3 -c "import hashlib; d=hashlib.sha256(b'42/init').digest(); print(int.from_bytes(d[:8],'little') & (2**63-1))"
    Assert.That(Seeds.Derive(42UL, "init"), Is.EqualTo 8917247130184309467UL)
    Assert.That(Seeds.Derive(0UL, ""), Is.EqualTo 8625427350392076063UL)
    Assert.That(Seeds.Derive(12345UL, "data-order"), Is.EqualTo 7275445235600981766UL)
    Assert.That(Seeds.Derive(UInt64.MaxValue, "μ-mask"), Is.EqualTo 5274741683326990103UL)

[<Test>]
let ``Generators.ForPurpose starts from the derived seed and gives the streams of that seed`` () =
    use purpose = Generators.ForPurpose(42UL, "init")
    Assert.That(uint64 (purpose.initial_seed()), Is.EqualTo 8917247130184309467UL)
    use plain = new torch.Generator(8917247130184309467UL)
    assertSameDraws "ForPurpose vs new Generator(derived)" (draws (Some plain)) (draws (Some purpose))
    use otherPurpose = Generators.ForPurpose(42UL, "data-order")
    use plain2 = new torch.Generator(8917247130184309467UL)
    assertAllDrawsDiffer "different purposes" (draws (Some plain2)) (draws (Some otherPurpose))

[<Test>]
let ``random draws have the requested shape, dtype and range`` () =
    use scope = torch.NewDisposeScope()
    use g = new torch.Generator(11UL)
    let u = torch.rand([| 1000L |], dtype = ScalarType.Float64, generator = g) |> doubles
    Assert.That(u |> Array.forall (fun v -> v >= 0.0 && v < 1.0), Is.True, "rand outside [0, 1)")
    let i = torch.randint(3L, 7L, [| 1000L |], dtype = ScalarType.Int64, generator = g) |> longs
    Assert.That(i |> Array.forall (fun v -> v >= 3L && v < 7L), Is.True, "randint outside [3, 7)")
    Assert.That(i |> Array.distinct |> Array.length, Is.EqualTo 4)
    let p = torch.randperm(20L, generator = g) |> longs
    assertArrayEqual "randperm is a permutation" [| 0L .. 19L |] (Array.sort p)
    let m = torch.multinomial(tensorF64 [| 4L |] [| 0.0; 1.0; 0.0; 1.0 |], 2L, false, g) |> longs
    assertArrayEqual "multinomial never draws a zero-probability class" [| 1L; 3L |] (Array.sort m)
    let n = torch.randn([| 20000L |], dtype = ScalarType.Float64, generator = g) |> doubles
    Assert.That(abs (Array.average n), Is.LessThan 0.05, "randn mean")
    Assert.That(abs (sqrt (n |> Array.averageBy (fun v -> v * v)) - 1.0), Is.LessThan 0.05, "randn std")
