/// The affine augmentation of the LaPerm recipes (Keras' ImageDataGenerator rotation, shift and zoom): the warp against
/// a brute-force bilinear oracle and against scipy.ndimage.affine_transform (Keras' own backend), reference values
/// (a 90° turn, an integer shift), the drawn ranges, and JSON that leaves keys written before it unchanged.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.AffineAugmentationTests

open System
open System.Diagnostics
open System.IO
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Data
open Symmetry.Core.Experiments

[<OneTimeSetUp>]
let ensureTorch () = TorchRuntime.Ensure()

/// Images (n, c, h, w) of uniform values, from a seed.
let private images (seed: int) n c h w =
    let random = Random seed
    let values = Array.init (n * c * h * w) (fun _ -> float32 (random.NextDouble()))
    TestSupport.tensorF32 [| int64 n; int64 c; int64 h; int64 w |] values

let private values (t: torch.Tensor) = t.data<float32>().ToArray()

let private start (info: ProcessStartInfo) =
    match Process.Start info with
    | null -> failwithf "could not start %s" info.FileName
    | p -> p

/// Output pixel (r, q) reads the input at c + R·Z·(p − c) + R·t (row, column order), clamped to the image, bilinear.
let private oracle (input: float32[]) n c h w (p: AffineParameters) =
    let at i k r q = float input.[((i * c + k) * h + r) * w + q]
    [| for i in 0 .. n - 1 do
         let a = p.Degrees.[i] * Math.PI / 180.0
         let cos, sin = Math.Cos a, Math.Sin a
         let cr, cq = float (h - 1) / 2.0, float (w - 1) / 2.0
         for k in 0 .. c - 1 do
           for r in 0 .. h - 1 do
             for q in 0 .. w - 1 do
               let dr, dq = p.RowZoom.[i] * (float r - cr), p.ColumnZoom.[i] * (float q - cq)
               let tr, tq = p.RowShift.[i], p.ColumnShift.[i]
               let rin = cr + cos * (dr + tr) - sin * (dq + tq) |> max 0.0 |> min (float (h - 1))
               let qin = cq + sin * (dr + tr) + cos * (dq + tq) |> max 0.0 |> min (float (w - 1))
               let r0, q0 = int (floor rin), int (floor qin)
               let r1, q1 = min (r0 + 1) (h - 1), min (q0 + 1) (w - 1)
               let fr, fq = rin - float r0, qin - float q0
               yield float32 ((1.0 - fr) * ((1.0 - fq) * at i k r0 q0 + fq * at i k r0 q1)
                              + fr * ((1.0 - fq) * at i k r1 q0 + fq * at i k r1 q1)) |]

let private genCase =
    gen {
        let! n = Gen.choose (1, 3)
        let! c = Gen.choose (1, 2)
        let! h = Gen.choose (2, 9)
        let! w = Gen.choose (2, 9)
        let! seed = Gen.choose (0, 100000)
        let uniform lo hi = Gen.choose (0, 10000) |> Gen.map (fun u -> lo + (hi - lo) * float u / 10000.0)
        let! degrees = Gen.arrayOfLength n (uniform -180.0 180.0)
        let! shifts = Gen.arrayOfLength (2 * n) (uniform -3.0 3.0)
        let! zooms = Gen.arrayOfLength (2 * n) (uniform 0.7 1.3)
        let parameters =
            AffineParameters(degrees, Array.init n (fun i -> shifts.[2 * i]), Array.init n (fun i -> shifts.[2 * i + 1]),
                             Array.init n (fun i -> zooms.[2 * i]), Array.init n (fun i -> zooms.[2 * i + 1]))
        return n, c, h, w, seed, parameters }

[<Property(MaxTest = 60)>]
let ``the affine warp equals a brute-force bilinear sampling with edge clamping`` () =
    Prop.forAll (Arb.fromGen genCase) (fun (n, c, h, w, seed, parameters) ->
        use x = images seed n c h w
        use warped = Augmentation.Affine(x, parameters)
        let expected = oracle (values x) n c h w parameters
        let got = values warped
        warped.shape = x.shape && Array.forall2 (fun (a: float32) b -> abs (a - b) <= 1e-4f) expected got)

