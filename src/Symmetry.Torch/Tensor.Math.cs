using Symmetry.Torch.Native;

namespace Symmetry.Torch;

public sealed partial class Tensor
{
    private Tensor Unary(UnaryOp op, bool inplace = false) =>
        Check.Result(NativeMethods.symm_tensor_unary((int)op, Handle, inplace ? 1 : 0, out var r), r, OpNames.Of(op, inplace));

    private Tensor Binary(BinaryOp op, Tensor other, bool inplace = false) =>
        Check.Result(NativeMethods.symm_tensor_binary((int)op, Handle, other.Handle, inplace ? 1 : 0, out var r), r, OpNames.Of(op, inplace));

    private Tensor Binary(BinaryOp op, double scalar, bool inplace = false) =>
        Check.Result(NativeMethods.symm_tensor_binary_scalar((int)op, Handle, scalar, 0, inplace ? 1 : 0, out var r), r, OpNames.Of(op, inplace));

    private Tensor Binary(BinaryOp op, long scalar, bool inplace = false) =>
        Check.Result(NativeMethods.symm_tensor_binary_scalar((int)op, Handle, scalar, 1, inplace ? 1 : 0, out var r), r, OpNames.Of(op, inplace));

    /// <summary>Element-wise sum (broadcasting).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Binary(BinaryOp.Add, b);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double b) => a.Binary(BinaryOp.Add, b);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double a, Tensor b) => b.Binary(BinaryOp.Add, a);
    /// <summary>Element-wise difference (broadcasting).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Binary(BinaryOp.Sub, b);
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => a.Binary(BinaryOp.Sub, b);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => b.Binary(BinaryOp.RSub, a);
    /// <summary>Element-wise product (broadcasting).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Binary(BinaryOp.Mul, b);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => a.Binary(BinaryOp.Mul, b);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => b.Binary(BinaryOp.Mul, a);
    /// <summary>Element-wise true division (broadcasting).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Binary(BinaryOp.Div, b);
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => a.Binary(BinaryOp.Div, b);
    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(double a, Tensor b) => b.Binary(BinaryOp.RDiv, a);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Unary(UnaryOp.Neg);

