using System.Buffers.Binary;
using System.Text.Json;

namespace Nabla.Tests.NormOptim;

/// <summary>A tiny private safetensors reader for this area's PyTorch fixtures (F32, F64, I64 → float/double).</summary>
internal sealed class NormOptimFixture
{
    readonly Dictionary<string, (string dtype, int[] shape, byte[] bytes)> entries = new();

    public NormOptimFixture(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", file);
        var all = File.ReadAllBytes(path);
        long hlen = BinaryPrimitives.ReadInt64LittleEndian(all);
        using var doc = JsonDocument.Parse(all.AsMemory(8, (int)hlen));
        int start = 8 + (int)hlen;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var dtype = p.Value.GetProperty("dtype").GetString()!;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            entries[p.Name] = (dtype, shape, all.AsSpan(start + (int)off[0], (int)(off[1] - off[0])).ToArray());
        }
    }

    public bool Has(string name) => entries.ContainsKey(name);

    public double[] Doubles(string name)
    {
        if (!entries.TryGetValue(name, out var e)) throw new KeyNotFoundException($"fixture has no tensor '{name}'");
        return e.dtype switch
        {
            "F32" => Enumerable.Range(0, e.bytes.Length / 4).Select(i => (double)BinaryPrimitives.ReadSingleLittleEndian(e.bytes.AsSpan(i * 4))).ToArray(),
            "F64" => Enumerable.Range(0, e.bytes.Length / 8).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(e.bytes.AsSpan(i * 8))).ToArray(),
            "I64" => Enumerable.Range(0, e.bytes.Length / 8).Select(i => (double)BinaryPrimitives.ReadInt64LittleEndian(e.bytes.AsSpan(i * 8))).ToArray(),
            _ => throw new NotSupportedException(e.dtype),
        };
    }

    public int[] ShapeOf(string name) => entries[name].shape;

    public Tensor T(string name) => new(Doubles(name).Select(d => (float)d).ToArray(), ShapeOf(name));

    /// <summary>Asserts |a − e| ≤ atol + rtol·|e| elementwise, naming the tensor.</summary>
    public static void Near(double[] expected, ReadOnlySpan<float> actual, string what, double rtol = 1e-5, double atol = 1e-5)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    public void Near(string name, Tensor actual, double rtol = 1e-5, double atol = 1e-5)
    {
        Assert.Equal(ShapeOf(name), actual.Shape);
        Near(Doubles(name), actual.Data, name, rtol, atol);
    }
}
