namespace Symmetry.Torch;

/// <summary>Element types. Values are libtorch's <c>c10::ScalarType</c> codes.</summary>
public enum DType
{
    /// <summary>8-bit unsigned integer (.NET <see cref="byte"/>).</summary>
    UInt8 = 0,
    /// <summary>8-bit signed integer (.NET <see cref="sbyte"/>).</summary>
    Int8 = 1,
    /// <summary>16-bit signed integer (.NET <see cref="short"/>).</summary>
    Int16 = 2,
    /// <summary>32-bit signed integer (.NET <see cref="int"/>).</summary>
    Int32 = 3,
    /// <summary>64-bit signed integer (.NET <see cref="long"/>), the index type.</summary>
    Int64 = 4,
    /// <summary>IEEE half precision (.NET <see cref="Half"/>).</summary>
    Float16 = 5,
    /// <summary>32-bit float (.NET <see cref="float"/>), the default.</summary>
    Float32 = 6,
    /// <summary>64-bit float (.NET <see cref="double"/>).</summary>
    Float64 = 7,
    /// <summary>Boolean, one byte per element (.NET <see cref="bool"/>).</summary>
    Bool = 11,
}

/// <summary>Mapping between <see cref="DType"/> and .NET element types.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported dtype"),
    };

    /// <summary>True for float16, float32 and float64.</summary>
    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float16 or DType.Float32 or DType.Float64;

    /// <summary>The .NET type that holds one element.</summary>
    public static Type ClrType(this DType dtype) => dtype switch
    {
        DType.UInt8 => typeof(byte),
        DType.Int8 => typeof(sbyte),
        DType.Int16 => typeof(short),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.Float16 => typeof(Half),
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Bool => typeof(bool),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported dtype"),
    };

    /// <summary>The dtype that stores elements of .NET type <paramref name="type"/>.</summary>
    public static DType FromClrType(Type type) =>
        type == typeof(float) ? DType.Float32
        : type == typeof(double) ? DType.Float64
        : type == typeof(long) ? DType.Int64
        : type == typeof(int) ? DType.Int32
        : type == typeof(bool) ? DType.Bool
        : type == typeof(byte) ? DType.UInt8
        : type == typeof(sbyte) ? DType.Int8
        : type == typeof(short) ? DType.Int16
        : type == typeof(Half) ? DType.Float16
        : throw new ArgumentException($"no tensor dtype stores .NET elements of type {type.Name}", nameof(type));
}
