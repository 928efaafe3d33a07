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
        try
        {
            using var file = File.OpenRead(path);
            var isGzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
            file.Position = 0;
            using Stream source = isGzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            return Parse(path, source, expectedRank);
        }
        catch (InvalidDataException error)
        {
            throw new DataFormatException(path, $"not a valid gzip file ({error.Message})");
        }
    }

    /// <summary>Reads the header, then the data straight into one array of the size the header gives
    /// (no intermediate copies: Fashion-MNIST's training images are 47 MB).</summary>
    private static (int[] Dims, byte[] Data) Parse(string path, Stream source, int expectedRank)
    {
        var magic = new byte[4];
        var got = source.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (got < magic.Length) throw new DataFormatException(path, $"truncated: {got} bytes, not even an IDX header");
        if (magic[0] != 0 || magic[1] != 0 || magic[2] != UnsignedByte || magic[3] != expectedRank)
            throw new DataFormatException(path,
                $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8}; expected 0x{0x800 | expectedRank:X8} " +
                $"(unsigned-byte IDX with {expectedRank} dimension{(expectedRank == 1 ? "" : "s")})");
        var header = new byte[4 * expectedRank];
        if (source.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            throw new DataFormatException(path, "truncated inside the IDX header");
        var dims = new int[expectedRank];
        long count = 1;
        for (var i = 0; i < expectedRank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * i));
            if (dims[i] < 0) throw new DataFormatException(path, $"dimension {i} is negative ({dims[i]})");
            count *= dims[i];
        }
        if (count > Array.MaxLength)
            throw new DataFormatException(path, $"header promises {count} values of shape [{string.Join(", ", dims)}], more than one array can hold");
        var data = new byte[count];
        var available = source.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (available < count)
            throw new DataFormatException(path, $"truncated: header promises {count} values of shape [{string.Join(", ", dims)}] but only {available} bytes follow");
        var extra = CountRemaining(source);
        if (extra > 0)
            throw new DataFormatException(path, $"{extra} unexpected bytes after the {count} values the header promises");
        return (dims, data);
    }

    private static long CountRemaining(Stream source)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = source.Read(buffer, 0, buffer.Length)) > 0) total += read;
        return total;
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
}
