using System.Runtime.InteropServices;

namespace Symmetry.Torch.Native;

/// <summary>Turns a shim status code into a <see cref="TorchException"/>.</summary>
internal static class Check
{
    internal static void Status(int status, string op)
    {
        if (status != 0) throw Failure(op);
    }

    internal static Tensor Result(int status, IntPtr result, string op)
    {
        if (status != 0) throw Failure(op);
        return new Tensor(result);
    }

    private static TorchException Failure(string op)
    {
        var text = NativeMethods.symm_error_take();
        try
        {
            var message = text == IntPtr.Zero ? "(no message)" : Marshal.PtrToStringUTF8(text) ?? "(no message)";
            return new TorchException(op, message.Trim());
        }
        finally
        {
            NativeMethods.symm_string_free(text);
        }
    }
}
