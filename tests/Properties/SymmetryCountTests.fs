/// Permutation symmetry counts (ALGORITHMS §1): Π width! exactly against an independent big-integer product,
/// log10 against BigInteger.Log10, digit counts against the decimal string, and the seed's 6 × 16 example.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.SymmetryCountTests

open System
open System.Numerics
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open Symmetry.Core.Permutations
open Symmetry.Properties.TestSupport

/// n! as one big-integer factor at a time (independent of the chunked product under test).
let private factorial (n: int) : BigInteger = Seq.fold (fun (acc: BigInteger) k -> acc * BigInteger(k: int)) BigInteger.One (seq { 1 .. n })

let private genWidths (maxLayers: int) (maxWidth: int) : Gen<int list> =
    Gen.choose (0, maxLayers) |> Gen.bind (fun l -> Gen.listOfLength l (Gen.choose (0, maxWidth)))

[<Property(MaxTest = 200)>]
let ``the exact count is the product of the widths' factorials`` () =
    Prop.forAll (arb (genWidths 8 40)) (fun widths ->
        let expected = widths |> List.fold (fun acc w -> acc * factorial w) BigInteger.One
        Assert.That(SymmetryCount.Dense widths, Is.EqualTo expected, sprintf "widths %A" widths))

[<Property(MaxTest = 100)>]
let ``(N!)^L equals L equal widths`` () =
    Prop.forAll (arb (Gen.zip (Gen.choose (0, 60)) (Gen.choose (0, 8)))) (fun (width, layers) ->
        Assert.That(SymmetryCount.Dense(width, layers), Is.EqualTo(SymmetryCount.Dense(List.replicate layers width)))
        Assert.That(SymmetryCount.Dense(width, layers), Is.EqualTo(BigInteger.Pow(factorial width, layers))))

[<Property(MaxTest = 200)>]
let ``log10 matches BigInteger.Log10 of the exact count`` () =
    Prop.forAll (arb (genWidths 8 300)) (fun widths ->
        let exact = SymmetryCount.Dense widths
        let expected = BigInteger.Log10 exact
        let actual = SymmetryCount.Log10Dense widths
        if not (close 1e-12 1e-12 expected actual) then
            Assert.Fail(sprintf "widths %A: BigInteger.Log10 %.17g, Log10Dense %.17g" widths expected actual))

[<Property(MaxTest = 200)>]
let ``log10 of n! is accurate for every n`` () =
    Prop.forAll (arb (Gen.oneof [ Gen.choose (0, 40); Gen.choose (0, 3000) ])) (fun n ->
        let expected = BigInteger.Log10(factorial n)
        let actual = SymmetryCount.Log10Factorial n
        if not (close 1e-14 1e-14 expected actual) then
            Assert.Fail(sprintf "n = %d: BigInteger.Log10 %.17g, Log10Factorial %.17g" n expected actual))

[<Property(MaxTest = 200)>]
let ``digit count equals the length of the decimal string`` () =
    gen {
        let! digits = Gen.choose (1, 400)
        let! text = Gen.arrayOfLength digits (Gen.choose (0, 9))
        let! exact = Gen.elements [ false; true ]
        // Either random digits or an exact power of ten / one less (the edges of the log10 estimate).
        return if exact then (if text.[0] % 2 = 0 then BigInteger.Pow(BigInteger 10, digits - 1) else BigInteger.Pow(BigInteger 10, digits) - BigInteger.One)
               else BigInteger.Parse(String.Join("", text |> Array.mapi (fun i d -> if i = 0 then max d 1 else d)))
    }
    |> arb
    |> Prop.forAll
    <| fun value ->
        Assert.That(SymmetryCount.Digits value, Is.EqualTo(value.ToString().Length), string value)
        Assert.That(SymmetryCount.Digits(-value), Is.EqualTo(value.ToString().Length))

[<Test>]
let ``six hidden layers of 16 neurons: 8.39e79 permutations`` () =
    Assert.That(SymmetryCount.Factorial 16, Is.EqualTo(BigInteger 20922789888000L))
    let summary = SymmetryCount.Summarize(List.replicate 6 16)
    Assert.That(summary.Exact, Is.EqualTo(BigInteger.Pow(BigInteger 20922789888000L, 6)))
    // (16!)^6 = 8389142329…, 80 digits: 8.389·10^79, log10 = 79.923718 (the seed's "8.39×10^79").
    Assert.That(summary.Digits, Is.EqualTo 80)
    Assert.That(summary.ExactString, Does.StartWith "8389142329")
    Assert.That(summary.Log10, Is.EqualTo(79.923718).Within(1e-6))
    Assert.That(summary.Log10, Is.EqualTo(6.0 * Math.Log10 20922789888000.0).Within(1e-12))
    Assert.That(summary.ToString(), Is.EqualTo "8.389e79")
    Assert.That(SymmetryCount.Log10Dense(16, 6), Is.EqualTo(summary.Log10).Within(1e-12))

[<Test>]
let ``edge cases: no hidden layer, zero and one neuron, huge networks, negative widths`` () =
    Assert.That(SymmetryCount.Dense([]: int list), Is.EqualTo BigInteger.One)
    Assert.That(SymmetryCount.Dense [ 0; 1; 1 ], Is.EqualTo BigInteger.One)
    Assert.That(SymmetryCount.Log10Dense [ 0; 1 ], Is.EqualTo 0.0)
    Assert.That(SymmetryCount.Digits BigInteger.Zero, Is.EqualTo 1)
    // Far beyond double range: log10 still finite and accurate (Stirling's series vs the exact big integer).
    let width = 4096
    let exactLog = BigInteger.Log10(SymmetryCount.Dense(width, 3))
    Assert.That(SymmetryCount.Log10Dense(width, 3), Is.EqualTo(exactLog).Within(1e-9))
    Assert.That(SymmetryCount.Log10Dense(1_000_000, 1000), Is.EqualTo(1000.0 * 5565708.917186718).Within(1e-3))
    throws<ArgumentOutOfRangeException> (fun () -> SymmetryCount.Dense [ 3; -1 ] |> ignore) |> ignore
    throws<ArgumentOutOfRangeException> (fun () -> SymmetryCount.Factorial -1 |> ignore) |> ignore
