namespace Symmetry.Torch.Native;

/// <summary>Mirrors <c>enum symm_unary_op</c>.</summary>
internal enum UnaryOp
{
    Neg = 0, Abs, Sign, Exp, Log, Sqrt, Rsqrt, Relu, Sigmoid, Tanh, Floor, Ceil, Round, LogicalNot, Reciprocal,
    Square, Sin, Cos, Log1p, Trunc, Zero,
}

/// <summary>Mirrors <c>enum symm_binary_op</c>.</summary>
internal enum BinaryOp
{
    Add = 0, Sub, Mul, Div, Pow, Eq, Ne, Lt, Le, Gt, Ge, Maximum, Minimum, Remainder, Fmod, LogicalAnd,
    LogicalOr, MatMul, Bmm, Outer, RSub, RDiv, RPow, Fill,
}

/// <summary>Mirrors <c>enum symm_reduce_op</c>.</summary>
internal enum ReduceOp
{
    Sum = 0, Mean, Prod, AMax, AMin, Any, All, LogSumExp,
}

/// <summary>Op names for error messages, computed once (enum formatting is too slow for every call).</summary>
internal static class OpNames
{
    private static readonly string[] Unary = Names<UnaryOp>("");
    private static readonly string[] UnaryInPlace = Names<UnaryOp>("_");
    private static readonly string[] Binary = Names<BinaryOp>("");
    private static readonly string[] BinaryInPlace = Names<BinaryOp>("_");
    private static readonly string[] Reduce = Names<ReduceOp>("");

    internal static string Of(UnaryOp op, bool inplace) => (inplace ? UnaryInPlace : Unary)[(int)op];
    internal static string Of(BinaryOp op, bool inplace) => (inplace ? BinaryInPlace : Binary)[(int)op];
    internal static string Of(ReduceOp op) => Reduce[(int)op];

    private static string[] Names<T>(string suffix) where T : struct, Enum =>
        Enum.GetValues<T>().OrderBy(v => Convert.ToInt32(v)).Select(v => v.ToString().ToLowerInvariant() + suffix).ToArray();
}
