using Nabla.NN;
using static Nabla.Tests.SpatialFixture;

namespace Nabla.Tests;

public class ConvTests
{
    static SpatialFixture Fx => SpatialFixture.Instance.Value;

    [Fact]
    public void Conv2dMatchesPyTorch()
    {
        int count = 0;
        foreach (var c in Fx.Cases("conv_"))
        {
            var cfg = Fx.Config(c);
            var x = Fx.Get(c + ".x").RequireGrad(); var w = Fx.Get(c + ".w").RequireGrad();
            var b = Fx.Has(c + ".b") ? Fx.Get(c + ".b").RequireGrad() : null;
            var y = Functional.Conv2d(x, w, b, Pair(cfg, "stride"), Pair(cfg, "padding"), Pair(cfg, "dilation"), cfg.GetProperty("groups").GetInt32());
            Near(c + ".y", Fx.Get(c + ".y"), y);
            (y * Fx.Get(c + ".r")).Sum().Backward();
            Near(c + ".gx", Fx.Get(c + ".gx"), x.Grad);
            Near(c + ".gw", Fx.Get(c + ".gw"), w.Grad);
            if (b != null) Near(c + ".gb", Fx.Get(c + ".gb"), b.Grad);
            count++;
        }
        Assert.Equal(8, count);
    }

    [Fact]
    public void ConvTranspose2dMatchesPyTorch()
    {
        int count = 0;
        foreach (var c in Fx.Cases("convt_"))
        {
            var cfg = Fx.Config(c);
            var x = Fx.Get(c + ".x").RequireGrad(); var w = Fx.Get(c + ".w").RequireGrad();
            var b = Fx.Has(c + ".b") ? Fx.Get(c + ".b").RequireGrad() : null;
            var y = Functional.ConvTranspose2d(x, w, b, Pair(cfg, "stride"), Pair(cfg, "padding"), Pair(cfg, "output_padding"),
                Pair(cfg, "dilation"), cfg.GetProperty("groups").GetInt32());
            Near(c + ".y", Fx.Get(c + ".y"), y);
            (y * Fx.Get(c + ".r")).Sum().Backward();
            Near(c + ".gx", Fx.Get(c + ".gx"), x.Grad);
            Near(c + ".gw", Fx.Get(c + ".gw"), w.Grad);
            if (b != null) Near(c + ".gb", Fx.Get(c + ".gb"), b.Grad);
            count++;
        }
        Assert.Equal(7, count);
    }

    /// <summary>Direct definition y[n,o,i,j] = b[o] + Σ W[o,c,u,v]·x[n, g·cinG + c, i·s − p + u·d, j·s − p + v·d], in double.</summary>
    static double[] NaiveConv(Tensor x, Tensor w, Tensor b, int s, int p, int d, int groups, out int oh, out int ow)
    {
        int N = x.Dim(0), C = x.Dim(1), H = x.Dim(2), W = x.Dim(3), O = w.Dim(0), cg = w.Dim(1), k = w.Dim(2), og = O / groups;
        oh = (H + 2 * p - d * (k - 1) - 1) / s + 1; ow = (W + 2 * p - d * (k - 1) - 1) / s + 1;
        var y = new double[N * O * oh * ow];
        for (int n = 0; n < N; n++) for (int o = 0; o < O; o++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++)
        {
            double acc = b[o]; int g = o / og;
            for (int c = 0; c < cg; c++) for (int u = 0; u < k; u++) for (int v = 0; v < k; v++)
            {
                int ih = i * s - p + u * d, iw = j * s - p + v * d;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += w[o, c, u, v] * x[n, g * cg + c, ih, iw];
            }
            y[((n * O + o) * oh + i) * ow + j] = acc;
        }
        return y;
    }

    [Fact]
    public void Conv2dParallelBatchMatchesDirectDefinition()
    {
        var gen = new Generator(5);
        // 2·N·Cout·K·L ≈ 3.6 MFLOP with small per-image GEMMs: the batch is split over the cores
        var x = Tensor.Randn(gen, 8, 4, 28, 27).RequireGrad();
        var w = (Tensor.Randn(gen, 16, 2, 3, 3) * 0.3f).Detach().RequireGrad();
        var b = Tensor.Randn(gen, 16).RequireGrad();
        var y = Functional.Conv2d(x, w, b, stride: 1, padding: 2, dilation: 2, groups: 2);
        var expect = NaiveConv(x, w, b, 1, 2, 2, 2, out int oh, out int ow);
        Assert.Equal(new[] { 8, 16, oh, ow }, y.Shape);
        for (int i = 0; i < expect.Length; i++) Assert.True(Math.Abs(y.Data[i] - expect[i]) < 1e-4 * (1 + Math.Abs(expect[i])), $"y[{i}] {y.Data[i]} vs {expect[i]}");
        // gradients of L = Σ y: ∂L/∂b[o] = N·OH·OW; ∂x and ∂W checked against the adjoint identity ⟨∂L/∂x, x⟩ + ⟨∂L/∂W, W⟩ = 2·Σ(y − b)
        y.Sum().Backward();
        Assert.All(b.Grad!.ToArray(), g => Assert.Equal(8 * oh * ow, g, 1e-3f));
        double lhs = 0, rhs = 0;
        for (int i = 0; i < x.Size; i++) lhs += (double)x.Grad!.Data[i] * x.Data[i];
        for (int i = 0; i < w.Size; i++) lhs += (double)w.Grad!.Data[i] * w.Data[i];
        for (int i = 0; i < expect.Length; i++) rhs += 2 * (expect[i] - b.Data[(i / (oh * ow)) % 16]);
        Assert.True(Math.Abs(lhs - rhs) < 1e-3 * (1 + Math.Abs(rhs)), $"{lhs} vs {rhs}");
    }

