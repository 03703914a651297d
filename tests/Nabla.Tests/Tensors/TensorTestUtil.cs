using System.Text.Json;

namespace Nabla.Tests.Tensors;

/// <summary>Shared helpers for the tensor tests: approximate comparisons, gradient-check asserts, a tiny safetensors reader.</summary>
internal static class TT
{
    public static void Near(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tol = 1e-5f, string what = "")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e)) { Assert.True(float.IsNaN(a), $"{what}[{i}]: expected NaN, got {a}"); continue; }
            if (float.IsInfinity(e)) { Assert.True(e == a, $"{what}[{i}]: expected {e}, got {a}"); continue; }
            Assert.True(Math.Abs(e - a) <= tol * Math.Max(1f, Math.Abs(e)), $"{what}[{i}]: expected {e}, got {a}");
        }
    }

    public static void Near(float[] expected, Tensor actual, float tol = 1e-5f) => Near(expected, actual.Data, tol);

    public static void ShapeIs(Tensor t, params int[] shape) => Assert.Equal(shape, t.Shape);

    public static Tensor T(float[] v, params int[] shape) => Tensor.FromArray(v, shape);

    public static Tensor R(ulong seed, params int[] shape) => Tensor.Randn(new Generator(seed), shape);

    /// <summary>Values away from 0 (for ops with a kink or pole at 0): |v| ≥ 0.3.</summary>
    public static Tensor RAway(ulong seed, params int[] shape)
    {
        var t = R(seed, shape);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = d[i] >= 0 ? d[i] + 0.3f : d[i] - 0.3f;
        return t;
    }

    public static void Grad(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Grad(f, 1e-2f, GradCheck.DefaultTolerance, inputs);

    public static void Grad(Func<Tensor[], Tensor> f, float h, double tol, params Tensor[] inputs)
    {
        var r = GradCheck.Check(f, inputs, h, tol);
        Assert.True(r.Ok, r.ToString());
    }

    /// <summary>Loads every tensor of a safetensors file under the test output's fixtures folder (F32 only).</summary>
    public static Dictionary<string, Tensor> LoadFixture(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", name));
        long n = BitConverter.ToInt64(bytes, 0);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var result = new Dictionary<string, Tensor>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            Assert.Equal("F32", p.Value.GetProperty("dtype").GetString());
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = new float[(offs[1] - offs[0]) / 4];
            Buffer.BlockCopy(bytes, (int)(8 + n + offs[0]), data, 0, data.Length * 4);
            result[p.Name] = new Tensor(data, shape);
        }
        return result;
    }
}
