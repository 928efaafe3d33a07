using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Symmetry.Core.Data;

/// <summary>
/// What identifies a data set's content, cheaply: for each file a loader read (by name, in order), its size and the
/// SHA-256 of its contents — of its first and last <see cref="SampledBytes"/> when it is over
/// <see cref="WholeFileLimit"/>. Replacing the files under the same path changes it, so a result computed on the old data
/// is never reused for the new. A change confined to the middle of a file over the limit, with the same size, goes
/// unnoticed: the price of not hashing gigabytes at every start.
/// </summary>
public static class DataFingerprint
{
    /// <summary>Files up to this size are hashed whole (Fashion-MNIST's and CIFAR-10's files all are).</summary>
    public const long WholeFileLimit = 256L << 20;

    /// <summary>Bytes hashed at each end of a larger file.</summary>
    public const int SampledBytes = 1 << 20;

    /// <summary>The fingerprint of <paramref name="files"/>: <c>sha256:</c> and 16 hex digits.</summary>
    /// <exception cref="DataFormatException">A file cannot be read.</exception>
    public static string Of(IEnumerable<string> files)
    {
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                var length = stream.Length;
                all.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(file)}\n{length}\n")));
                all.AppendData(length <= WholeFileLimit ? SHA256.HashData(stream) : Ends(stream));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataFormatException(file, $"cannot read it to fingerprint the data: {e.Message}");
            }
        }
        return "sha256:" + Convert.ToHexStringLower(all.GetHashAndReset())[..16];
    }

    private static byte[] Ends(FileStream stream)
    {
        var buffer = new byte[2 * SampledBytes];
        stream.ReadExactly(buffer, 0, SampledBytes);
        stream.Seek(-SampledBytes, SeekOrigin.End);
        stream.ReadExactly(buffer, SampledBytes, SampledBytes);
        return SHA256.HashData(buffer);
    }
}
