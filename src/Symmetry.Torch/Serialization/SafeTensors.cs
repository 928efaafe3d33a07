using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

using DType = TorchSharp.torch.ScalarType;

namespace Symmetry.Torch.Serialization;

/// <summary>
/// Reads and writes the safetensors format (readable by Python's <c>safetensors.torch.load_file</c>): an 8-byte
/// little-endian header length N, N bytes of UTF-8 JSON (<c>{"name": {"dtype", "shape", "data_offsets"}, …,
/// "__metadata__": {…}}</c>) padded with spaces to a multiple of 8, then the tensors' little-endian row-major bytes,
/// back to back in header order.
/// </summary>
public static class SafeTensors
{
    /// <summary>The <c>__metadata__</c> key of the checksum that <see cref="Save"/> writes when asked: the lower-case hex
    /// SHA-256 of the data section (every tensor byte, in file order). <see cref="Load"/> checks it whenever present.</summary>
    public const string ChecksumKey = "symmetry.data_sha256";

    /// <summary>
    /// Writes <paramref name="tensors"/> (in the given order) and <paramref name="metadata"/> to <paramref name="path"/>
    /// atomically: the file is written under a temporary name beside it, flushed to disk, then renamed over
    /// <paramref name="path"/>. On any failure the temporary file is deleted and <paramref name="path"/> is untouched.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">Named tensors, e.g. PyTorch-style <c>layers.0.weight</c>; any device, any layout.</param>
    /// <param name="metadata">Free-form strings stored under <c>__metadata__</c> (keys sorted), or null for none.</param>
    /// <param name="withChecksum">Also record the SHA-256 of the tensor bytes under <see cref="ChecksumKey"/>, so that
    /// <see cref="Load"/> detects corrupt data.</param>
    /// <exception cref="ArgumentException">A name is repeated or reserved, or a tensor was disposed.</exception>
    /// <exception cref="SafeTensorsException">The file system refused the write.</exception>
    public static void Save(string path, IReadOnlyList<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, bool withChecksum = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();

        var entries = Describe(tensors);
        if (metadata is not null)
            foreach (var (key, value) in metadata)
                if (key is null || value is null)
                    throw new ArgumentException("metadata keys and values must not be null", nameof(metadata));
        if (metadata?.ContainsKey(ChecksumKey) == true)
            throw new ArgumentException($"metadata key '{ChecksumKey}' is reserved for the checksum (pass withChecksum: true)", nameof(metadata));
        // The checksum is known only once the data is written: a placeholder of the same length holds its place in the
        // header, overwritten afterwards.
        var placeholder = new string('0', 64);
        if (withChecksum)
            metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [ChecksumKey] = placeholder };
        var header = SafeTensorsHeader.Build(entries, metadata);
        var checksumAt = withChecksum ? ChecksumOffset(header, placeholder) : -1;

