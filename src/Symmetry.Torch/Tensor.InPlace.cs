using Symmetry.Torch.Native;

namespace Symmetry.Torch;

// In-place operations: they change this tensor's storage and return a new reference to it (dispose it or let the
// scope do so). On a leaf that requires grad they are refused by libtorch unless gradients are off (Torch.NoGrad).
public sealed partial class Tensor
{
    /// <summary>this += other (in place).</summary>
    public Tensor AddInPlace(Tensor other) => Binary(BinaryOp.Add, other, inplace: true);
    /// <summary>this += alpha · other (in place).</summary>
    public Tensor AddInPlace(Tensor other, double alpha) =>
        Check.Result(NativeMethods.symm_tensor_add_scaled(Handle, other.Handle, alpha, 1, out var r), r, "add_");
    /// <summary>this += scalar (in place).</summary>
    public Tensor AddInPlace(double scalar) => Binary(BinaryOp.Add, scalar, inplace: true);
    /// <summary>this += integer scalar (in place; keeps integer dtypes integral).</summary>
    public Tensor AddInPlace(long scalar) => Binary(BinaryOp.Add, scalar, inplace: true);
    /// <summary>this −= other (in place).</summary>
    public Tensor SubInPlace(Tensor other) => Binary(BinaryOp.Sub, other, inplace: true);
    /// <summary>this ·= other (in place).</summary>
    public Tensor MulInPlace(Tensor other) => Binary(BinaryOp.Mul, other, inplace: true);
    /// <summary>this ·= scalar (in place).</summary>
    public Tensor MulInPlace(double scalar) => Binary(BinaryOp.Mul, scalar, inplace: true);
    /// <summary>this /= other (in place).</summary>
    public Tensor DivInPlace(Tensor other) => Binary(BinaryOp.Div, other, inplace: true);
    /// <summary>this /= scalar (in place).</summary>
    public Tensor DivInPlace(double scalar) => Binary(BinaryOp.Div, scalar, inplace: true);
    /// <summary>Sets every element to <paramref name="value"/> (in place).</summary>
    public Tensor FillInPlace(double value) => Binary(BinaryOp.Fill, value, inplace: true);
    /// <summary>Sets every element to zero (in place).</summary>
    public Tensor ZeroInPlace() => Unary(UnaryOp.Zero, inplace: true);
    /// <summary>max(x, 0) in place.</summary>
    public Tensor ReluInPlace() => Unary(UnaryOp.Relu, inplace: true);
    /// <summary>Square root in place.</summary>
    public Tensor SqrtInPlace() => Unary(UnaryOp.Sqrt, inplace: true);
    /// <summary>Clamps in place.</summary>
    public Tensor ClampInPlace(double? min = null, double? max = null) => ClampImpl(min, max, inplace: true);
    /// <summary>this += value · t1 · t2 (in place).</summary>
    public Tensor AddcmulInPlace(Tensor t1, Tensor t2, double value = 1) =>
        Check.Result(NativeMethods.symm_tensor_addcmul(Handle, t1.Handle, t2.Handle, value, 1, out var r), r, "addcmul_");
    /// <summary>this += value · t1 / t2 (in place).</summary>
    public Tensor AddcdivInPlace(Tensor t1, Tensor t2, double value = 1) =>
        Check.Result(NativeMethods.symm_tensor_addcdiv(Handle, t1.Handle, t2.Handle, value, 1, out var r), r, "addcdiv_");
    /// <summary>Fills with uniform samples on [from, to) (in place).</summary>
    public Tensor UniformInPlace(double from = 0, double to = 1, Generator? generator = null) =>
        Check.Result(NativeMethods.symm_random_uniform_(Handle, from, to, Generator.HandleOf(generator), out var r), r, "uniform_");
    /// <summary>Fills with normal samples (in place).</summary>
    public Tensor NormalInPlace(double mean = 0, double std = 1, Generator? generator = null) =>
        Check.Result(NativeMethods.symm_random_normal_(Handle, mean, std, Generator.HandleOf(generator), out var r), r, "normal_");
    /// <summary>Fills positions where <paramref name="mask"/> is true with <paramref name="value"/> (in place).</summary>
    public Tensor MaskedFillInPlace(Tensor mask, double value) =>
        Check.Result(NativeMethods.symm_tensor_masked_fill(Handle, mask.Handle, value, 1, out var r), r, "masked_fill_");
    /// <summary>Writes <paramref name="source"/> at <paramref name="index"/> along <paramref name="dim"/> (in place).</summary>
    public Tensor ScatterInPlace(long dim, Tensor index, Tensor source) =>
        Check.Result(NativeMethods.symm_tensor_scatter(Handle, dim, index.Handle, source.Handle, 1, out var r), r, "scatter_");
}
