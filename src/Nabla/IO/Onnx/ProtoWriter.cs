using System.Text;

namespace Nabla.IO.Onnx;

/// <summary>
/// The protobuf wire format, as far as ONNX needs it: a field is a key (number·8 + wire type) then its payload —
/// wire type 0 a varint (int64 as two's complement, 10 bytes when negative), 2 a length-delimited run (strings,
/// bytes, nested messages, packed repeated scalars), 5 a little-endian fixed32 (float).
/// </summary>
internal sealed class ProtoWriter
{
    readonly MemoryStream buf = new();

    public byte[] ToArray() => buf.ToArray();

    void Varint(ulong v)
    {
        while (v >= 0x80) { buf.WriteByte((byte)(v | 0x80)); v >>= 7; }
        buf.WriteByte((byte)v);
    }

    void Key(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    /// <summary>An int32/int64/enum field (wire type 0).</summary>
    public ProtoWriter Int(int field, long value) { Key(field, 0); Varint(unchecked((ulong)value)); return this; }

    /// <summary>A float field (wire type 5).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Key(field, 5);
        Span<byte> b = stackalloc byte[4];
        BitConverter.TryWriteBytes(b, value);
        if (!BitConverter.IsLittleEndian) b.Reverse();
        buf.Write(b);
        return this;
    }

    /// <summary>A bytes field (wire type 2).</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value) { Key(field, 2); Varint((ulong)value.Length); buf.Write(value); return this; }

    /// <summary>A UTF-8 string field.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A nested message field.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>A packed repeated int64 field.</summary>
    public ProtoWriter PackedInts(int field, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values) inner.Varint(unchecked((ulong)v));
        return Bytes(field, inner.ToArray());
    }

    /// <summary>A packed repeated float field.</summary>
    public ProtoWriter PackedFloats(int field, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), values[i]);
        return Bytes(field, bytes);
    }
}
