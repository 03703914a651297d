using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Nabla.Tests;

/// <summary>Reads tests/fixtures/layers_spatial.safetensors (F32 tensors; each case's configuration as JSON metadata).</summary>
internal sealed class SpatialFixture
{
    public static readonly Lazy<SpatialFixture> Instance = new(() => new SpatialFixture(Path.Combine(AppContext.BaseDirectory, "fixtures", "layers_spatial.safetensors")));

    readonly Dictionary<string, Tensor> tensors = new();
    readonly Dictionary<string, JsonElement> configs = new();

    SpatialFixture(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long hlen = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)hlen));
        int dataStart = 8 + (int)hlen;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__")
            {
                foreach (var m in p.Value.EnumerateObject()) configs[m.Name] = JsonDocument.Parse(m.Value.GetString()!).RootElement.Clone();
                continue;
            }
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var data = new float[(off[1] - off[0]) / 4];
            for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + off[0] + 4 * i));
            tensors[p.Name] = new Tensor(data, shape);
        }
    }

    public IEnumerable<string> Cases(string prefix) => configs.Keys.Where(k => k.StartsWith(prefix)).OrderBy(k => k);
    public JsonElement Config(string c) => configs[c];
    public bool Has(string name) => tensors.ContainsKey(name);
    /// <summary>A fresh copy (tests may set RequiresGrad on it).</summary>
    public Tensor Get(string name) => Tensor.FromArray(tensors[name].ToArray(), tensors[name].Shape);

    public static (int, int) Pair(JsonElement cfg, string key, int? fallback = null)
    {
        if (!cfg.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
            return fallback is int f ? (f, f) : throw new KeyNotFoundException(key);
        return v.ValueKind == JsonValueKind.Array ? (v[0].GetInt32(), v[1].GetInt32()) : (v.GetInt32(), v.GetInt32());
    }

    /// <summary>|actual − expected| ≤ tol·(1 + |expected|) element-wise.</summary>
    public static void Near(string what, Tensor expected, Tensor? actual, float tol = 2e-5f)
    {
        Assert.NotNull(actual);
        Assert.True(expected.Shape.SequenceEqual(actual!.Shape), $"{what}: shape {ShapeMath.Format(actual.Shape)}, expected {ShapeMath.Format(expected.Shape)}");
        var e = expected.Data; var a = actual.Data;
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= tol * (1 + Math.Abs(e[i])), $"{what}[{i}]: got {a[i]}, expected {e[i]}");
    }
}