        var temporary = TemporaryFiles.PathBeside(path);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                for (var i = 0; i < entries.Count; i++)
                {
                    if (entries[i].ByteLength == 0) continue;
                    // Row-major host bytes, whatever the tensor's device and layout.
                    using var scope = NewDisposeScope();
                    var bytes = tensors[i].Value.detach().cpu().contiguous().bytes;
                    stream.Write(bytes);
                    if (withChecksum) hash.AppendData(bytes);
                }
                if (withChecksum)
                {
                    stream.Seek(8 + checksumAt, SeekOrigin.Begin);
                    stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hash.GetHashAndReset())));
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            if (e is IOException and not SafeTensorsException || e is UnauthorizedAccessException)
                throw new SafeTensorsException(path, $"cannot write: {e.Message}", e);
            throw;
        }
    }

    /// <summary>
    /// Reads every tensor and the metadata of the safetensors file at <paramref name="path"/>. The tensors are
    /// created outside any scope and owned by the returned object; dispose it to free them.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <param name="device">Where to put the tensors (the CPU when null).</param>
    /// <exception cref="SafeTensorsException">The file is missing, truncated, or its header is malformed: invalid
    /// JSON, an unknown dtype, or data offsets that are out of range, overlap, leave gaps, or do not match
    /// shape × dtype size.</exception>
    public static SafeTensorsFile Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RequireLittleEndian();
        var target = device ?? CPU;
        TorchRuntime.Ensure();

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SafeTensorsException(path, "file does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SafeTensorsException(path, $"cannot open: {e.Message}", e);
        }

        var created = new List<KeyValuePair<string, Tensor>>();
        try
        {
            using (stream)
            {
                var fileLength = stream.Length;
                if (fileLength < 8)
                    throw new SafeTensorsException(path, $"truncated: {fileLength} bytes, fewer than the 8-byte header length");
                Span<byte> prefix = stackalloc byte[8];
                stream.ReadExactly(prefix);
                var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
                if (headerLength > SafeTensorsHeader.MaxHeaderBytes)
                    throw new SafeTensorsException(path, $"header length {headerLength} is over the {SafeTensorsHeader.MaxHeaderBytes}-byte limit (not a safetensors file?)");
                if ((long)headerLength > fileLength - 8)
                    throw new SafeTensorsException(path, $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");
                var header = new byte[headerLength];
                stream.ReadExactly(header);
                var dataStart = 8 + (long)headerLength;
                var (entries, metadata) = SafeTensorsHeader.Parse(path, header, fileLength - dataStart);
                if (metadata.TryGetValue(ChecksumKey, out var recorded)) VerifyChecksum(path, stream, dataStart, recorded);

                foreach (var entry in entries)
                {
                    var data = new byte[entry.ByteLength];
                    stream.Seek(dataStart + entry.Begin, SeekOrigin.Begin);
                    stream.ReadExactly(data);
                    var tensor = empty(entry.Shape, entry.DType);
                    if (data.Length > 0) tensor.bytes = data;
                    if (target.type != DeviceType.CPU)
                    {
                        var moved = tensor.to(target);
                        tensor.Dispose();
                        tensor = moved;
                    }
                    created.Add(new(entry.Name, tensor.DetachFromDisposeScope()));
                }
                return new SafeTensorsFile(path, [.. created], metadata);
            }
        }
        catch (Exception e)
        {
            foreach (var (_, tensor) in created) tensor.Dispose();
            if (e is EndOfStreamException)
                throw new SafeTensorsException(path, "truncated: the file ended while reading it (changed underneath?)", e);
            if (e is IOException and not SafeTensorsException || e is UnauthorizedAccessException)
                throw new SafeTensorsException(path, $"cannot read: {e.Message}", e);
            throw;
        }
    }

    /// <summary>Where the checksum placeholder's characters start in the header bytes.</summary>
    private static int ChecksumOffset(byte[] header, string placeholder)
    {
        var pattern = Encoding.ASCII.GetBytes($"\"{ChecksumKey}\":\"{placeholder}\"");
        var at = header.AsSpan().IndexOf(pattern);
        if (at < 0) throw new InvalidOperationException("safetensors header: checksum placeholder not found");
        return at + pattern.Length - placeholder.Length - 1;
    }

    /// <summary>Hashes the data section (from <paramref name="dataStart"/> to the end) and compares it with the
    /// checksum recorded at write time, before any tensor is made.</summary>
    private static void VerifyChecksum(string path, FileStream stream, long dataStart, string recorded)
    {
        stream.Seek(dataStart, SeekOrigin.Begin);
        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, recorded, StringComparison.OrdinalIgnoreCase))
            throw new SafeTensorsException(path,
                $"checksum mismatch: the tensor bytes hash to {actual[..12]}…, the file recorded {(recorded.Length > 12 ? recorded[..12] + "…" : recorded)} (the file is corrupt)");
    }

    /// <summary>Names, dtypes, shapes and contiguous offsets of the tensors to save, checked before any file is made.</summary>
    private static List<SafeTensorsEntry> Describe(IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        var entries = new List<SafeTensorsEntry>(tensors.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var offset = 0L;
        foreach (var (name, tensor) in tensors)
        {
            if (name is null) throw new ArgumentException("a tensor name is null", nameof(tensors));
            if (name == SafeTensorsHeader.MetadataKey)
                throw new ArgumentException($"'{SafeTensorsHeader.MetadataKey}' is reserved for metadata and cannot name a tensor", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"tensor name '{name}' appears twice", nameof(tensors));
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            if (tensor.IsInvalid) throw new ArgumentException($"tensor '{name}' was disposed (its scope ended?)", nameof(tensors));
            var dtype = tensor.dtype;
            var shape = tensor.shape;
            var bytes = checked(tensor.numel() * tensor.ElementSize);
            entries.Add(new SafeTensorsEntry(name, dtype, shape, offset, offset + bytes));
            offset = checked(offset + bytes);
        }
        return entries;
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors I/O is implemented for little-endian machines only");
    }
}