    /// <summary>Adds an integer scalar (keeps integer dtypes integral).</summary>
    public Tensor Add(long scalar) => Binary(BinaryOp.Add, scalar);
    /// <summary>this + alpha · other.</summary>
    public Tensor Add(Tensor other, double alpha) =>
        Check.Result(NativeMethods.symm_tensor_add_scaled(Handle, other.Handle, alpha, 0, out var r), r, "add");
    /// <summary>Multiplies by an integer scalar (keeps integer dtypes integral).</summary>
    public Tensor Mul(long scalar) => Binary(BinaryOp.Mul, scalar);
    /// <summary>Element-wise power.</summary>
    public Tensor Pow(double exponent) => Binary(BinaryOp.Pow, exponent);
    /// <summary>Element-wise power with tensor exponents.</summary>
    public Tensor Pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent);
    /// <summary>Element-wise maximum of two tensors.</summary>
    public Tensor Maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    /// <summary>Element-wise minimum of two tensors.</summary>
    public Tensor Minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    /// <summary>Python-style remainder (sign of the divisor).</summary>
    public Tensor Remainder(double divisor) => Binary(BinaryOp.Remainder, divisor);
    /// <summary>C-style remainder (sign of the dividend).</summary>
    public Tensor Fmod(double divisor) => Binary(BinaryOp.Fmod, divisor);

    /// <summary>Element-wise equality (bool tensor).</summary>
    public Tensor Eq(Tensor other) => Binary(BinaryOp.Eq, other);
    /// <summary>Element-wise equality with a scalar.</summary>
    public Tensor Eq(double scalar) => Binary(BinaryOp.Eq, scalar);
    /// <summary>Element-wise inequality.</summary>
    public Tensor Ne(Tensor other) => Binary(BinaryOp.Ne, other);
    /// <summary>Element-wise inequality with a scalar.</summary>
    public Tensor Ne(double scalar) => Binary(BinaryOp.Ne, scalar);
    /// <summary>Element-wise less-than.</summary>
    public Tensor Lt(Tensor other) => Binary(BinaryOp.Lt, other);
    /// <summary>Element-wise less-than a scalar.</summary>
    public Tensor Lt(double scalar) => Binary(BinaryOp.Lt, scalar);
    /// <summary>Element-wise less-or-equal.</summary>
    public Tensor Le(Tensor other) => Binary(BinaryOp.Le, other);
    /// <summary>Element-wise less-or-equal to a scalar.</summary>
    public Tensor Le(double scalar) => Binary(BinaryOp.Le, scalar);
    /// <summary>Element-wise greater-than.</summary>
    public Tensor Gt(Tensor other) => Binary(BinaryOp.Gt, other);
    /// <summary>Element-wise greater-than a scalar.</summary>
    public Tensor Gt(double scalar) => Binary(BinaryOp.Gt, scalar);
    /// <summary>Element-wise greater-or-equal.</summary>
    public Tensor Ge(Tensor other) => Binary(BinaryOp.Ge, other);
    /// <summary>Element-wise greater-or-equal to a scalar.</summary>
    public Tensor Ge(double scalar) => Binary(BinaryOp.Ge, scalar);
    /// <summary>Element-wise logical and.</summary>
    public Tensor LogicalAnd(Tensor other) => Binary(BinaryOp.LogicalAnd, other);
    /// <summary>Element-wise logical or.</summary>
    public Tensor LogicalOr(Tensor other) => Binary(BinaryOp.LogicalOr, other);
    /// <summary>Element-wise logical not.</summary>
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot);

    /// <summary>Absolute value.</summary>
    public Tensor Abs() => Unary(UnaryOp.Abs);
    /// <summary>Sign: −1, 0 or 1.</summary>
    public Tensor Sign() => Unary(UnaryOp.Sign);
    /// <summary>Exponential.</summary>
    public Tensor Exp() => Unary(UnaryOp.Exp);
    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary(UnaryOp.Log);
    /// <summary>log(1 + x).</summary>
    public Tensor Log1p() => Unary(UnaryOp.Log1p);
    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    /// <summary>1 / sqrt(x).</summary>
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);
    /// <summary>x².</summary>
    public Tensor Square() => Unary(UnaryOp.Square);
    /// <summary>1 / x.</summary>
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal);
    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary(UnaryOp.Relu);
    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    /// <summary>Sine.</summary>
    public Tensor Sin() => Unary(UnaryOp.Sin);
    /// <summary>Cosine.</summary>
    public Tensor Cos() => Unary(UnaryOp.Cos);
    /// <summary>Rounds down.</summary>
    public Tensor Floor() => Unary(UnaryOp.Floor);
    /// <summary>Rounds up.</summary>
    public Tensor Ceil() => Unary(UnaryOp.Ceil);
    /// <summary>Rounds half to even.</summary>
    public Tensor Round() => Unary(UnaryOp.Round);
    /// <summary>Rounds toward zero.</summary>
    public Tensor Trunc() => Unary(UnaryOp.Trunc);

    /// <summary>Clamps into [min, max]; a null bound is left open.</summary>
    public Tensor Clamp(double? min = null, double? max = null) => ClampImpl(min, max, inplace: false);

    private Tensor ClampImpl(double? min, double? max, bool inplace) =>
        Check.Result(NativeMethods.symm_tensor_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0,
            inplace ? 1 : 0, out var r), r, inplace ? "clamp_" : "clamp");

    /// <summary>Matrix product with broadcasting (as <c>torch.matmul</c>).</summary>
    public Tensor MatMul(Tensor other) => Binary(BinaryOp.MatMul, other);
    /// <summary>Batched matrix product of (b, n, m) and (b, m, p).</summary>
    public Tensor Bmm(Tensor other) => Binary(BinaryOp.Bmm, other);
    /// <summary>Outer product of two vectors.</summary>
    public Tensor Outer(Tensor other) => Binary(BinaryOp.Outer, other);

    /// <summary>this + value · t1 · t2.</summary>
    public Tensor Addcmul(Tensor t1, Tensor t2, double value = 1) =>
        Check.Result(NativeMethods.symm_tensor_addcmul(Handle, t1.Handle, t2.Handle, value, 0, out var r), r, "addcmul");
    /// <summary>this + value · t1 / t2.</summary>
    public Tensor Addcdiv(Tensor t1, Tensor t2, double value = 1) =>
        Check.Result(NativeMethods.symm_tensor_addcdiv(Handle, t1.Handle, t2.Handle, value, 0, out var r), r, "addcdiv");
}
