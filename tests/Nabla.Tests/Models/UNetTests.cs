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

public class UNetConfigurationTests
{
    static UNetConfig Rich => new()
    {
        ImageSize = 8, BaseChannels = 8, ChannelMults = new[] { 1, 2 }, ResBlocksPerLevel = 2, Groups = 4, SinusoidalDim = 8, TimeEmbedDim = 16,
        AttentionLevels = new[] { 2 }, MidAttention = true, AttentionHeads = 2, NumClasses = 3, Upsample = UpsampleMode.NearestConv,
    };

    [Fact]
    public void EveryOptionBuildsRunsAndTrainsEveryParameter()
    {
        var m = new UNet(Rich, new Generator(1));
        var keys = m.StateDict().Keys.ToList();
        Assert.Contains("down2.attn.qkv.weight", keys);
        Assert.Contains("mid_attn.proj.bias", keys);
        Assert.Contains("down1.more.0.conv1.weight", keys);
        Assert.Contains("up1.more.0.norm2.weight", keys);
        Assert.Contains("label_emb.weight", keys);
        Assert.Equal(new[] { 16, 16, 3, 3 }, m.StateDict()["up2.upconv.weight"].Shape);   // nearest ×2 then a 3×3 conv
        var x = Tensor.Randn(new Generator(2), 3, 1, 8, 8);
        var y = m.Forward(x, Tensor.FromArray(new[] { 0f, 50f, 99f }), Tensor.FromArray(new[] { 0f, 2f, 3f }));
        Assert.Equal(new[] { 3, 1, 8, 8 }, y.Shape);
        y.Square().Mean().Backward();
        foreach (var (name, p) in m.NamedParameters())
            Assert.True(p.Grad != null, $"{name} got no gradient");
        Assert.Equal(new[] { 3, 1, 8, 8 }, m.Forward(x, Tensor.Full(5, 3)).Shape);   // labels omitted = "no label"
    }

    [Fact]
    public void LabelsAndTimestepsChangeThePrediction()
    {
        var m = new UNet(Rich with { AttentionLevels = Array.Empty<int>(), MidAttention = false }, new Generator(1));
        var x = Tensor.Randn(new Generator(2), 2, 1, 8, 8);
        using var _ = Tensor.NoGrad();
        var a = m.Forward(x, Tensor.Full(10, 2), Tensor.Full(0, 2)).ToArray();
        var b = m.Forward(x, Tensor.Full(10, 2), Tensor.Full(1, 2)).ToArray();
        var c = m.Forward(x, Tensor.Full(11, 2), Tensor.Full(0, 2)).ToArray();
        var d = m.Forward(x, Tensor.Full(10, 2), null).ToArray();
        var e = m.Forward(x, Tensor.Full(10, 2), Tensor.Full(3, 2)).ToArray();
        Assert.NotEqual(a, b); Assert.NotEqual(a, c);
        Assert.Equal(d, e);   // null labels = the "no label" row (index NumClasses)
    }

    [Fact]
    public void SelfAttentionGradientsAreCorrect()
    {
        var att = new SelfAttention2d(4, 2, heads: 2, gen: new Generator(3));
        var x = Tensor.Randn(new Generator(4), 2, 4, 2, 3).RequireGrad();
        var r = GradCheck.Check(t => att.Forward(t[0]), new[] { x });
        Assert.True(r.Ok, r.ToString());
        foreach (var (name, p) in att.NamedParameters())
        {
            var pr = GradCheck.Check(t => att.Forward(x.Detach()), new[] { p });
            Assert.True(pr.Ok, $"{name}: {pr}");
        }
    }

    [Fact]
    public void ResBlockGradientsAreCorrect()
    {
        var rb = new ResBlock(4, 8, 6, 2, new Generator(5));
        var x = Tensor.Randn(new Generator(6), 2, 4, 3, 3).RequireGrad();
        var temb = Tensor.Randn(new Generator(7), 2, 6).RequireGrad();
        var r = GradCheck.Check(t => rb.Forward(t[0], t[1]), new[] { x, temb });
        Assert.True(r.Ok, r.ToString());
    }

    [Fact]
    public void SinusoidalEmbeddingFollowsTheReferenceConvention()
    {
        var e = TimeEmbedding.Sinusoidal(Tensor.FromArray(new[] { 0f, 3f }), 8);
        for (int i = 0; i < 4; i++)
        {
            double f = Math.Exp(-Math.Log(10000) * i / 4);
            Assert.Equal(0f, e[0, i]); Assert.Equal(1f, e[0, 4 + i]);
            Assert.Equal(Math.Sin(3 * f), e[1, i], 5); Assert.Equal(Math.Cos(3 * f), e[1, 4 + i], 5);
        }
        Assert.Throws<ArgumentException>(() => TimeEmbedding.Sinusoidal(Tensor.Zeros(2, 1), 8));
        Assert.Throws<ArgumentException>(() => TimeEmbedding.Sinusoidal(Tensor.Zeros(2), 7));
    }

    [Fact]
    public void ConfigurationAndInputErrorsAreReported()
    {
        Assert.Throws<ArgumentException>(() => new UNet(Rich with { ImageSize = 6 }));
        Assert.Throws<ArgumentException>(() => new UNet(Rich with { Groups = 3 }));
        Assert.Throws<ArgumentException>(() => new UNet(Rich with { ChannelMults = Array.Empty<int>() }));
        Assert.Throws<ArgumentException>(() => new UNet(Rich with { AttentionLevels = new[] { 3 } }));
        Assert.Throws<ArgumentException>(() => new UNet(Rich with { AttentionHeads = 3 }));
        Assert.Throws<ArgumentException>(() => new UNet(Rich with { ResBlocksPerLevel = 0 }));
        Assert.Throws<ArgumentException>(() => new UNet(Rich with { SinusoidalDim = 7 }));
        var m = new UNet(Rich with { MidAttention = false, AttentionLevels = Array.Empty<int>() }, new Generator(0));
        var x = Tensor.Zeros(2, 1, 8, 8);
        Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(2, 2, 8, 8), Tensor.Zeros(2)));
        Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(2, 1, 6, 6), Tensor.Zeros(2)));
        Assert.Throws<ArgumentException>(() => m.Forward(x, Tensor.Zeros(3)));
        Assert.Throws<ArgumentException>(() => m.Forward(x, Tensor.Zeros(2), Tensor.Full(4, 2)));
        Assert.Throws<ArgumentException>(() => m.Forward(x, Tensor.Zeros(2), Tensor.Full(0.5f, 2)));
        var u = new UNet(Rich with { NumClasses = 0, MidAttention = false, AttentionLevels = Array.Empty<int>() }, new Generator(0));
        Assert.Throws<ArgumentException>(() => u.Forward(x, Tensor.Zeros(2), Tensor.Zeros(2)));
        Assert.Equal(Rich, UNetConfig.FromJson(Rich.ToJson()));
    }
}
