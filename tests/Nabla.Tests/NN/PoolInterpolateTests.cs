using System.Text.Json;
using Nabla.NN;
using static Nabla.Tests.SpatialFixture;

namespace Nabla.Tests;

public class PoolInterpolateTests
{
    static SpatialFixture Fx => SpatialFixture.Instance.Value;

    static void CheckCase(string c, Func<Tensor, Tensor> f)
    {
        var x = Fx.Get(c + ".x").RequireGrad();
        var y = f(x);
        Near(c + ".y", Fx.Get(c + ".y"), y);
        (y * Fx.Get(c + ".r")).Sum().Backward();
        Near(c + ".gx", Fx.Get(c + ".gx"), x.Grad);
    }

    static (int, int)? NullablePair(JsonElement cfg, string key)
        => cfg.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? Pair(cfg, key) : null;

    [Fact]
    public void PoolingMatchesPyTorch()
    {
        int count = 0;
        foreach (var c in Fx.Cases("maxpool_").Concat(Fx.Cases("avgpool_")).Concat(Fx.Cases("adaptive_")))
        {
            var cfg = Fx.Config(c);
            switch (cfg.GetProperty("op").GetString())
            {
                case "max":
                    CheckCase(c, x => Functional.MaxPool2d(x, Pair(cfg, "k"), NullablePair(cfg, "stride"), Pair(cfg, "padding"), Pair(cfg, "dilation")));
                    break;
                case "avg":
                    CheckCase(c, x => Functional.AvgPool2d(x, Pair(cfg, "k"), NullablePair(cfg, "stride"), Pair(cfg, "padding"), cfg.GetProperty("count_include_pad").GetBoolean()));
                    break;
                default:
                    CheckCase(c, x => Functional.AdaptiveAvgPool2d(x, Pair(cfg, "out")));
                    break;
            }
            count++;
        }
        Assert.Equal(11, count);
    }

    [Fact]
    public void InterpolateMatchesPyTorch()
    {
        int count = 0;
        foreach (var c in Fx.Cases("interp_"))
        {
            var cfg = Fx.Config(c);
            var mode = cfg.GetProperty("mode").GetString() switch
            {
                "nearest" => InterpolationMode.Nearest, "bilinear" => InterpolationMode.Bilinear, _ => InterpolationMode.Bicubic,
            };
            bool ac = cfg.GetProperty("align_corners").ValueKind == JsonValueKind.True;
            (int, int)? size = cfg.TryGetProperty("size", out _) ? Pair(cfg, "size") : null;
            (double, double)? scale = cfg.TryGetProperty("scale", out var s) ? (s[0].GetDouble(), s[1].GetDouble()) : null;
            CheckCase(c, x => Functional.Interpolate(x, size, scale, mode, ac));
            count++;
        }
        Assert.Equal(30, count);
    }

    [Theory]
    [InlineData(2, null, 0, 1)]
    [InlineData(3, 2, 1, 1)]
    [InlineData(2, 1, 1, 2)]
    public void MaxPoolGradCheck(int k, int? s, int p, int d)
    {
        // distinct values so the arg-max is stable under the finite-difference step
        var gen = new Generator(11);
        var perm = gen.Permutation(2 * 2 * 6 * 7);
        var x = new Tensor(perm.Select(i => i * 0.1f).ToArray(), 2, 2, 6, 7);
        var r = GradCheck.Check(t => Functional.MaxPool2d(t[0], k, s, p, d), new[] { x }, h: 1e-2f);
        Assert.True(r.Ok, r.ToString());
    }

    [Theory]
    [InlineData(2, null, 0, true)]
    [InlineData(3, 2, 1, true)]
    [InlineData(3, 2, 1, false)]
    public void AvgPoolGradCheck(int k, int? s, int p, bool include)
    {
        var x = Tensor.Randn(new Generator(12), 2, 2, 7, 6);
        var r = GradCheck.Check(t => Functional.AvgPool2d(t[0], k, s, p, include), new[] { x });
        Assert.True(r.Ok, r.ToString());
    }

    [Fact]
    public void AdaptiveAvgPoolGradCheck()
    {
        var x = Tensor.Randn(new Generator(13), 2, 2, 7, 5);
        var r = GradCheck.Check(t => Functional.AdaptiveAvgPool2d(t[0], (3, 2)), new[] { x });
        Assert.True(r.Ok, r.ToString());
        var r2 = GradCheck.Check(t => Functional.AdaptiveAvgPool2d(t[0], (9, 6)), new[] { x });
        Assert.True(r2.Ok, r2.ToString());
    }