[<Test>]
let ``a 90-degree turn of a square image is a transpose and a flip; an integer shift moves rows, the edge repeating`` () =
    use x = images 3 1 1 5 5
    let input = values x
    let one deg rowShift columnShift = AffineParameters([| deg |], [| rowShift |], [| columnShift |], [| 1.0 |], [| 1.0 |])
    use turned = Augmentation.Affine(x, one 90.0 0.0 0.0)
    // Output (r, q) reads input (c + sin·… ) = (q', r') with the centre fixed: rotating by +90° reads input row
    // 4 − q, column r (cos = 0, sin = 1: rin = 2 − (q − 2), qin = 2 + (r − 2)).
    let expectedTurn = [| for r in 0 .. 4 do for q in 0 .. 4 -> input.[(4 - q) * 5 + r] |]
    TestSupport.assertAllClose "90° turn" 0.0 1e-5 (Array.map float expectedTurn) (values turned |> Array.map float)
    use shifted = Augmentation.Affine(x, one 0.0 1.0 -2.0)
    let expectedShift = [| for r in 0 .. 4 do for q in 0 .. 4 -> input.[(min 4 (r + 1)) * 5 + max 0 (q - 2)] |]
    TestSupport.assertAllClose "shift by (1, −2)" 0.0 1e-6 (Array.map float expectedShift) (values shifted |> Array.map float)

[<Test>]
let ``the warp agrees with scipy.ndimage.affine_transform (order 1, mode nearest), Keras' backend`` () =
    let python = "/usr/bin/python3"
    let hasScipy =
        File.Exists python
        && (use p = start (ProcessStartInfo(python, "-c \"import scipy.ndimage\"", RedirectStandardError = true, UseShellExecute = false))
            p.WaitForExit()
            p.ExitCode = 0)
    if not hasScipy then Assert.Ignore "python3 with scipy is not installed (dotnet fsi build.fsx setup installs it)"
    let h, w = 7, 6
    use x = images 11 1 1 h w
    let p = AffineParameters([| 23.0 |], [| 0.7 |], [| -1.3 |], [| 1.1 |], [| 0.92 |])
    use warped = Augmentation.Affine(x, p)
    // scipy maps output index o to input index M·o + offset: M = R·Z, offset = c − M·c + R·t.
    let a = 23.0 * Math.PI / 180.0
    let cos, sin = Math.Cos a, Math.Sin a
    let m = array2D [ [ cos * 1.1; -sin * 0.92 ]; [ sin * 1.1; cos * 0.92 ] ]
    let cr, cq = float (h - 1) / 2.0, float (w - 1) / 2.0
    let offR = cr - (m.[0, 0] * cr + m.[0, 1] * cq) + (cos * 0.7 - sin * -1.3)
    let offQ = cq - (m.[1, 0] * cr + m.[1, 1] * cq) + (sin * 0.7 + cos * -1.3)
    let literal (xs: seq<float>) = xs |> Seq.map (fun v -> v.ToString("R", Globalization.CultureInfo.InvariantCulture)) |> String.concat ","
    let script =
        $"import numpy as np, scipy.ndimage as nd\n"
        + $"x = np.array([{literal (values x |> Seq.map float)}], dtype=np.float64).reshape({h},{w})\n"
        + $"m = np.array([[{m.[0, 0]:R},{m.[0, 1]:R}],[{m.[1, 0]:R},{m.[1, 1]:R}]])\n"
        + $"y = nd.affine_transform(x, m, offset=[{offR:R},{offQ:R}], order=1, mode='nearest')\n"
        + "print(','.join(repr(float(v)) for v in y.ravel()))\n"
    let file = Path.Combine(Path.GetTempPath(), $"symmetry-affine-{Guid.NewGuid():N}.py")
    File.WriteAllText(file, script)
    try
        use proc = start (ProcessStartInfo(python, file, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false))
        let out = proc.StandardOutput.ReadToEnd()
        let err = proc.StandardError.ReadToEnd()
        proc.WaitForExit()
        Assert.That(proc.ExitCode, Is.EqualTo 0, err)
        let expected = out.Trim().Split(',') |> Array.map (fun s -> Double.Parse(s, Globalization.CultureInfo.InvariantCulture))
        TestSupport.assertAllClose "scipy affine_transform" 0.0 1e-5 expected (values warped |> Array.map float)
    finally
        File.Delete file

