using System.Globalization;
using System.Text;

namespace Symmetry.Torch;

/// <summary>Text form of a tensor: a header with shape, dtype and device, then the values, eliding the middle of
/// long dimensions as PyTorch does.</summary>
internal static class TensorFormatter
{
    private const int EdgeItems = 3;
    private const long SummariseAbove = 1000;

    internal static string Format(Tensor tensor)
    {
        if (tensor.IsDisposed) return "tensor(<disposed>)";
        var shape = tensor.Shape;
        var dtype = tensor.DType;
        var header = $"tensor(shape=[{string.Join(", ", shape)}], dtype={dtype}, device={tensor.Device}";
        if (tensor.RequiresGrad) header += ", requires_grad";
        string[] values;
        using (var onCpu = tensor.Detach().To(Device.Cpu, DType.Float64))
            values = onCpu.ToArray<double>().Select(v => FormatValue(v, dtype)).ToArray();
        var text = new StringBuilder(header).Append(")\n");
        var summarise = values.LongLength > SummariseAbove;
        AppendBlock(text, values, shape, 0, 0, summarise, indent: 0);
        return text.ToString();
    }

    private static string FormatValue(double value, DType dtype) => dtype switch
    {
        DType.Bool => value != 0 ? "true" : "false",
        _ when !dtype.IsFloatingPoint() => ((long)value).ToString(CultureInfo.InvariantCulture),
        _ => value.ToString("G6", CultureInfo.InvariantCulture),
    };

    private static void AppendBlock(StringBuilder text, string[] values, long[] shape, int dim, long offset, bool summarise, int indent)
    {
        if (shape.Length == 0)
        {
            text.Append(values[0]);
            return;
        }
        var stride = 1L;
        for (var d = dim + 1; d < shape.Length; d++) stride *= shape[d];
        text.Append('[');
        var count = shape[dim];
        for (var i = 0L; i < count; i++)
        {
            if (summarise && count > 2 * EdgeItems && i == EdgeItems)
            {
                text.Append(dim == shape.Length - 1 ? "..., " : "...,\n" + new string(' ', indent + 1));
                i = count - EdgeItems - 1;
                continue;
            }
            if (dim == shape.Length - 1) text.Append(values[offset + i]);
            else AppendBlock(text, values, shape, dim + 1, offset + i * stride, summarise, indent + 1);
            if (i < count - 1) text.Append(dim == shape.Length - 1 ? ", " : ",\n" + new string(' ', indent + 1));
        }
        text.Append(']');
    }
}
