/// Linear assignment (LinearAssignment.Solve): optimal against brute force over all permutations / injections for
/// small sizes and against an independent Hungarian algorithm for larger ones, always a valid injection, invariant
/// under adding a constant to a row or column and under permuting rows and columns; clear errors for bad input.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.AssignmentTests

open System
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Permutations
open Symmetry.Properties.TestSupport

// ---------------------------------------------------------------- oracles

/// The best total over every injection rows → columns (rows ≤ cols), by exhaustive search.
let private bruteForce (maximize: bool) (cost: float[,]) : float =
    let rows = Array2D.length1 cost
    let cols = Array2D.length2 cost
    let used = Array.zeroCreate cols
    let better a b = if maximize then max a b else min a b
    let rec search i acc =
        if i = rows then acc
        else
            let mutable best = if maximize then Double.NegativeInfinity else Double.PositiveInfinity
            for j in 0 .. cols - 1 do
                if not used.[j] then
                    used.[j] <- true
                    best <- better best (search (i + 1) (acc + cost.[i, j]))
                    used.[j] <- false
            best
    search 0 0.0

/// Brute force for any shape: over injections from the shorter side into the longer one.
let private bruteForceAnyShape (maximize: bool) (cost: float[,]) : float =
    if Array2D.length1 cost <= Array2D.length2 cost then bruteForce maximize cost
    else bruteForce maximize (Array2D.init (Array2D.length2 cost) (Array2D.length1 cost) (fun i j -> cost.[j, i]))

/// The textbook O(n²m) Hungarian algorithm with potentials (rows ≤ cols, minimisation), written independently of
/// the solver under test: returns the optimal total.
let private hungarian (cost: float[,]) : float =
    let n = Array2D.length1 cost
    let m = Array2D.length2 cost
    let u = Array.zeroCreate (n + 1)
    let v = Array.zeroCreate (m + 1)
    let p = Array.zeroCreate (m + 1) // p.[j] = row (1-based) matched to column j, 0 = none
    let way = Array.zeroCreate (m + 1)
    for i in 1 .. n do
        p.[0] <- i
        let mutable j0 = 0
        let minv = Array.create (m + 1) Double.PositiveInfinity
        let used = Array.zeroCreate (m + 1)
        let mutable fin = false
        while not fin do
            used.[j0] <- true
            let i0 = p.[j0]
            let mutable delta = Double.PositiveInfinity
            let mutable j1 = 0
            for j in 1 .. m do
                if not used.[j] then
                    let cur = cost.[i0 - 1, j - 1] - u.[i0] - v.[j]
                    if cur < minv.[j] then
                        minv.[j] <- cur
                        way.[j] <- j0
                    if minv.[j] < delta then
                        delta <- minv.[j]
                        j1 <- j
            for j in 0 .. m do
                if used.[j] then
                    u.[p.[j]] <- u.[p.[j]] + delta
                    v.[j] <- v.[j] - delta
                else minv.[j] <- minv.[j] - delta
            j0 <- j1
            if p.[j0] = 0 then fin <- true
        let mutable j = j0
        while j <> 0 do
            let jPrev = way.[j]
            p.[j] <- p.[jPrev]
            j <- jPrev
    let mutable total = 0.0
    for j in 1 .. m do
        if p.[j] <> 0 then total <- total + cost.[p.[j] - 1, j - 1]
    total

// ---------------------------------------------------------------- checks and generators

/// Fails unless `assignment` is a valid injection for `cost`: one entry per row, distinct columns in range, and
/// exactly min(rows, cols) rows assigned (the others −1, only when rows > cols).
let private assertInjection (cost: float[,]) (assignment: int[]) =
    let rows = Array2D.length1 cost
    let cols = Array2D.length2 cost
    Assert.That(assignment.Length, Is.EqualTo rows, "one entry per row")
    let assigned = assignment |> Array.filter (fun j -> j <> LinearAssignment.Unassigned)
    Assert.That(assigned.Length, Is.EqualTo(min rows cols), sprintf "assigned rows of a %dx%d problem: %A" rows cols assignment)
    Assert.That(assigned |> Array.forall (fun j -> j >= 0 && j < cols), Is.True, sprintf "columns in range: %A" assignment)
    Assert.That(assigned |> Array.distinct |> Array.length, Is.EqualTo assigned.Length, sprintf "distinct columns: %A" assignment)

