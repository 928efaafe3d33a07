using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
    /// <summary>Tensors are copied through a native buffer; files are written and read in chunks of this size.</summary>
    /// <summary>
    /// Writes <paramref name="tensors"/> (in the given order) and <paramref name="metadata"/> to <paramref name="path"/>
    /// atomically: the file is written under a temporary name beside it, flushed to disk, then renamed over
    /// <paramref name="path"/>. On any failure the temporary file is deleted and <paramref name="path"/> is untouched.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">Named tensors, e.g. PyTorch-style <c>layers.0.weight</c>; any device, any layout.</param>
    /// <param name="metadata">Free-form strings stored under <c>__metadata__</c> (keys sorted), or null for none.</param>
    /// <exception cref="ArgumentException">A name is repeated or reserved, or a tensor was disposed.</exception>
    /// <exception cref="SafeTensorsException">The file system refused the write.</exception>
    public static void Save(string path, IReadOnlyList<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();

        var entries = Describe(tensors);
        if (metadata is not null)
            foreach (var (key, value) in metadata)
                if (key is null || value is null)
                    throw new ArgumentException("metadata keys and values must not be null", nameof(metadata));
        var header = SafeTensorsHeader.Build(entries, metadata);
        var largest = entries.Count == 0 ? 0 : entries.Max(e => e.ByteLength);

        var temporary = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                for (var i = 0; i < entries.Count; i++)
                {
                    if (entries[i].ByteLength == 0) continue;
                    // Row-major host bytes, whatever the tensor's device and layout.
                    using var scope = NewDisposeScope();
                    stream.Write(tensors[i].Value.detach().cpu().contiguous().bytes);
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
