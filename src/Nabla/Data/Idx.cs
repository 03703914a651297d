using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics.Tensors;
using Nabla.IO;

namespace Nabla.Data;

/// <summary>Element types of the IDX format (the third magic byte).</summary>
public enum IdxDataType : byte
{
    UInt8 = 0x08, Int8 = 0x09, Int16 = 0x0B, Int32 = 0x0C, Float32 = 0x0D, Float64 = 0x0E,
}

/// <summary>An IDX file that breaks the format (bad magic, dimensions that disagree with the length, …).</summary>
public sealed class IdxFormatException : DataFormatException
{
    public IdxFormatException(string fileName, string? field, string message, Exception? inner = null)
        : base("IDX", fileName, field, message, inner) { }
}

/// <summary>The contents of an IDX file: shape, element type and the big-endian payload.</summary>
public sealed class IdxArray
{
    readonly byte[] payload;
    readonly int[] shape;

    internal IdxArray(IdxDataType type, int[] shape, int count, byte[] payload)
    {
        DataType = type;
        this.shape = shape;
        Count = count;
        this.payload = payload;
    }

    public IdxDataType DataType { get; }
    /// <summary>The dimensions (a copy).</summary>
    public int[] Shape => (int[])shape.Clone();
    /// <summary>Number of elements.</summary>
    public int Count { get; }
    /// <summary>The payload as stored (big-endian for multi-byte types).</summary>
    public ReadOnlySpan<byte> RawBytes => payload;

    /// <summary>
    /// The values as float, each divided by <paramref name="divisor"/> (255 maps u8 pixels to [0, 1] exactly as
    /// torchvision's <c>ToTensor</c>, which divides rather than multiplies by 1/255).
    /// </summary>
    public float[] ToSingle(float divisor = 1f)
    {
        var dst = new float[Count];
        var src = payload.AsSpan();
        switch (DataType)
        {
            case IdxDataType.UInt8:
                // exact: each byte converts to float exactly, then one IEEE division (vectorized)
                TensorPrimitives.ConvertChecked<byte, float>(src, dst);
                if (divisor != 1f) TensorPrimitives.Divide(dst, divisor, dst);
                break;
            case IdxDataType.Int8: for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i] / divisor; break;
            case IdxDataType.Int16: for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16BigEndian(src[(2 * i)..]) / divisor; break;
            case IdxDataType.Int32: for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32BigEndian(src[(4 * i)..]) / divisor; break;
            case IdxDataType.Float32: for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleBigEndian(src[(4 * i)..]) / divisor; break;
            default: for (int i = 0; i < dst.Length; i++) dst[i] = (float)(BinaryPrimitives.ReadDoubleBigEndian(src[(8 * i)..]) / divisor); break;
        }
        return dst;
    }

    /// <summary>The values as int (integer types only: labels).</summary>
    public int[] ToInt32()
    {
        var dst = new int[Count];
        var src = payload.AsSpan();
        switch (DataType)
        {
            case IdxDataType.UInt8: for (int i = 0; i < dst.Length; i++) dst[i] = src[i]; break;
            case IdxDataType.Int8: for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i]; break;
            case IdxDataType.Int16: for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16BigEndian(src[(2 * i)..]); break;
            case IdxDataType.Int32: for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32BigEndian(src[(4 * i)..]); break;
            default: throw new InvalidOperationException($"IdxArray.ToInt32: the data are {DataType}, not integers");
        }
        return dst;
    }

    /// <summary>A float tensor of the values divided by <paramref name="divisor"/>, with the file's shape or <paramref name="shape"/>.</summary>
    public Tensor ToTensor(float divisor = 1f, params int[] shape) =>
        new(ToSingle(divisor), shape.Length == 0 ? this.shape : shape);
}

/// <summary>
/// Reader and writer of the IDX format of MNIST, Fashion-MNIST, KMNIST…: magic bytes 0, 0, type, rank; then
/// rank big-endian u32 dimensions; then the big-endian payload. Files may be gzip-compressed (detected by
/// the magic 1f 8b) or raw.
/// </summary>
/// <remarks>
/// Files are untrusted: the declared dimensions are checked against the real length before the payload is
/// allocated (raw: the file length; gzip: the trailer's uncompressed size and deflate's maximal ratio), and
/// the payload must end exactly where the file does.
/// </remarks>
public static class Idx
{
    const int MaxRank = 16;
    const long MaxDeflateRatio = 1100; // deflate cannot expand more than ~1032:1

    static int ElementSize(IdxDataType t) => t switch
    {
        IdxDataType.UInt8 or IdxDataType.Int8 => 1,
        IdxDataType.Int16 => 2,
        IdxDataType.Int32 or IdxDataType.Float32 => 4,
        _ => 8,
    };

