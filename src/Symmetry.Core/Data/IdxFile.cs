using System.Buffers.Binary;
using System.IO.Compression;

namespace Symmetry.Core.Data;

/// <summary>Reads IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed.</summary>
/// <remarks>Layout: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, one big-endian
/// int32 per dimension, then the data in row-major order.</remarks>
public static class IdxFile
{
    private const byte UnsignedByte = 0x08;

    /// <summary>The dimensions and bytes of an unsigned-byte IDX file with <paramref name="expectedRank"/> dimensions.</summary>
    /// <exception cref="DataFormatException">The file is missing, truncated, or has the wrong magic number or rank.</exception>
    public static (int[] Dims, byte[] Data) Read(string path, int expectedRank)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        byte[] bytes;
        try
        {
            bytes = ReadAllBytes(path);
        }
        catch (InvalidDataException error)
        {
            throw new DataFormatException(path, $"not a valid gzip file ({error.Message})");
        }
        if (bytes.Length < 4) throw new DataFormatException(path, $"truncated: {bytes.Length} bytes, not even an IDX header");
        if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != UnsignedByte || bytes[3] != expectedRank)
            throw new DataFormatException(path,
                $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8}; expected 0x{0x800 | expectedRank:X8} " +
                $"(unsigned-byte IDX with {expectedRank} dimension{(expectedRank == 1 ? "" : "s")})");
        var headerLength = 4 + 4 * expectedRank;
        if (bytes.Length < headerLength) throw new DataFormatException(path, "truncated inside the IDX header");
        var dims = new int[expectedRank];
        long count = 1;
        for (var i = 0; i < expectedRank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new DataFormatException(path, $"dimension {i} is negative ({dims[i]})");
            count *= dims[i];
        }
        var available = bytes.Length - headerLength;
        if (available < count)
            throw new DataFormatException(path, $"truncated: header promises {count} values of shape [{string.Join(", ", dims)}] but only {available} bytes follow");
        if (available > count)
            throw new DataFormatException(path, $"{available - count} unexpected bytes after the {count} values the header promises");
        return (dims, bytes.AsSpan(headerLength).ToArray());
    }

    /// <summary>Finds <paramref name="baseName"/> or <paramref name="baseName"/>.gz in <paramref name="directory"/>.</summary>
    public static string Locate(string directory, string baseName)
    {
        foreach (var candidate in new[] { baseName, baseName + ".gz" })
        {
            var path = System.IO.Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DataFormatException(System.IO.Path.Combine(directory, baseName),
            "file not found (also tried .gz). Install Debian's dataset-fashion-mnist (dotnet fsi build.fsx setup) or pass a directory holding MNIST-format IDX files");
    }

    private static byte[] ReadAllBytes(string path)
    {
        using var file = File.OpenRead(path);
        var isGzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream source = isGzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var memory = new MemoryStream();
        source.CopyTo(memory);
        return memory.ToArray();
    }
}
