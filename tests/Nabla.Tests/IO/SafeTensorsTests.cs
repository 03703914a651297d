using System.Buffers.Binary;
using System.Text;
using Nabla.IO;

namespace Nabla.Tests;

public class SafeTensorsTests
{
    static string TempPath(string name) => Path.Combine(Path.GetTempPath(), "nabla-io-tests", Guid.NewGuid().ToString("N"), name);

    /// <summary>Builds a raw file from a JSON header string and a data region.</summary>
    internal static byte[] Raw(string header, byte[]? data = null, ulong? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        data ??= Array.Empty<byte>();
        var buf = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(buf, declaredLength ?? (ulong)h.Length);
        h.CopyTo(buf, 8);
        data.CopyTo(buf, 8 + h.Length);
        return buf;
    }

    internal static byte[] Sample()
    {
        var w = new SafeTensorWriter()
            .Add("a.weight", new float[] { 1, -2, 3.5f, 4, 5, 6 }, 2, 3)
            .AddInt64("a.steps", new long[] { 7, -1, long.MaxValue }, 3)
            .Add("scalar", new float[] { 0.25f })
            .Add("empty", Array.Empty<float>(), 0, 4)
            .AddMetadata("epoch", "3");
        return w.ToArray();
    }

    [Fact]
    public void RoundTripBytesKeepsValuesShapesDtypesAndMetadata()
    {
        var bytes = Sample();
        var f = SafeTensorFile.Read(bytes);
        Assert.Equal(new[] { "a.weight", "a.steps", "scalar", "empty" }, f.Names);
        Assert.Equal("3", f.Metadata["epoch"]);
        Assert.Equal(SafeTensorDtype.F32, f.Dtype("a.weight"));
        Assert.Equal(SafeTensorDtype.I64, f.Dtype("a.steps"));
        Assert.Equal(new[] { 2, 3 }, f.GetShape("a.weight"));
        Assert.Equal(new float[] { 1, -2, 3.5f, 4, 5, 6 }, f.GetTensor("a.weight").ToArray());
        Assert.Equal(new long[] { 7, -1, long.MaxValue }, f.GetInt64("a.steps"));
        Assert.Equal(new[] { 7f, -1f, (float)long.MaxValue }, f.GetTensor("a.steps").ToArray());
        Assert.Empty(f.GetShape("scalar"));
        Assert.Equal(0.25f, f.GetTensor("scalar").Item());
        Assert.Equal(new[] { 0, 4 }, f.GetShape("empty"));
        Assert.Equal(0, f.GetTensor("empty").Size);
        Assert.Throws<InvalidOperationException>(() => f.GetInt64("a.weight"));
        Assert.Throws<KeyNotFoundException>(() => f.GetTensor("nope"));
        Assert.False(f.Contains("nope"));
    }