    [Theory]
    [InlineData(InterpolationMode.Nearest, false)]
    [InlineData(InterpolationMode.Bilinear, false)]
    [InlineData(InterpolationMode.Bilinear, true)]
    [InlineData(InterpolationMode.Bicubic, false)]
    [InlineData(InterpolationMode.Bicubic, true)]
    public void InterpolateGradCheck(InterpolationMode mode, bool ac)
    {
        var x = Tensor.Randn(new Generator(14), 1, 2, 4, 5);
        var up = GradCheck.Check(t => Functional.Interpolate(t[0], (7, 9), null, mode, ac), new[] { x });
        Assert.True(up.Ok, up.ToString());
        var down = GradCheck.Check(t => Functional.Interpolate(t[0], null, (0.7, 0.5), mode, ac), new[] { x });
        Assert.True(down.Ok, down.ToString());
    }

    [Fact]
    public void ModulesWrapTheFunctions()
    {
        var x = Tensor.Randn(new Generator(15), 2, 3, 8, 8);
        Assert.Equal(new[] { 2, 3, 4, 4 }, new MaxPool2d(2).Forward(x).Shape);
        Assert.Equal(new[] { 2, 3, 4, 4 }, new AvgPool2d(3, 2, 1).Forward(x).Shape);
        Assert.Equal(new[] { 2, 3, 1, 1 }, new AdaptiveAvgPool2d(1).Forward(x).Shape);
        Assert.Equal(new[] { 2, 3, 16, 16 }, new Upsample(2.0).Forward(x).Shape);
        Assert.Equal(new[] { 2, 3, 5, 7 }, new Upsample(size: (5, 7), mode: InterpolationMode.Bilinear, alignCorners: true).Forward(x).Shape);
        Assert.Equal(new[] { 2, 192 }, new Flatten().Forward(x).Shape);
        Assert.Equal(new[] { 2, 3, 64 }, new Flatten(2).Forward(x).Shape);
        Assert.Empty(new MaxPool2d(2).NamedParameters());
        // nearest ×2 copies each pixel into a 2×2 block; global average pooling is the mean
        var up = Functional.Interpolate(x, 2.0);
        Assert.Equal(x[1, 2, 3, 5], up[1, 2, 7, 10]);
        Assert.Equal(x[1, 2, 3, 5], up[1, 2, 6, 11]);
        Assert.Equal(x.Mean(new[] { 2, 3 }).ToArray()[4], Functional.AdaptiveAvgPool2d(x, 1).ToArray()[4], 5);
    }

    [Fact]
    public void BadArgumentsThrowClearErrors()
    {
        var x = Tensor.Zeros(1, 2, 5, 5);
        void Throws(Action a, string part) => Assert.Contains(part, Assert.Throws<ArgumentException>(a).Message);
        Throws(() => Functional.MaxPool2d(Tensor.Zeros(2, 5, 5), 2), "4-D");
        Throws(() => Functional.MaxPool2d(x, 0), "kernel size");
        Throws(() => Functional.MaxPool2d(x, 2, 0), "stride");
        Throws(() => Functional.MaxPool2d(x, 2, padding: 2), "half the kernel");
        Throws(() => Functional.MaxPool2d(x, 3, dilation: 0), "dilation");
        Throws(() => Functional.MaxPool2d(x, 6), "larger than the padded input");
        Throws(() => Functional.AvgPool2d(Tensor.Zeros(5, 5), 2), "AvgPool2d: input must be 4-D");
        Throws(() => Functional.AvgPool2d(x, 3, padding: 2), "half the kernel");
        Throws(() => Functional.AvgPool2d(x, 7), "larger than the padded input");
        Throws(() => Functional.AdaptiveAvgPool2d(x, 0), "output size");
        Throws(() => Functional.AdaptiveAvgPool2d(Tensor.Zeros(2, 5, 5), 1), "4-D");
        Throws(() => Functional.Interpolate(Tensor.Zeros(2, 5, 5), 2.0), "4-D");
        Throws(() => Functional.Interpolate(x), "exactly one");
        Throws(() => Functional.Interpolate(x, (3, 3), (2.0, 2.0)), "exactly one");
        Throws(() => Functional.Interpolate(x, (0, 3)), "size must be positive");
        Throws(() => Functional.Interpolate(x, -1.0), "scale factor");
        Throws(() => Functional.Interpolate(x, 0.1), "empty output");
        Throws(() => Functional.Interpolate(x, 2.0, InterpolationMode.Nearest, alignCorners: true), "alignCorners");
        Throws(() => new Upsample(), "exactly one");
        Throws(() => new MaxPool2d(0), "kernel size");
        Throws(() => new Flatten(3).Forward(Tensor.Zeros(2, 3)), "Flatten");
    }
}