let private assertClose (what: string) (expected: float) (actual: float) =
    if not (close 1e-9 1e-9 expected actual) then
        Assert.Fail(sprintf "%s: expected %.17g, got %.17g" what expected actual)

/// Cost values: continuous, small integers (many ties), large magnitudes, or rows of very different scales.
let private genCost (rows: int) (cols: int) : Gen<float[,]> =
    gen {
        let! kind = Gen.choose (0, 3)
        let! values =
            match kind with
            | 0 -> genValues -5.0 5.0 (rows * cols)
            | 1 -> Gen.arrayOfLength (rows * cols) (Gen.choose (0, 3) |> Gen.map float)
            | 2 -> genValues -1e6 1e6 (rows * cols)
            | _ -> genValues 0.0 1.0 (rows * cols) |> Gen.map (Array.mapi (fun k x -> -x * float (k / cols + 1) ** 3.0))
        return Array2D.init rows cols (fun i j -> values.[i * cols + j])
    }

let private genSquare (maxN: int) : Gen<float[,]> = Gen.choose (1, maxN) |> Gen.bind (fun n -> genCost n n)

let private genRectangular (maxSide: int) : Gen<float[,]> =
    gen {
        let! rows = Gen.choose (1, maxSide)
        let! cols = Gen.choose (1, maxSide)
        return! genCost rows cols
    }

/// A cost matrix of size up to `maxSide` on each side with rows ≤ cols.
let private genWide (maxSide: int) : Gen<float[,]> =
    gen {
        let! rows = Gen.choose (1, maxSide)
        let! cols = Gen.choose (rows, maxSide)
        return! genCost rows cols
    }

let private optimum (maximize: bool) (cost: float[,]) =
    let assignment = LinearAssignment.Solve(cost, maximize)
    assertInjection cost assignment
    LinearAssignment.Objective(cost, assignment)

// ---------------------------------------------------------------- optimality

[<Property(MaxTest = 300)>]
let ``square problems up to 7x7 reach the brute-force optimum, minimising and maximising`` () =
    Prop.forAll (arb (Gen.zip (genSquare 7) (Gen.elements [ false; true ]))) (fun (cost, maximize) ->
        assertClose (sprintf "maximize=%b, %A" maximize cost) (bruteForce maximize cost) (optimum maximize cost))

[<Property(MaxTest = 300)>]
let ``rectangular problems reach the brute-force optimum over injections`` () =
    Prop.forAll (arb (Gen.zip (genRectangular 6) (Gen.elements [ false; true ]))) (fun (cost, maximize) ->
        assertClose (sprintf "maximize=%b, %A" maximize cost) (bruteForceAnyShape maximize cost) (optimum maximize cost))

[<Property(MaxTest = 40)>]
let ``larger problems match an independent Hungarian algorithm`` () =
    Prop.forAll (arb (genWide 60)) (fun cost ->
        assertClose (sprintf "%dx%d" (Array2D.length1 cost) (Array2D.length2 cost)) (hungarian cost) (optimum false cost))

[<Property(MaxTest = 100)>]
let ``the result is always a valid injection`` () =
    Prop.forAll (arb (Gen.zip (genRectangular 40) (Gen.elements [ false; true ]))) (fun (cost, maximize) ->
        assertInjection cost (LinearAssignment.Solve(cost, maximize)))

[<Property(MaxTest = 100)>]
let ``with more rows than columns, every column is used once and the extra rows are -1`` () =
    gen {
        let! cols = Gen.choose (1, 6)
        let! rows = Gen.choose (cols + 1, 8)
        return! genCost rows cols
    }
    |> arb
    |> Prop.forAll
    <| fun cost ->
        let assignment = LinearAssignment.Solve cost
        assertInjection cost assignment
        let cols = Array2D.length2 cost
        assertArrayEqual "the columns used" [| 0 .. cols - 1 |] (assignment |> Array.filter (fun j -> j >= 0) |> Array.sort)
        Assert.That(assignment |> Array.filter ((=) -1) |> Array.length, Is.EqualTo(Array2D.length1 cost - cols))