    [Fact]
    public void WriterPadsHeaderToEightBytesAndTilesData()
    {
        var bytes = Sample();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"epoch\":\"3\"},\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", header);
        Assert.Equal((long)(8 + n + 24 + 24 + 4), bytes.LongLength);
    }

    [Fact]
    public void FileRoundTripIsAtomicAndOverwrites()
    {
        var path = TempPath("t.safetensors");
        try
        {
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new float[] { 1, 2, 3 }) },
                new[] { ("n", new long[] { 5 }, Array.Empty<int>()) }, new Dictionary<string, string> { ["k"] = "v" });
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new float[] { 4, 5 }) });
            var f = SafeTensors.Read(path);
            Assert.Equal(new[] { "x" }, f.Names);
            Assert.Equal(new float[] { 4, 5 }, f.GetTensor("x").ToArray());
            Assert.Empty(f.Metadata);
            Assert.Equal(path, f.FileName);
            // no temp files left behind
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, true); }
    }

    [Fact]
    public void AtomicWriteFailureKeepsOldFileAndLeavesNoTemp()
    {
        var path = TempPath("keep.bin");
        try
        {
            AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(9); throw new InvalidOperationException("boom"); }));
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, true); }
    }

    [Fact]
    public void StreamReadMatchesByteRead()
    {
        var bytes = Sample();
        using var ms = new MemoryStream(bytes);
        var f = SafeTensorFile.Read(ms);
        Assert.Equal(new long[] { 7, -1, long.MaxValue }, f.GetInt64("a.steps"));
    }

    [Fact]
    public void ReadsOtherDtypesAsFloat()
    {
        var data = new List<byte>();
        void Add(byte[] b) => data.AddRange(b);
        Add(BitConverter.GetBytes(1.5)); Add(BitConverter.GetBytes(-2.25));               // F64 [0,16)
        Add(BitConverter.GetBytes(-3)); Add(BitConverter.GetBytes(9));                     // I32 [16,24)
        Add(BitConverter.GetBytes((Half)0.5f)); Add(BitConverter.GetBytes((Half)(-8f)));   // F16 [24,28)
        Add(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(3.0f) >> 16)));  // BF16 [28,30)
        Add(new byte[] { 200, 1 });                                                        // U8 [30,32)
        Add(new byte[] { 0xFF });                                                          // I8 [32,33)
        var header = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}," +
                     "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]}," +
                     "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[24,28]}," +
                     "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[28,30]}," +
                     "\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[30,32]}," +
                     "\"s\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[32,33]}}";
        var f = SafeTensorFile.Read(Raw(header, data.ToArray()));
        Assert.Equal(new[] { 1.5f, -2.25f }, f.GetTensor("d").ToArray());
        Assert.Equal(new[] { -3f, 9f }, f.GetTensor("i").ToArray());
        Assert.Equal(new long[] { -3, 9 }, f.GetInt64("i"));
        Assert.Equal(new[] { 0.5f, -8f }, f.GetTensor("h").ToArray());
        Assert.Equal(new[] { 3f }, f.GetTensor("b").ToArray());
        Assert.Equal(new long[] { 200, 1 }, f.GetInt64("u"));
        Assert.Equal(new[] { -1f }, f.GetTensor("s").ToArray());
    }

    [Fact]
    public void AcceptsTensorsListedOutOfOffsetOrder()
    {
        var data = new byte[8];
        BitConverter.GetBytes(1f).CopyTo(data, 0);
        BitConverter.GetBytes(2f).CopyTo(data, 4);
        var f = SafeTensorFile.Read(Raw("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data));
        Assert.Equal(2f, f.GetTensor("b").Item());
        Assert.Equal(1f, f.GetTensor("a").Item());
    }

    public static IEnumerable<object[]> Hostile()
    {
        string T(string name, string dtype, string shape, string off) => $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{off}}}";
        var d8 = new byte[8];
        yield return new object[] { "too short", new byte[] { 1, 2, 3 }, "header length" };
        yield return new object[] { "header longer than file", Raw("{}", null, 1000), "header length" };
        yield return new object[] { "terabyte header", Raw("{}", null, 1UL << 40), "header length" };
        yield return new object[] { "u64 max header", Raw("{}", null, ulong.MaxValue), "header length" };
        yield return new object[] { "not json", Raw("{abc", d8), "header" };
        yield return new object[] { "not an object", Raw("[1,2]", d8), "header" };
        yield return new object[] { "empty header", Raw("", d8), "header" };
        yield return new object[] { "bad utf8", Concat(Raw("{\"a\xff\":1}"), d8), "header" };
        yield return new object[] { "missing dtype", Raw("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", d8), "tensor 'a'.dtype" };
        yield return new object[] { "missing shape", Raw("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", d8), "tensor 'a'.shape" };
        yield return new object[] { "missing offsets", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", d8), "tensor 'a'.data_offsets" };
        yield return new object[] { "unknown dtype", Raw("{" + T("a", "F128", "[2]", "[0,8]") + "}", d8), "tensor 'a'.dtype" };
        yield return new object[] { "comma dtype", Raw("{" + T("a", "F32,I64", "[2]", "[0,8]") + "}", d8), "tensor 'a'.dtype" };
        yield return new object[] { "negative dim", Raw("{" + T("a", "F32", "[-2]", "[0,8]") + "}", d8), "tensor 'a'.shape" };
        yield return new object[] { "fractional dim", Raw("{" + T("a", "F32", "[2.5]", "[0,8]") + "}", d8), "tensor 'a'.shape" };
        yield return new object[] { "overflowing shape", Raw("{" + T("a", "F32", "[4294967295,4294967295,4294967295]", "[0,8]") + "}", d8), "tensor 'a'.shape" };
        yield return new object[] { "terabyte tensor", Raw("{" + T("a", "F32", "[1000000,1000000]", "[0,4000000000000]") + "}", d8), "tensor 'a'.data_offsets" };
        yield return new object[] { "shape disagrees with offsets", Raw("{" + T("a", "F32", "[3]", "[0,8]") + "}", d8), "tensor 'a'" };
        yield return new object[] { "offsets beyond data", Raw("{" + T("a", "F32", "[4]", "[0,16]") + "}", d8), "tensor 'a'.data_offsets" };
        yield return new object[] { "end before begin", Raw("{" + T("a", "F32", "[0]", "[8,4]") + "}", d8), "tensor 'a'.data_offsets" };
        yield return new object[] { "gap", Raw("{" + T("a", "F32", "[1]", "[4,8]") + "}", d8), "tensor 'a'.data_offsets" };
        yield return new object[] { "overlap", Raw("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[1]", "[4,8]") + "}", d8), "tensor 'b'.data_offsets" };
        yield return new object[] { "trailing data", Raw("{" + T("a", "F32", "[1]", "[0,4]") + "}", d8), "data_offsets" };
        yield return new object[] { "duplicate name", Raw("{" + T("a", "F32", "[1]", "[0,4]") + "," + T("a", "F32", "[1]", "[4,8]") + "}", d8), "tensor 'a'" };
        yield return new object[] { "metadata not strings", Raw("{\"__metadata__\":{\"k\":1}}"), "__metadata__.k" };
        yield return new object[] { "offsets not numbers", Raw("{" + T("a", "F32", "[2]", "[\"0\",8]") + "}", d8), "tensor 'a'.data_offsets" };
        yield return new object[] { "three offsets", Raw("{" + T("a", "F32", "[2]", "[0,8,9]") + "}", d8), "tensor 'a'.data_offsets" };
        yield return new object[] { "deep nesting", Raw("{\"a\":" + new string('[', 200) + new string(']', 200) + "}", d8), "header" };
    }

    static byte[] Concat(byte[] a, byte[] b)
    {
        // Raw() encodes strings as UTF-8; replace the escaped \xff (U+00FF → C3 BF) by a lone 0xFF byte.
        var s = a.ToList();
        int i = s.IndexOf(0xC3);
        s[i] = 0xFF; s.RemoveAt(i + 1);
        BinaryPrimitives.WriteUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(s), (ulong)(s.Count - 8));
        s.AddRange(b);
        return s.ToArray();
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileFilesThrowTypedErrorNamingField(string what, byte[] bytes, string field)
    {
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorFile.Read(bytes, what));
        Assert.Equal(what, ex.FileName);
        Assert.Equal(field, ex.Field);
        Assert.Contains(what, ex.Message);
        Assert.IsAssignableFrom<IOException>(ex);
    }

    [Fact]
    public void HostileFileOnDiskNamesThePath()
    {
        var path = TempPath("bad.safetensors");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Raw("{}", null, 1UL << 42));
            var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorFile.Read(path));
            Assert.Contains(path, ex.Message);
            File.WriteAllBytes(path, new byte[5]);
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensorFile.Read(path));
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, true); }
    }

    [Fact]
    public void WriterRejectsBadArguments()
    {
        var w = new SafeTensorWriter().Add("x", new float[] { 1 }, 1);
        Assert.Throws<ArgumentException>(() => w.Add("x", new float[] { 1 }, 1));
        Assert.Throws<ArgumentException>(() => w.Add("__metadata__", new float[] { 1 }, 1));
        Assert.Throws<ArgumentException>(() => w.Add("y", new float[] { 1, 2 }, 3));
        Assert.Throws<ArgumentException>(() => w.AddInt64("z", new long[] { 1 }, -1));
        Assert.Throws<ArgumentNullException>(() => w.Add("w", (Tensor)null!));
    }

    /// <summary>
    /// Mutation fuzzing: thousands of seeded random corruptions (byte flips, truncations, header-length tampering,
    /// splices of digits into the JSON) of a valid file; each read either succeeds or throws
    /// <see cref="SafeTensorsFormatException"/> — nothing else, no hang, no huge allocation.
    /// </summary>
    [Fact]
    public void MutatedFilesEitherLoadOrThrowTheTypedError()
    {
        var valid = Sample();
        var rng = new Random(20240611);
        int ok = 0, rejected = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int iter = 0; iter < 4000; iter++)
        {
            var b = (byte[])valid.Clone();
            int kind = rng.Next(6);
            switch (kind)
            {
                case 0: // a few random byte flips anywhere
                    for (int k = rng.Next(1, 4); k > 0; k--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1: // random byte values inside the header
                    {
                        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(b);
                        for (int k = rng.Next(1, 3); k > 0; k--) b[8 + rng.Next(n)] = (byte)rng.Next(256);
                        break;
                    }
                case 2: // truncation
                    b = b.AsSpan(0, rng.Next(b.Length)).ToArray();
                    break;
                case 3: // header length tampering
                    {
                        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(b);
                        ulong v = rng.Next(4) switch
                        {
                            0 => n + (ulong)rng.Next(-16, 17),
                            1 => (ulong)rng.NextInt64(),
                            2 => 1UL << rng.Next(64),
                            _ => (ulong)rng.Next(b.Length + 64),
                        };
                        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
                        break;
                    }
                case 4: // replace a digit in the header by a long run of digits (huge shapes/offsets)
                    {
                        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(b);
                        var h = Encoding.UTF8.GetString(b, 8, n);
                        var digits = Enumerable.Range(0, h.Length).Where(i => char.IsAsciiDigit(h[i])).ToArray();
                        int at = digits[rng.Next(digits.Length)];
                        string rep = rng.Next(3) switch { 0 => "-1", 1 => new string('9', rng.Next(1, 25)), _ => rng.Next(0, 64).ToString() };
                        h = h.Remove(at, 1).Insert(at, rep);
                        var hb = Encoding.UTF8.GetBytes(h);
                        var nb = new byte[8 + hb.Length + (b.Length - 8 - n)];
                        BinaryPrimitives.WriteUInt64LittleEndian(nb, (ulong)hb.Length);
                        hb.CopyTo(nb, 8);
                        b.AsSpan(8 + n).CopyTo(nb.AsSpan(8 + hb.Length));
                        b = nb;
                        break;
                    }
                default: // append or remove data bytes
                    b = rng.Next(2) == 0 ? b.Concat(new byte[rng.Next(1, 9)]).ToArray() : b.AsSpan(0, b.Length - rng.Next(1, 9)).ToArray();
                    break;
            }
            try
            {
                var f = SafeTensorFile.Read(b, $"mutant{iter}");
                foreach (var name in f.Names)
                {
                    var t = f.GetTensor(name);
                    Assert.Equal(ShapeMath.Size(f.GetShape(name)), t.Size);
                }
                ok++;
            }
            catch (SafeTensorsFormatException ex)
            {
                Assert.Equal($"mutant{iter}", ex.FileName);
                rejected++;
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(rejected > 2000, $"only {rejected} of 4000 mutants were rejected");
        Assert.True(ok > 0, "no mutant survived (the mutations are too blunt to test the accepting path)");
        Assert.True(allocated < 512L << 20, $"the fuzz loop allocated {allocated >> 20} MiB");
    }
}
