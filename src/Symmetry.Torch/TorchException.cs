namespace Symmetry.Torch;

/// <summary>An error raised by libtorch (or by the shim's argument checks) during one operation.</summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception for a failed operation.</summary>
    /// <param name="op">The operation that failed, e.g. <c>matmul</c>.</param>
    /// <param name="nativeMessage">libtorch's own message.</param>
    public TorchException(string op, string nativeMessage)
        : base($"{op}: {nativeMessage}")
    {
        Op = op;
        NativeMessage = nativeMessage;
    }

    /// <summary>The operation that failed.</summary>
    public string Op { get; }

    /// <summary>The message libtorch gave, without its C++ backtrace.</summary>
    public string NativeMessage { get; }
}