    /// <summary>Reads the IDX file at <paramref name="path"/> (gzip or raw).</summary>
    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(fs, path);
    }

    /// <summary>Reads an IDX image from a seekable stream positioned at its start (the whole rest of the stream).</summary>
    public static IdxArray Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek) throw new ArgumentException("Idx.Read: the stream must be seekable", nameof(stream));
        long start = stream.Position, length = stream.Length - start;
        if (length < 4) throw new IdxFormatException(source, "magic", $"the file is {length} bytes, too short for an IDX header");
        Span<byte> magic = stackalloc byte[2];
        stream.ReadExactly(magic);
        stream.Position = start;
        bool gzip = magic[0] == 0x1f && magic[1] == 0x8b;
        if (!gzip) return ReadCore(stream, source, length, null, length);

        // gzip trailer: CRC32, then ISIZE = uncompressed length mod 2^32.
        if (length < 18) throw new IdxFormatException(source, "gzip", $"the gzip file is {length} bytes, too short");
        Span<byte> isize = stackalloc byte[4];
        stream.Position = start + length - 4;
        stream.ReadExactly(isize);
        stream.Position = start;
        uint declared = BinaryPrimitives.ReadUInt32LittleEndian(isize);
        try
        {
            using var gz = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            return ReadCore(gz, source, null, declared, length);
        }
        catch (InvalidDataException ex) { throw new IdxFormatException(source, "gzip", $"corrupt gzip data ({ex.Message})", ex); }
    }

    static IdxArray ReadCore(Stream s, string source, long? rawLength, uint? gzipSize, long fileLength)
    {
        Span<byte> head = stackalloc byte[4];
        if (!TryFill(s, head)) throw new IdxFormatException(source, "magic", "the file ends inside the 4-byte magic");
        if (head[0] != 0 || head[1] != 0) throw new IdxFormatException(source, "magic", $"starts {head[0]:x2} {head[1]:x2}, not 00 00: not an IDX file");
        var type = (IdxDataType)head[2];
        if (!Enum.IsDefined(type)) throw new IdxFormatException(source, "type", $"unknown element type 0x{head[2]:x2}");
        int rank = head[3];
        if (rank == 0 || rank > MaxRank) throw new IdxFormatException(source, "rank", $"rank {rank} is not in 1..{MaxRank}");

        Span<byte> dimBytes = stackalloc byte[4 * rank];
        if (!TryFill(s, dimBytes)) throw new IdxFormatException(source, "dimensions", $"the file ends inside the {rank} dimensions");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(dimBytes[(4 * i)..]);
            if (d > int.MaxValue) throw new IdxFormatException(source, "dimensions", $"dimension {i} = {d} is too large");
            shape[i] = (int)d;
            count *= d;
            if (count > Array.MaxLength) throw new IdxFormatException(source, "dimensions", $"dimensions {ShapeMath.Format(shape.AsSpan(0, i + 1))} hold more elements than an array can");
        }
        long bytes = count * ElementSize(type);
        if (bytes > Array.MaxLength) throw new IdxFormatException(source, "dimensions", $"{count} {type} elements need {bytes} bytes, more than an array holds");
        long total = 4 + 4L * rank + bytes;
        if (rawLength is long raw && raw != total)
            throw new IdxFormatException(source, "dimensions", $"dimensions {ShapeMath.Format(shape)} of {type} need {total} bytes but the file has {raw}");
        if (gzipSize is uint isize)
        {
            if ((uint)total != isize)
                throw new IdxFormatException(source, "dimensions", $"dimensions {ShapeMath.Format(shape)} of {type} need {total} bytes but the gzip trailer declares {isize}");
            if (total > fileLength * MaxDeflateRatio)
                throw new IdxFormatException(source, "dimensions", $"dimensions {ShapeMath.Format(shape)} need {total} bytes, more than {fileLength} compressed bytes can hold");
        }

        var payload = new byte[bytes];
        if (!TryFill(s, payload))
            throw new IdxFormatException(source, "payload", $"the data end before the {bytes} bytes that dimensions {ShapeMath.Format(shape)} of {type} need");
        if (s.ReadByte() >= 0)
            throw new IdxFormatException(source, "payload", $"the file holds more data than dimensions {ShapeMath.Format(shape)} of {type} declare");
        return new IdxArray(type, shape, (int)count, payload);
    }

    static bool TryFill(Stream s, Span<byte> dst) => s.ReadAtLeast(dst, dst.Length, throwOnEndOfStream: false) == dst.Length;

    /// <summary>Writes an IDX file of bytes (u8), optionally gzip-compressed; atomic. Used for tests and exports.</summary>
    public static void WriteUInt8(string path, ReadOnlySpan<byte> values, int[] shape, bool gzip = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape.Length > MaxRank) throw new ArgumentException($"Idx.WriteUInt8: rank {shape.Length} is not in 1..{MaxRank}", nameof(shape));
        if (ShapeMath.Size(shape) != values.Length)
            throw new ArgumentException($"Idx.WriteUInt8: {values.Length} values cannot have shape {ShapeMath.Format(shape)}", nameof(shape));
        var image = new byte[4 + 4 * shape.Length + values.Length];
        image[2] = (byte)IdxDataType.UInt8;
        image[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(4 + 4 * i), (uint)shape[i]);
        values.CopyTo(image.AsSpan(4 + 4 * shape.Length));
        AtomicFile.Write(path, s =>
        {
            if (!gzip) { s.Write(image); return; }
            using var gz = new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true);
            gz.Write(image);
        });
    }
}
