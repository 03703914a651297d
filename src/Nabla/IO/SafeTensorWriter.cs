using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Nabla.IO;

/// <summary>
/// Builds a safetensors file: float tensors as F32, integer tensors as I64, optional string metadata. Data is
/// laid out in the order added, back to back; the JSON header is padded with spaces so the data starts on an
/// 8-byte boundary. Tensors are referenced, not copied: their values at <see cref="WriteTo"/> time are written.
/// </summary>
public sealed class SafeTensorWriter
{
    sealed record Item(string Name, SafeTensorDtype Dtype, int[] Shape, float[]? Floats, long[]? Longs)
    {
        public long ByteLength => Floats is not null ? 4L * Floats.Length : 8L * Longs!.Length;
    }

    readonly List<Item> items = new();
    readonly HashSet<string> names = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> metadata = new(StringComparer.Ordinal);

    /// <summary>Number of tensors added.</summary>
    public int Count => items.Count;

    void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "__metadata__") throw new ArgumentException("SafeTensorWriter: '__metadata__' is reserved and cannot name a tensor", nameof(name));
        if (!names.Add(name)) throw new ArgumentException($"SafeTensorWriter: tensor '{name}' was already added", nameof(name));
    }

    static int[] CheckShape(string name, int length, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"SafeTensorWriter: tensor '{name}' has a negative dimension in shape {ShapeMath.Format(shape)}", nameof(shape));
            n *= d;
        }
        if (n != length) throw new ArgumentException($"SafeTensorWriter: tensor '{name}' has {length} values but shape {ShapeMath.Format(shape)} needs {n}", nameof(shape));
        return (int[])shape.Clone();
    }

    /// <summary>Adds a float tensor (stored as F32).</summary>
    public SafeTensorWriter Add(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        CheckName(name);
        items.Add(new Item(name, SafeTensorDtype.F32, (int[])tensor.shape.Clone(), tensor.data, null));
        return this;
    }

    /// <summary>Adds float values with a shape (stored as F32).</summary>
    public SafeTensorWriter Add(string name, float[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        var s = CheckShape(name, values.Length, shape);
        CheckName(name);
        items.Add(new Item(name, SafeTensorDtype.F32, s, values, null));
        return this;
    }

    /// <summary>Adds integers with a shape (stored as I64, like PyTorch's long tensors).</summary>
    public SafeTensorWriter AddInt64(string name, long[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        var s = CheckShape(name, values.Length, shape);
        CheckName(name);
        items.Add(new Item(name, SafeTensorDtype.I64, s, null, values));
        return this;
    }

    /// <summary>Adds a <c>__metadata__</c> entry (replacing an earlier value for the key).</summary>
    public SafeTensorWriter AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        metadata[key] = value;
        return this;
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    byte[] Header()
    {
        var buf = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buf))
        {
            w.WriteStartObject();
            if (metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var it in items)
            {
                w.WriteStartObject(it.Name);
                w.WriteString("dtype", it.Dtype.ToString());
                w.WriteStartArray("shape");
                foreach (int d in it.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += it.ByteLength;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int len = buf.WrittenCount, padded = (len + 7) & ~7;
        var header = new byte[padded];
        buf.WrittenSpan.CopyTo(header);
        header.AsSpan(len).Fill((byte)' ');
        return header;
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = Header();
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(n, (ulong)header.Length);
        stream.Write(n);
        stream.Write(header);
        foreach (var it in items)
        {
            if (it.Floats is not null) WriteLittleEndian(stream, it.Floats.AsSpan());
            else WriteLittleEndian(stream, it.Longs!.AsSpan());
        }
    }

    static void WriteLittleEndian<T>(Stream s, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (BitConverter.IsLittleEndian) { s.Write(MemoryMarshal.AsBytes(values)); return; }
        // Big-endian hosts: swap in chunks.
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var chunk = new byte[64 * 1024];
        var bytes = MemoryMarshal.AsBytes(values);
        for (int pos = 0; pos < bytes.Length; pos += chunk.Length)
        {
            int len = Math.Min(chunk.Length, bytes.Length - pos);
            bytes.Slice(pos, len).CopyTo(chunk);
            for (int i = 0; i < len; i += size) chunk.AsSpan(i, size).Reverse();
            s.Write(chunk, 0, len);
        }
    }

    /// <summary>The file as a byte array.</summary>
    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        return ms.ToArray();
    }

    /// <summary>Writes the file to <paramref name="path"/> atomically (temp file, flush, rename; see <see cref="AtomicFile"/>).</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);
}