// ---------------------------------------------------------------- invariances

[<Property(MaxTest = 100)>]
let ``adding a constant to a row shifts the optimum by that constant`` () =
    gen {
        let! cost = genWide 12
        let! row = Gen.choose (0, Array2D.length1 cost - 1)
        let! shift = genValue -100.0 100.0
        let! maximize = Gen.elements [ false; true ]
        return cost, row, shift, maximize
    }
    |> arb
    |> Prop.forAll
    <| fun (cost, row, shift, maximize) ->
        let shifted = Array2D.init (Array2D.length1 cost) (Array2D.length2 cost) (fun i j -> if i = row then cost.[i, j] + shift else cost.[i, j])
        let before = optimum maximize cost
        let after = optimum maximize shifted
        // Every row is assigned (rows ≤ cols), so the new optimal assignment is also optimal for the old costs.
        assertClose "optimum shift" (before + shift) after
        assertClose "the shifted problem's assignment is optimal for the original" before
            (LinearAssignment.Objective(cost, LinearAssignment.Solve(shifted, maximize)))

[<Property(MaxTest = 100)>]
let ``adding a constant to a column of a square problem shifts the optimum by that constant`` () =
    gen {
        let! cost = genSquare 12
        let! col = Gen.choose (0, Array2D.length2 cost - 1)
        let! shift = genValue -100.0 100.0
        return cost, col, shift
    }
    |> arb
    |> Prop.forAll
    <| fun (cost, col, shift) ->
        let shifted = Array2D.init (Array2D.length1 cost) (Array2D.length2 cost) (fun i j -> if j = col then cost.[i, j] + shift else cost.[i, j])
        assertClose "optimum shift" (optimum false cost + shift) (optimum false shifted)

[<Property(MaxTest = 100)>]
let ``permuting rows and columns leaves the optimum unchanged`` () =
    gen {
        let! cost = genRectangular 30
        let! rowOrder = Gen.shuffle [| 0 .. Array2D.length1 cost - 1 |]
        let! colOrder = Gen.shuffle [| 0 .. Array2D.length2 cost - 1 |]
        let! maximize = Gen.elements [ false; true ]
        return cost, rowOrder, colOrder, maximize
    }
    |> arb
    |> Prop.forAll
    <| fun (cost, rowOrder, colOrder, maximize) ->
        let permuted = Array2D.init (Array2D.length1 cost) (Array2D.length2 cost) (fun i j -> cost.[rowOrder.[i], colOrder.[j]])
        assertClose "optimum after permuting" (optimum maximize cost) (optimum maximize permuted)

[<Property(MaxTest = 50)>]
let ``maximising equals minimising the negated costs`` () =
    Prop.forAll (arb (genRectangular 20)) (fun cost ->
        let negated = Array2D.map (fun x -> -x) cost
        assertClose "max = -min(-c)" (optimum true cost) (-(optimum false negated)))

[<Property(MaxTest = 50)>]
let ``the same matrix always gives the same assignment`` () =
    Prop.forAll (arb (genRectangular 25)) (fun cost ->
        assertArrayEqual "two solves" (LinearAssignment.Solve cost) (LinearAssignment.Solve(Array2D.copy cost)))

// ---------------------------------------------------------------- tensor overload and flat overload