[<Test>]
let ``drawn warps stay within their ranges, draw only what is enabled, and Apply uses exactly those draws`` () =
    use g = new torch.Generator(7UL)
    let p = AffineParameters.Draw(500L, 28L, 20L, 10.0, 0.1, 0.2, g)
    Assert.That(p.Degrees |> Array.forall (fun d -> abs d <= 10.0) && p.Degrees |> Array.exists (fun d -> abs d > 9.0), "θ in ±10°, range used")
    Assert.That(p.RowShift |> Array.forall (fun s -> abs s <= 2.8) && p.ColumnShift |> Array.forall (fun s -> abs s <= 2.0), "shifts ±0.1 of 28 and 20")
    Assert.That(p.RowShift |> Array.exists (fun s -> abs s > 2.5), "row shift range used")
    Assert.That(Array.append p.RowZoom p.ColumnZoom |> Array.forall (fun z -> z >= 0.8 && z <= 1.2), "zooms in 1 ± 0.2")
    Assert.That(p.RowZoom <> p.ColumnZoom, "the two axes zoom independently")
    use g2 = new torch.Generator(7UL)
    let rotationOnly = AffineParameters.Draw(500L, 28L, 20L, 10.0, 0.0, 0.0, g2)
    Assert.That((rotationOnly.Degrees = p.Degrees), "the angles are the first draws")
    Assert.That(Array.append rotationOnly.RowZoom rotationOnly.ColumnZoom |> Array.forall ((=) 1.0), "no zoom drawn when off")
    use x = images 5 6 1 9 8
    let augmentation = Augmentation(FlipProbability = 0.0, RotationDegrees = 15.0, Shift = 0.1, Zoom = 0.1)
    use a = new torch.Generator(3UL)
    use b = new torch.Generator(3UL)
    use viaApply = augmentation.Apply(x, a)
    use direct = Augmentation.Affine(x, AffineParameters.Draw(6L, 9L, 8L, 15.0, 0.1, 0.1, b))
    TestSupport.assertAllClose "Apply = Affine of the drawn warps" 0.0 0.0 (values direct |> Array.map float) (values viaApply |> Array.map float)

[<Test>]
let ``the affine settings stay out of the JSON while zero, so earlier augmented states keep their keys`` () =
    let json = CanonicalJson.Serialize(TrainRecipe(Seed = 1UL, Augmentation = Augmentation(4, 0.5)))
    for field in [ "rotationDegrees"; "shift"; "zoom" ] do Assert.That(json, Does.Not.Contain field)
    let warped = TrainRecipe(Seed = 1UL, Augmentation = Augmentation(0, 0.5, RotationDegrees = 15.0, Shift = 0.1))
    let text = CanonicalJson.Serialize warped
    Assert.That(text, Does.Contain "\"rotationDegrees\":15")
    let augmentation = CanonicalJson.Serialize warped.Augmentation
    let back = System.Text.Json.JsonSerializer.Deserialize<Augmentation>(augmentation, CanonicalJson.Options)
    Assert.That(back, Is.EqualTo warped.Augmentation, "the settings read back from their JSON")

[<Test>]
let ``out-of-range affine settings are refused with the setting named`` () =
    use x = images 1 2 1 4 4
    use g = new torch.Generator(1UL)
    for bad, name in [ Augmentation(RotationDegrees = 200.0), "rotation"; Augmentation(Shift = 1.5), "shift"; Augmentation(Zoom = -0.1), "zoom" ] do
        let error = TestSupport.throws<ArgumentException> (fun () -> bad.Apply(x, g) |> ignore)
        Assert.That(error.Message, Does.Contain name)
