using System.Text.Json;
using Nabla.Models;

namespace Nabla.Tests.Models;

public class UNetTests
{
    /// <summary>Minimal safetensors reader for the fixture (F32 and I64 → float).</summary>
    internal static Dictionary<string, Tensor> ReadFixture(string name)
    {
        var raw = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", name));
        long n = BitConverter.ToInt64(raw, 0);
        using var doc = JsonDocument.Parse(raw.AsMemory(8, (int)n));
        var d = new Dictionary<string, Tensor>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            int size = shape.Aggregate(1, (a, b) => a * b);
            var v = new float[size];
            int start = (int)(8 + n + off[0]);
            switch (p.Value.GetProperty("dtype").GetString())
            {
                case "F32": Buffer.BlockCopy(raw, start, v, 0, size * 4); break;
                case "I64": for (int i = 0; i < size; i++) v[i] = BitConverter.ToInt64(raw, start + 8 * i); break;
                default: throw new InvalidDataException(p.Name);
            }
            d[p.Name] = new Tensor(v, shape);
        }
        return d;
    }

    [Fact]
    public void WorkloadPresetHasTheReferenceParameterCountAndNames()
    {
        var m = UNet.DdpmWorkload(gen: new Generator(0));
        Assert.Equal(628_385, m.ParameterCount());
        var fx = ReadFixture("ddpm_unet.safetensors");
        var refKeys = fx.Keys.Where(k => !k.StartsWith("input.") && !k.StartsWith("output.")).ToList();
        Assert.Equal(refKeys, m.StateDict().Keys.ToList());   // same names in the same (PyTorch) order
        Assert.Equal(628_385 + 11 * 128, UNet.DdpmWorkload(10, new Generator(0)).ParameterCount());
    }

    [Fact]
    public void LoadingReferenceWeightsReproducesPyTorchsEpsilon()
    {
        var fx = ReadFixture("ddpm_unet.safetensors");
        var m = UNet.DdpmWorkload(gen: new Generator(123));
        m.LoadStateDict(fx.Where(p => !p.Key.Contains("put.")).ToDictionary(p => p.Key, p => p.Value), strict: true);
        m.Eval();
        Tensor eps;
        using (Tensor.NoGrad()) eps = m.Forward(fx["input.x"], fx["input.t"]);
        var expected = fx["output.eps"];
        Assert.Equal(expected.Shape, eps.Shape);
        double max = 0;
        for (int i = 0; i < eps.Size; i++) max = Math.Max(max, Math.Abs(eps.Data[i] - expected.Data[i]));
        Assert.True(max <= 1e-4, $"max |ε̂ − ε̂_torch| = {max}");
    }
}