[<Property(MaxTest = 50)>]
let ``the tensor overload agrees with the array overload`` () =
    Prop.forAll (arb (Gen.zip (genRectangular 20) (Gen.elements [ false; true ]))) (fun (cost, maximize) ->
        TorchRuntime.Ensure()
        use scope = torch.NewDisposeScope()
        let rows = Array2D.length1 cost
        let cols = Array2D.length2 cost
        let flat = Array.init (rows * cols) (fun k -> cost.[k / cols, k % cols])
        let t = tensorF64 [| int64 rows; int64 cols |] flat
        assertArrayEqual "float64 tensor" (LinearAssignment.Solve(cost, maximize)) (LinearAssignment.Solve(t, maximize))
        assertArrayEqual "flat span" (LinearAssignment.Solve(cost, maximize)) (LinearAssignment.Solve(ReadOnlySpan<float>(flat), rows, cols, maximize))
        // float32 (as weight matrices usually are): optimal for the float32 values.
        let t32 = t.``to``(torch.float32)
        let cost32 = Array2D.init rows cols (fun i j -> float (float32 cost.[i, j]))
        assertClose "float32 tensor" (optimum maximize cost32) (LinearAssignment.Objective(cost32, LinearAssignment.Solve(t32, maximize))))

[<Test>]
let ``a known 3x3 example and its maximum`` () =
    let cost = array2D [ [ 4.0; 1.0; 3.0 ]; [ 2.0; 0.0; 5.0 ]; [ 3.0; 2.0; 2.0 ] ] // scipy's documentation example
    let minimum = LinearAssignment.Solve cost
    assertArrayEqual "scipy's answer" [| 1; 0; 2 |] minimum
    Assert.That(LinearAssignment.Objective(cost, minimum), Is.EqualTo 5.0)
    Assert.That(LinearAssignment.Objective(cost, LinearAssignment.Solve(cost, maximize = true)), Is.EqualTo 11.0)

[<Test>]
let ``a 1x1 and a 1xN problem`` () =
    assertArrayEqual "1x1" [| 0 |] (LinearAssignment.Solve(array2D [ [ 7.0 ] ]))
    assertArrayEqual "1x4 min" [| 2 |] (LinearAssignment.Solve(array2D [ [ 3.0; 2.0; -1.0; 5.0 ] ]))
    assertArrayEqual "1x4 max" [| 3 |] (LinearAssignment.Solve(array2D [ [ 3.0; 2.0; -1.0; 5.0 ] ], maximize = true))
    assertArrayEqual "4x1" [| -1; -1; 0; -1 |] (LinearAssignment.Solve(array2D [ [ 3.0 ]; [ 2.0 ]; [ -1.0 ]; [ 5.0 ] ]))

// ---------------------------------------------------------------- errors

[<Test>]
let ``NaN, infinite and empty inputs raise ArgumentException`` () =
    let withValue (x: float) = array2D [ [ 1.0; 2.0 ]; [ 3.0; x ] ]
    let nan = throws<ArgumentException> (fun () -> LinearAssignment.Solve(withValue Double.NaN) |> ignore)
    Assert.That(nan.Message, Does.Contain "cost[1, 1]")
    Assert.That(nan.Message, Does.Contain "finite")
    throws<ArgumentException> (fun () -> LinearAssignment.Solve(withValue Double.PositiveInfinity) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> LinearAssignment.Solve(withValue Double.NegativeInfinity, maximize = true) |> ignore) |> ignore
    let empty = throws<ArgumentException> (fun () -> LinearAssignment.Solve(Array2D.zeroCreate<float> 0 3) |> ignore)
    Assert.That(empty.Message, Does.Contain "empty")
    throws<ArgumentException> (fun () -> LinearAssignment.Solve(Array2D.zeroCreate<float> 3 0) |> ignore) |> ignore
    let huge = throws<ArgumentException> (fun () -> LinearAssignment.Solve(array2D [ [ 1e308; -1e308 ]; [ 0.0; 1.0 ] ]) |> ignore)
    Assert.That(huge.Message, Does.Contain "rescale")
    TorchRuntime.Ensure()
    use scope = torch.NewDisposeScope()
    throws<ArgumentException> (fun () -> LinearAssignment.Solve(torch.zeros([| 2L; 3L; 4L |])) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> LinearAssignment.Solve(torch.full([| 2L; 2L |], Double.NaN.ToScalar())) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> LinearAssignment.Objective(withValue 0.0, [| 0 |]) |> ignore) |> ignore
    throws<ArgumentException> (fun () -> LinearAssignment.Objective(withValue 0.0, [| 0; 2 |]) |> ignore) |> ignore