    [Fact]
    public void ConvTransposeIsTheAdjointOfConv()
    {
        // ⟨conv(x; W), z⟩ = ⟨x, convT(z; W)⟩ for the same weight, stride, padding, dilation; so for L = ⟨convT(z; W), x⟩,
        // ∂L/∂z = conv(x; W) and ∂L/∂W equals conv's weight gradient with upstream z. Sizes take the batch-parallel path.
        var gen = new Generator(9);
        var x = Tensor.Randn(gen, 8, 16, 24, 24);
        var w = Tensor.Randn(gen, 16, 8, 3, 3).RequireGrad();
        var y = Functional.Conv2d(x, w, null, stride: 2, padding: 1, dilation: 2, groups: 2);
        var z = Tensor.Randn(gen, y.Shape).RequireGrad();
        y.Backward(z.Detach());
        var gwConv = w.Grad!.ToArray();
        w.ZeroGrad();
        var xt = Functional.ConvTranspose2d(z, w, null, stride: 2, padding: 1, outputPadding: 1, dilation: 2, groups: 2);
        Assert.Equal(x.Shape, xt.Shape);
        double a = 0, c = 0;
        for (int i = 0; i < y.Size; i++) a += (double)y.Data[i] * z.Data[i];
        for (int i = 0; i < x.Size; i++) c += (double)x.Data[i] * xt.Data[i];
        Assert.True(Math.Abs(a - c) < 1e-3 * (1 + Math.Abs(a)), $"{a} vs {c}");
        xt.Backward(x);
        for (int i = 0; i < y.Size; i++) Assert.True(Math.Abs(z.Grad!.Data[i] - y.Data[i]) < 1e-4f * (1 + Math.Abs(y.Data[i])), $"gz[{i}]");
        for (int i = 0; i < gwConv.Length; i++) Assert.True(Math.Abs(w.Grad!.Data[i] - gwConv[i]) < 1e-3f * (1 + Math.Abs(gwConv[i])), $"gw[{i}] {w.Grad!.Data[i]} vs {gwConv[i]}");
    }

    [Theory]
    [InlineData(1, 0, 1, 1)]
    [InlineData(2, 1, 1, 1)]
    [InlineData(1, 2, 2, 1)]
    [InlineData(2, 1, 1, 2)]
    public void Conv2dGradCheck(int s, int p, int d, int groups)
    {
        var gen = new Generator(3);
        var x = Tensor.Randn(gen, 2, 4, 6, 5);
        var w = Tensor.Randn(gen, 4, 4 / groups, 3, 3) * 0.5f;
        var b = Tensor.Randn(gen, 4);
        var r = GradCheck.Check(t => Functional.Conv2d(t[0], t[1], t[2], s, p, d, groups), new[] { x, w.Detach(), b });
        Assert.True(r.Ok, r.ToString());
    }

    [Theory]
    [InlineData(2, 1, 0, 1, 1)]
    [InlineData(2, 1, 1, 1, 1)]
    [InlineData(1, 1, 0, 2, 1)]
    [InlineData(2, 0, 1, 1, 2)]
    public void ConvTranspose2dGradCheck(int s, int p, int op, int d, int groups)
    {
        var gen = new Generator(4);
        var x = Tensor.Randn(gen, 2, 4, 3, 4);
        var w = Tensor.Randn(gen, 4, 6 / groups, 3, 3) * 0.5f;
        var b = Tensor.Randn(gen, 6);
        var r = GradCheck.Check(t => Functional.ConvTranspose2d(t[0], t[1], t[2], s, p, op, d, groups), new[] { x, w.Detach(), b });
        Assert.True(r.Ok, r.ToString());
    }

