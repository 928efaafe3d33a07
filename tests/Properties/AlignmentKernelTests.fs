/// The CKA kernels are computed block by block on their upper triangle and mirrored (SymmetricGram), and the Procrustes
/// sums chunk by chunk over samples (ChannelProducts): on more samples than one block or chunk, the metrics equal the
/// same definitions written with plain full products.
[<NUnit.Framework.TestFixture>]
module Symmetry.Properties.AlignmentKernelTests

open NUnit.Framework
open TorchSharp
open Symmetry.Torch
open Symmetry.Core.Alignment

/// Each channel centred over (N, H, W) and scaled to unit norm (ALGORITHMS §3).
let private normalised (maps: torch.Tensor) =
    let centred = maps - maps.mean([| 0L; 2L; 3L |], keepdim = true)
    centred / centred.square().sum([| 0L; 2L; 3L |], keepdim = true).sqrt()

let private cka (kernel: torch.Tensor -> torch.Tensor) (a: torch.Tensor) (b: torch.Tensor) =
    let k, l = kernel (normalised a), kernel (normalised b)
    Hsic.Unbiased(k, l) / sqrt (Hsic.Unbiased(k, k) * Hsic.Unbiased(l, l))

[<TestCase(600)>]
[<TestCase(257)>]
let ``G_ReLU-CKA and the unbiased linear CKA over several sample blocks equal their plain definitions`` (samples: int) =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 3UL
    let a = torch.nn.functional.relu(torch.randn([| int64 samples; 5L; 3L; 3L |], dtype = torch.float64, generator = g))
    let b = torch.nn.functional.relu(a * 0.5 + torch.randn([| int64 samples; 5L; 3L; 3L |], dtype = torch.float64, generator = g))
    let maxKernel (m: torch.Tensor) =
        [ for c in 0L .. m.shape.[1] - 1L -> let x = m.select(1L, c).reshape(m.shape.[0], -1L) in x.matmul(x.t()) ]
        |> List.reduce (fun k gram -> torch.maximum(k, gram))
    let linearKernel (m: torch.Tensor) = let x = m.reshape(m.shape.[0], -1L) in x.matmul(x.t())
    Assert.That(Cka.GRelu(a, b), Is.EqualTo(cka maxKernel a b).Within(1e-10))
    Assert.That(Cka.LinearUnbiased(a, b), Is.EqualTo(cka linearKernel a b).Within(1e-10))
    // Standard linear CKA: the biased HSIC of the uncentred-feature Gram matrices.
    let x, y = a.reshape(int64 samples, -1L), b.reshape(int64 samples, -1L)
    let k, l = x.matmul(x.t()), y.matmul(y.t())
    Assert.That(Cka.Linear(a, b), Is.EqualTo(Hsic.Biased(k, l) / sqrt (Hsic.Biased(k, k) * Hsic.Biased(l, l))).Within(1e-10))

[<TestCase(40, 8)>]
[<TestCase(3000, 1)>]
let ``both Procrustes metrics over several sample chunks equal their definitions on the column matrices`` (samples: int, side: int) =
    use scope = torch.NewDisposeScope()
    use g = Generators.Create 5UL
    let shape = [| int64 samples; 6L; int64 side; int64 side |]
    let a = torch.nn.functional.relu(torch.randn(shape, dtype = torch.float64, generator = g))
    let b = torch.nn.functional.relu(a * 0.3 + torch.randn(shape, dtype = torch.float64, generator = g))
    let columns (m: torch.Tensor) = m.permute(0L, 2L, 3L, 1L).reshape(-1L, m.shape.[1])
    let h1, h2 = columns a, columns b
    // G_ReLU-Procrustes: unit-norm columns, the best channel matching, d² = (‖H1‖² + ‖H2‖² − 2 Σ M_iπ(i)) / (4C).
    let unit (h: torch.Tensor) = h / h.square().sum([| 0L |], keepdim = true).sqrt()
    let m = (unit h1).t().matmul(unit h2)
    let assignment = Symmetry.Core.Permutations.LinearAssignment.Solve(m, maximize = true)
    let matched = assignment |> Array.mapi (fun i j -> m.select(0L, int64 i).select(0L, int64 j).item<double>()) |> Array.sum
    let expectedGRelu = 1.0 - sqrt ((6.0 + 6.0 - 2.0 * matched) / (4.0 * 6.0))
    Assert.That(GReluProcrustes.Similarity(a, b), Is.EqualTo(expectedGRelu).Within(1e-9))
    // Orthogonal Procrustes: Frobenius-normalised column matrices, the nuclear norm of H1ᵀH2.
    let nuclear = torch.linalg.svdvals((h1 / h1.norm()).t().matmul(h2 / h2.norm())).sum().item<double>()
    Assert.That(OrthogonalProcrustes.Similarity(a, b), Is.EqualTo(1.0 - sqrt (max (2.0 - 2.0 * nuclear) 0.0) / 2.0).Within(1e-9))
