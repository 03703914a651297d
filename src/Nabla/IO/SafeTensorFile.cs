using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Nabla.IO;

/// <summary>
/// A safetensors file read into memory and validated: an 8-byte little-endian header length N, N bytes of UTF-8
/// JSON mapping each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (plus an optional
/// <c>"__metadata__"</c> map of strings), then the raw little-endian data.
/// </summary>
/// <remarks>
/// The file is untrusted. Everything the header declares is checked against the real length before anything
/// is allocated from it, with the Rust <c>safetensors</c> crate's rules: header length at most
/// <see cref="MaxHeaderBytes"/> and within the file; valid UTF-8 JSON object; every tensor entry complete, with
/// a known dtype and non-negative dimensions; element count × dtype size (checked for overflow) equal to
/// end − begin; sorted by offsets, the tensors tile the data region exactly, from 0 to its end, without gap
/// or overlap. Any violation throws <see cref="SafeTensorsFormatException"/> naming the file and field.
/// </remarks>
public sealed class SafeTensorFile
{
    /// <summary>Largest header accepted (the Rust crate's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    sealed record Entry(string Name, SafeTensorDtype Dtype, int[] Shape, int Count, long Begin, long End);

    readonly byte[] buffer;
    readonly int dataStart;
    readonly List<Entry> entries;
    readonly Dictionary<string, Entry> byName;
    readonly Dictionary<string, string> metadata;

    /// <summary>The path (or a description of the stream or buffer) this was read from; used in messages.</summary>
    public string FileName { get; }
    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>The header's <c>__metadata__</c> (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => metadata;
    /// <summary>Number of tensors.</summary>
    public int Count => entries.Count;

