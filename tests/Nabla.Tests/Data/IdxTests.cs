using System.Buffers.Binary;
using System.IO.Compression;
using Nabla.Data;

namespace Nabla.Tests;

public class IdxTests
{
    static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "nabla-io-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    static byte[] Image(byte type, int[] dims, byte[] payload)
    {
        var b = new byte[4 + 4 * dims.Length + payload.Length];
        b[2] = type;
        b[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(b, 4 + 4 * dims.Length);
        return b;
    }

    static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    static IdxArray ReadBytes(byte[] b, string name = "mem") => Idx.Read(new MemoryStream(b), name);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteThenReadUInt8RoundTrips(bool gzip)
    {
        var dir = TempDir();
        try
        {
            var values = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();
            var path = Path.Combine(dir, gzip ? "a.gz" : "a");
            Idx.WriteUInt8(path, values, new[] { 2, 3, 4 }, gzip);
            Assert.Equal(gzip, File.ReadAllBytes(path)[0] == 0x1f);
            var a = Idx.Read(path);
            Assert.Equal(IdxDataType.UInt8, a.DataType);
            Assert.Equal(new[] { 2, 3, 4 }, a.Shape);
            Assert.Equal(values, a.RawBytes.ToArray());
            Assert.Equal(values.Select(v => (int)v), a.ToInt32());
            Assert.Equal(values.Select(v => v / 255f), a.ToSingle(255f));
            var t = a.ToTensor(1f, 6, 4);
            Assert.Equal(new[] { 6, 4 }, t.Shape);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ReadsSignedIntegerAndFloatTypesBigEndian()
    {
        var p16 = new byte[4]; BinaryPrimitives.WriteInt16BigEndian(p16, -300); BinaryPrimitives.WriteInt16BigEndian(p16.AsSpan(2), 7);
        Assert.Equal(new[] { -300, 7 }, ReadBytes(Image(0x0B, new[] { 2 }, p16)).ToInt32());
        var p32 = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(p32, -123456);
        Assert.Equal(new[] { -123456 }, ReadBytes(Image(0x0C, new[] { 1 }, p32)).ToInt32());
        var pf = new byte[4]; BinaryPrimitives.WriteSingleBigEndian(pf, 2.5f);
        Assert.Equal(new[] { 5f }, ReadBytes(Image(0x0D, new[] { 1 }, pf)).ToSingle(0.5f));
        var pd = new byte[8]; BinaryPrimitives.WriteDoubleBigEndian(pd, -0.125);
        var d = ReadBytes(Image(0x0E, new[] { 1, 1 }, pd));
        Assert.Equal(new[] { -0.125f }, d.ToSingle());
        Assert.Throws<InvalidOperationException>(() => d.ToInt32());
        Assert.Equal(new[] { -1 }, ReadBytes(Image(0x09, new[] { 1 }, new byte[] { 0xFF })).ToInt32());
    }

    public static IEnumerable<object[]> Bad()
    {
        yield return new object[] { "short", new byte[] { 0, 0, 8 }, "magic" };
        yield return new object[] { "magic", Image(8, new[] { 1 }, new byte[1]).Select((b, i) => i == 0 ? (byte)7 : b).ToArray(), "magic" };
        yield return new object[] { "type", Image(0x0A, new[] { 1 }, new byte[1]), "type" };
        yield return new object[] { "rank0", Image(8, Array.Empty<int>(), new byte[1]), "rank" };
        yield return new object[] { "dims vs length", Image(8, new[] { 2, 3 }, new byte[5]), "dimensions" };
        yield return new object[] { "trailing", Image(8, new[] { 2 }, new byte[3]), "dimensions" };
        yield return new object[] { "negative dim", Image(8, new[] { -1 }, new byte[1]), "dimensions" };
        yield return new object[] { "terabytes", Image(0x0E, new[] { 1 << 30, 1 << 30, 1 << 30 }, new byte[8]), "dimensions" };
        yield return new object[] { "cut dims", Image(8, new[] { 2, 3, 4 }, Array.Empty<byte>()).AsSpan(0, 10).ToArray(), "dimensions" };
        yield return new object[] { "gzip dims vs length", Gzip(Image(8, new[] { 100, 100 }, new byte[10])), "dimensions" };
        yield return new object[] { "gzip trailing", Gzip(Image(8, new[] { 2 }, new byte[4])), "dimensions" };
        yield return new object[] { "gzip terabytes", Gzip(Image(8, new[] { 1 << 20, 1 << 20 }, new byte[16])), "dimensions" };
        var g = Gzip(Image(8, new[] { 50, 50 }, Enumerable.Range(0, 2500).Select(i => (byte)(i * 7)).ToArray()));
        yield return new object[] { "gzip truncated", g.AsSpan(0, g.Length / 2).ToArray(), null! };
    }

    [Theory]
    [MemberData(nameof(Bad))]
    public void MalformedFilesThrowTypedErrorNamingTheFile(string name, byte[] bytes, string? field)
    {
        var ex = Assert.Throws<IdxFormatException>(() => ReadBytes(bytes, name));
        Assert.Equal(name, ex.FileName);
        if (field is not null) Assert.Equal(field, ex.Field);
        Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void MutatedFilesEitherLoadOrThrowTheTypedError()
    {
        var raw = Image(8, new[] { 3, 5, 5 }, Enumerable.Range(0, 75).Select(i => (byte)i).ToArray());
        var gz = Gzip(raw);
        var rng = new Random(77);
        int rejected = 0;
        for (int iter = 0; iter < 1500; iter++)
        {
            var b = (byte[])(iter % 2 == 0 ? raw : gz).Clone();
            switch (rng.Next(3))
            {
                case 0: for (int k = rng.Next(1, 4); k > 0; k--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b = b.AsSpan(0, rng.Next(b.Length)).ToArray(); break;
                default: b[rng.Next(Math.Min(16, b.Length))] = (byte)rng.Next(256); break;
            }
            try { var a = ReadBytes(b); Assert.Equal(ShapeMath.Size(a.Shape), a.ToSingle().Length); }
            catch (IdxFormatException) { rejected++; }
        }
        Assert.True(rejected > 500, $"only {rejected} mutants rejected");
    }
}