    [Fact]
    public void OneByOneConvGradCheck()
    {
        var gen = new Generator(6);
        var r = GradCheck.Check(t => Functional.Conv2d(t[0], t[1], t[2]), new[] { Tensor.Randn(gen, 2, 3, 3, 4), Tensor.Randn(gen, 5, 3, 1, 1), Tensor.Randn(gen, 5) });
        Assert.True(r.Ok, r.ToString());
        var r2 = GradCheck.Check(t => Functional.ConvTranspose2d(t[0], t[1]), new[] { Tensor.Randn(gen, 2, 3, 3, 4), Tensor.Randn(gen, 3, 5, 1, 1) });
        Assert.True(r2.Ok, r2.ToString());
    }

    [Fact]
    public void ModulesHavePyTorchNamesShapesAndInit()
    {
        var conv = new Conv2d(6, 8, 3, padding: 1, groups: 2, gen: new Generator(1));
        Assert.Equal(new[] { "weight", "bias" }, conv.NamedParameters().Select(p => p.Key));
        Assert.Equal(new[] { 8, 3, 3, 3 }, conv.Weight.Shape);
        float bound = 1f / MathF.Sqrt(3 * 9);
        Assert.All(conv.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.True(conv.Weight.ToArray().Max(MathF.Abs) > 0.9f * bound);
        Assert.All(conv.Bias!.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Equal(new[] { 4, 8, 10, 10 }, conv.Forward(Tensor.Zeros(4, 6, 10, 10)).Shape);

        var convT = new ConvTranspose2d(8, 4, 4, stride: 2, padding: 1, bias: false, gen: new Generator(2));
        Assert.Equal(new[] { "weight" }, convT.NamedParameters().Select(p => p.Key));
        Assert.Equal(new[] { 8, 4, 4, 4 }, convT.Weight.Shape);
        float boundT = 1f / MathF.Sqrt(4 * 16);   // PyTorch's fan_in for ConvTranspose2d: weight.size(1)·k·k
        Assert.All(convT.Weight.ToArray(), v => Assert.InRange(v, -boundT, boundT));
        Assert.True(convT.Weight.ToArray().Max(MathF.Abs) > 0.9f * boundT);
        Assert.Null(convT.Bias);
        Assert.Equal(new[] { 2, 4, 14, 14 }, convT.Forward(Tensor.Zeros(2, 8, 7, 7)).Shape);
        Assert.Equal(new[] { 2, 4, 14, 14 }, new ConvTranspose2d(8, 4, 3, 2, 1, 1).Forward(Tensor.Zeros(2, 8, 7, 7)).Shape); // (7 − 1)·2 − 2 + 2 + 1 + 1
    }

    [Fact]
    public void BadArgumentsThrowClearErrors()
    {
        var x = Tensor.Zeros(2, 4, 5, 5);
        void Throws(Action a, string part) => Assert.Contains(part, Assert.Throws<ArgumentException>(a).Message);
        Throws(() => Functional.Conv2d(Tensor.Zeros(4, 5, 5), Tensor.Zeros(2, 4, 3, 3)), "4-D");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(2, 4, 3)), "weight must be 4-D");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(2, 3, 3, 3)), "channels");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(3, 2, 3, 3), groups: 2), "groups=2");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(2, 4, 7, 7)), "larger than the padded input");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(2, 4, 3, 3), Tensor.Zeros(3)), "bias");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(2, 4, 3, 3), stride: 0), "stride");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(2, 4, 3, 3), padding: -1), "padding");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(2, 4, 3, 3), dilation: 0), "dilation");
        Throws(() => Functional.Conv2d(x, Tensor.Zeros(2, 4, 3, 3), groups: 0), "groups");
        Throws(() => Functional.ConvTranspose2d(x, Tensor.Zeros(3, 2, 3, 3)), "channels");
        Throws(() => Functional.ConvTranspose2d(x, Tensor.Zeros(4, 2, 3, 3), stride: 2, outputPadding: 2), "output_padding");
        Throws(() => Functional.ConvTranspose2d(x, Tensor.Zeros(4, 2, 3, 3), groups: 3), "groups=3");
        Throws(() => Functional.ConvTranspose2d(Tensor.Zeros(1, 4, 1, 1), Tensor.Zeros(4, 2, 1, 1), padding: 1), "not positive");
        Throws(() => new Conv2d(4, 6, 3).Forward(Tensor.Zeros(1, 3, 8, 8)), "Conv2d(4, 6");
        Throws(() => new Conv2d(4, 6, 3).Forward(Tensor.Zeros(3, 8, 8)), "4-D");
        Throws(() => new Conv2d(4, 6, 3, groups: 4), "groups=4");
        Throws(() => new ConvTranspose2d(4, 6, 3, stride: 1, outputPadding: 1), "output_padding");
        Throws(() => new ConvTranspose2d(4, 6, 3).Forward(Tensor.Zeros(1, 3, 8, 8)), "ConvTranspose2d(4, 6");
    }
}