    SafeTensorFile(string source, byte[] buffer, int dataStart, List<Entry> entries, Dictionary<string, string> metadata)
    {
        FileName = source;
        this.buffer = buffer;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
        byName = new Dictionary<string, Entry>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries) byName[e.Name] = e;
        Names = entries.Select(e => e.Name).ToArray();
    }

    // ------------------------------------------------------------------ opening

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    public static SafeTensorFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long length = fs.Length;
        if (length < 8) throw Error(path, "header length", $"the file is {length} bytes, shorter than the 8-byte header length");
        Span<byte> head = stackalloc byte[8];
        fs.ReadExactly(head);
        CheckHeaderLength(path, BinaryPrimitives.ReadUInt64LittleEndian(head), length);
        if (length > Array.MaxLength)
            throw new NotSupportedException($"safetensors '{path}': files over {Array.MaxLength} bytes are not supported");
        var bytes = new byte[length];
        head.CopyTo(bytes);
        fs.ReadExactly(bytes, 8, (int)length - 8);
        return Parse(bytes, path);
    }

    /// <summary>Reads and validates a safetensors image held in memory (the array is kept, not copied).</summary>
    public static SafeTensorFile Read(byte[] bytes, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Parse(bytes, source ?? "<bytes>");
    }

    /// <summary>Reads a safetensors image from the current position of <paramref name="stream"/> to its end.</summary>
    public static SafeTensorFile Read(Stream stream, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        source ??= stream is FileStream f ? f.Name : "<stream>";
        byte[] bytes;
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining < 8) throw Error(source, "header length", $"the stream holds {remaining} bytes, fewer than the 8-byte header length");
            if (remaining > Array.MaxLength) throw new NotSupportedException($"safetensors '{source}': images over {Array.MaxLength} bytes are not supported");
            bytes = new byte[remaining];
            stream.ReadExactly(bytes);
        }
        else
        {
            // Unknown length: copy what is really there, so the allocation follows the data, not the header.
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            bytes = ms.ToArray();
        }
        return Parse(bytes, source);
    }

    static void CheckHeaderLength(string source, ulong n, long fileLength)
    {
        if (n > MaxHeaderBytes)
            throw Error(source, "header length", $"header length {n} exceeds the {MaxHeaderBytes}-byte limit");
        if (n > (ulong)(fileLength - 8))
            throw Error(source, "header length", $"header length {n} exceeds the {fileLength - 8} bytes after the length field");
    }

    static SafeTensorsFormatException Error(string source, string? field, string message, Exception? inner = null) =>
        new(source, field, message, inner);

    static SafeTensorFile Parse(byte[] buf, string source)
    {
        if (buf.Length < 8) throw Error(source, "header length", $"the file is {buf.Length} bytes, shorter than the 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(buf);
        CheckHeaderLength(source, n, buf.Length);
        int headerLength = (int)n;
        var header = new ReadOnlyMemory<byte>(buf, 8, headerLength);
        if (!System.Text.Unicode.Utf8.IsValid(header.Span)) throw Error(source, "header", "the header is not valid UTF-8");
        if (headerLength == 0 || header.Span[0] != (byte)'{') throw Error(source, "header", "the header does not start with '{'");

        JsonDocument doc;
        try { doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException ex) { throw Error(source, "header", $"the header is not valid JSON ({ex.Message})", ex); }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Error(source, "header", "the header is not a JSON object");
            long dataLength = buf.Length - 8L - headerLength;
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMeta = false;
            foreach (var prop in root.EnumerateObject())
            {
                string name = prop.Name;
                if (name == "__metadata__")
                {
                    if (sawMeta) throw Error(source, "__metadata__", "appears twice");
                    sawMeta = true;
                    ParseMetadata(source, prop.Value, meta);
                    continue;
                }
                if (!seen.Add(name)) throw Error(source, $"tensor '{name}'", "the name appears twice in the header");
                entries.Add(ParseEntry(source, name, prop.Value, dataLength));
            }

            // Sorted by offsets, tensors must tile [0, dataLength) exactly (Rust safetensors' validate()).
            var sorted = entries.ToArray();
            Array.Sort(sorted, static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long start = 0;
            foreach (var e in sorted)
            {
                if (e.Begin != start)
                    throw Error(source, $"tensor '{e.Name}'.data_offsets",
                        $"[{e.Begin}, {e.End}] does not start where the previous tensor ends ({start}): tensors must tile the data region without gaps or overlaps");
                start = e.End;
                if (start > dataLength)
                    throw Error(source, $"tensor '{e.Name}'.data_offsets", $"end {e.End} lies beyond the {dataLength}-byte data region");
            }
            if (start != dataLength)
                throw Error(source, "data_offsets", $"the tensors cover {start} bytes but the data region holds {dataLength}");
            return new SafeTensorFile(source, buf, 8 + headerLength, entries, meta);
        }
    }

    static void ParseMetadata(string source, JsonElement value, Dictionary<string, string> meta)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Error(source, "__metadata__", "is not an object of strings");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) throw Error(source, $"__metadata__.{p.Name}", "is not a string");
            if (!meta.TryAdd(p.Name, p.Value.GetString()!)) throw Error(source, $"__metadata__.{p.Name}", "appears twice");
        }
    }

    static Entry ParseEntry(string source, string name, JsonElement value, long dataLength)
    {
        string where = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object) throw Error(source, where, "the entry is not an object");
        if (!value.TryGetProperty("dtype", out var dt)) throw Error(source, where + ".dtype", "missing");
        if (!value.TryGetProperty("shape", out var sh)) throw Error(source, where + ".shape", "missing");
        if (!value.TryGetProperty("data_offsets", out var off)) throw Error(source, where + ".data_offsets", "missing");

        if (dt.ValueKind != JsonValueKind.String) throw Error(source, where + ".dtype", "is not a string");
        string? code = dt.GetString();
        if (!SafeTensorDtypes.TryParse(code, out var dtype))
            throw Error(source, where + ".dtype", $"unknown or unsupported dtype '{code}' (supported: {string.Join(", ", Enum.GetNames<SafeTensorDtype>())})");

        if (sh.ValueKind != JsonValueKind.Array) throw Error(source, where + ".shape", "is not an array");
        int rank = sh.GetArrayLength();
        if (rank > 64) throw Error(source, where + ".shape", $"rank {rank} is absurd");
        var shape = new int[rank];
        ulong count = 1;
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetUInt64(out ulong dim))
                throw Error(source, where + ".shape", $"dimension {i} is not a non-negative integer");
            if (dim > int.MaxValue) throw Error(source, where + ".shape", $"dimension {i} = {dim} is too large");
            shape[i++] = (int)dim;
            try { count = checked(count * dim); }
            catch (OverflowException) { throw Error(source, where + ".shape", "the element count overflows 64 bits"); }
        }

        if (off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2) throw Error(source, where + ".data_offsets", "is not an array [begin, end]");
        if (!off[0].TryGetUInt64Strict(out ulong begin) || !off[1].TryGetUInt64Strict(out ulong end))
            throw Error(source, where + ".data_offsets", "the offsets are not non-negative integers");
        if (end < begin) throw Error(source, where + ".data_offsets", $"end {end} is before begin {begin}");
        if (end > (ulong)dataLength) throw Error(source, where + ".data_offsets", $"end {end} lies beyond the {dataLength}-byte data region");

        ulong bytes;
        try { bytes = checked(count * (ulong)SafeTensorDtypes.Size(dtype)); }
        catch (OverflowException) { throw Error(source, where + ".shape", "the byte size overflows 64 bits"); }
        if (bytes != end - begin)
            throw Error(source, where, $"shape {ShapeMath.Format(shape)} of {code} needs {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        if (count > (ulong)Array.MaxLength) throw Error(source, where + ".shape", $"{count} elements are more than a tensor holds");
        return new Entry(name, dtype, shape, (int)count, (long)begin, (long)end);
    }

    // ------------------------------------------------------------------ access

    Entry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!byName.TryGetValue(name, out var e))
            throw new KeyNotFoundException($"safetensors '{FileName}': no tensor named '{name}'");
        return e;
    }

    /// <summary>True when the file holds a tensor of that name.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);
    /// <summary>The stored element type of a tensor.</summary>
    public SafeTensorDtype Dtype(string name) => Get(name).Dtype;
    /// <summary>The shape of a tensor (a copy).</summary>
    public int[] GetShape(string name) => (int[])Get(name).Shape.Clone();
    /// <summary>The raw little-endian bytes of a tensor.</summary>
    public ReadOnlySpan<byte> GetBytes(string name) { var e = Get(name); return buffer.AsSpan(dataStart + (int)e.Begin, (int)(e.End - e.Begin)); }

    /// <summary>A tensor as float32, whatever its stored dtype (integers and F64/F16/BF16 are converted).</summary>
    public Tensor GetTensor(string name)
    {
        var e = Get(name);
        var dst = new float[e.Count];
        ConvertToFloat(e.Dtype, GetBytes(name), dst);
        return new Tensor(dst, e.Shape);
    }

    /// <summary>An integer tensor's values (I64, I32, I16, I8, U8, U16, U32, U64 or BOOL), flattened row-major.</summary>
    public long[] GetInt64(string name)
    {
        var e = Get(name);
        if (!SafeTensorDtypes.IsInteger(e.Dtype))
            throw new InvalidOperationException($"safetensors '{FileName}': tensor '{name}' is {e.Dtype}, not an integer dtype");
        var src = GetBytes(name);
        var dst = new long[e.Count];
        if (e.Dtype == SafeTensorDtype.I64 && BitConverter.IsLittleEndian) { src.CopyTo(MemoryMarshal.AsBytes(dst.AsSpan())); return dst; }
        for (int i = 0; i < dst.Length; i++)
            dst[i] = e.Dtype switch
            {
                SafeTensorDtype.I64 => BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]),
                SafeTensorDtype.U64 => unchecked((long)BinaryPrimitives.ReadUInt64LittleEndian(src[(8 * i)..])),
                SafeTensorDtype.I32 => BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]),
                SafeTensorDtype.U32 => BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]),
                SafeTensorDtype.I16 => BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]),
                SafeTensorDtype.U16 => BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]),
                SafeTensorDtype.I8 => (sbyte)src[i],
                _ => src[i], // U8, BOOL
            };
        return dst;
    }

    /// <summary>Every tensor as float32, by name in header order.</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var d = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries) d[e.Name] = GetTensor(e.Name);
        return d;
    }

    static void ConvertToFloat(SafeTensorDtype dtype, ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (dtype == SafeTensorDtype.F32 && BitConverter.IsLittleEndian) { src.CopyTo(MemoryMarshal.AsBytes(dst)); return; }
        for (int i = 0; i < dst.Length; i++)
            dst[i] = dtype switch
            {
                SafeTensorDtype.F32 => BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]),
                SafeTensorDtype.F64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]),
                SafeTensorDtype.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]),
                SafeTensorDtype.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16),
                SafeTensorDtype.I64 => BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]),
                SafeTensorDtype.U64 => BinaryPrimitives.ReadUInt64LittleEndian(src[(8 * i)..]),
                SafeTensorDtype.I32 => BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]),
                SafeTensorDtype.U32 => BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]),
                SafeTensorDtype.I16 => BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]),
                SafeTensorDtype.U16 => BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]),
                SafeTensorDtype.I8 => (sbyte)src[i],
                _ => src[i], // U8, BOOL
            };
    }
}

static class JsonElementExtensions
{
    /// <summary>TryGetUInt64 that is false (not throwing) for non-numbers.</summary>
    public static bool TryGetUInt64Strict(this JsonElement e, out ulong v)
    {
        v = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetUInt64(out v);
    }
}
