using System.Security.Cryptography;
using System.Text;

namespace Symmetry.Torch;

/// <summary>Derives independent sub-seeds from one master seed (design rule 4).</summary>
public static class Seeds
{
    /// <summary>A stable 64-bit seed for (<paramref name="seed"/>, <paramref name="label"/>): the first eight bytes
    /// (little-endian) of SHA-256 over the UTF-8 text <c>"{seed}/{label}"</c>. The same on every machine and
    /// .NET version, unlike <see cref="object.GetHashCode"/>.</summary>
    public static ulong Derive(ulong seed, string label)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}/{label}"));
        return BitConverter.ToUInt64(digest, 0) & 0x7FFF_FFFF_FFFF_FFFFUL;
    }
}
