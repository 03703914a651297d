namespace Nabla.Tests.Tensors;

/// <summary>Hand-computed forward values of the tensor ops (PyTorch-only values live in <see cref="TorchParityTests"/>).</summary>
public class ValueTests
{
    static Tensor T(float[] v, params int[] s) => Tensor.FromArray(v, s);
    static readonly float NaN = float.NaN;

    [Fact]
    public void BroadcastArithmetic()
    {
        var a = T(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var col = T(new float[] { 10, 20 }, 2, 1);
        var row = T(new float[] { 1, 2, 3 }, 3);
        TT.Near(new float[] { 11, 12, 13, 24, 25, 26 }, a + col);
        TT.Near(new float[] { -9, -8, -7, -16, -15, -14 }, a - col);
        TT.Near(new float[] { 1, 4, 9, 4, 10, 18 }, a * row);
        TT.Near(new float[] { 1, 1, 1, 4, 2.5f, 2 }, a / row);
        TT.Near(new float[] { 1, 4, 27, 4, 25, 216 }, Tensor.Pow(a, row));
        var outer = col * row;   // [2,1]·[3] → [2,3]
        TT.ShapeIs(outer, 2, 3);
        TT.Near(new float[] { 10, 20, 30, 20, 40, 60 }, outer);
        TT.ShapeIs(T(new float[24], 2, 3, 4) + T(new float[3], 3, 1), 2, 3, 4);
        TT.ShapeIs(Tensor.Scalar(2) * a, 2, 3);
    }

    [Fact]
    public void ScalarOperators()
    {
        var a = T(new float[] { 1, 2, 4 }, 3);
        TT.Near(new float[] { 3, 4, 6 }, a + 2);
        TT.Near(new float[] { 3, 4, 6 }, 2 + a);
        TT.Near(new float[] { -1, 0, 2 }, a - 2);
        TT.Near(new float[] { 1, 0, -2 }, 2 - a);
        TT.Near(new float[] { 3, 6, 12 }, a * 3);
        TT.Near(new float[] { 3, 6, 12 }, 3 * a);
        TT.Near(new float[] { 0.25f, 0.5f, 1 }, a / 4);
        TT.Near(new float[] { 4, 2, 1 }, 4 / a);
        TT.Near(new float[] { -1, -2, -4 }, -a);
        Assert.Equal(1f / 3f, (Tensor.Scalar(1) / 3f).Item());   // true division, as torch
    }

    [Fact]
    public void UnaryMath()
    {
        var x = T(new float[] { -2, -0.5f, 0, 0.5f, 2 }, 5);
        TT.Near(new float[] { 2, 0.5f, 0, 0.5f, 2 }, x.Abs());
        TT.Near(new float[] { 4, 0.25f, 0, 0.25f, 4 }, x.Square());
        TT.Near(new float[] { -8, -0.125f, 0, 0.125f, 8 }, x.Pow(3));
        TT.Near(new float[] { 1, 1, 1, 1, 1 }, x.Pow(0));
        TT.Near(new float[] { -1, -0.5f, 0, 0.5f, 1 }, x.Clamp(-1, 1));
        TT.Near(new float[] { 0, 0, 0, 0.5f, 2 }, x.Relu());
        TT.Near(new float[] { -0.2f, -0.05f, 0, 0.5f, 2 }, x.LeakyRelu(0.1f));
        TT.Near(new float[] { -1, -1, 0, 1, 1 }, x.Sign());
        TT.Near(new float[] { MathF.Exp(-2), MathF.Exp(-0.5f), 1, MathF.Exp(0.5f), MathF.Exp(2) }, x.Exp());
        TT.Near(new float[] { MathF.Sin(-2), MathF.Sin(-0.5f), 0, MathF.Sin(0.5f), MathF.Sin(2) }, x.Sin());
        TT.Near(new float[] { MathF.Cos(-2), MathF.Cos(-0.5f), 1, MathF.Cos(0.5f), MathF.Cos(2) }, x.Cos());
        TT.Near(new float[] { 0.5f, 0f, 0.5f, 1f / (1 + MathF.Exp(-2)) }, T(new float[] { 0, -1000, 0, 2 }, 4).Sigmoid());
        TT.Near(new float[] { 0, MathF.Tanh(1) }, T(new float[] { 0, 1 }, 2).Tanh());
        TT.Near(new float[] { 0, 1 / (1 + MathF.Exp(-1)) }, T(new float[] { 0, 1 }, 2).Silu());
        var p = T(new float[] { 0.25f, 1, 4 }, 3);
        TT.Near(new float[] { 0.5f, 1, 2 }, p.Sqrt());
        TT.Near(new float[] { 2, 1, 0.5f }, p.Rsqrt());
        TT.Near(new float[] { 4, 1, 0.25f }, p.Reciprocal());
        TT.Near(new float[] { MathF.Log(0.25f), 0, MathF.Log(4) }, p.Log());
        Assert.True(float.IsNaN(T(new[] { NaN }, 1).Sign().Item()));
        TT.Near(new float[] { 0, 0.5f * (1 + 0.6826895f) }, T(new float[] { 0, 1 }, 2).Gelu(), 1e-6f);   // Φ(1) = ½(1 + erf(1/√2))
    }

    [Fact]
    public void ClampOneSidedAndDefaults()
    {
        var x = T(new float[] { -3, 0, 3 }, 3);
        TT.Near(new float[] { -1, 0, 3 }, x.Clamp(min: -1));
        TT.Near(new float[] { -3, 0, 1 }, x.Clamp(max: 1));
        TT.Near(new float[] { -3, 0, 3 }, x.Clamp());
    }

    [Fact]
    public void MaximumMinimumPropagateNaN()
    {
        var a = T(new float[] { 1, NaN, 3 }, 3);
        var b = T(new float[] { 2, 0, NaN }, 3);
        TT.Near(new float[] { 2, NaN, NaN }, Tensor.Maximum(a, b));
        TT.Near(new float[] { 1, NaN, NaN }, Tensor.Minimum(a, b));
        TT.Near(new float[] { 2, 2, 3 }, T(new float[] { 1, 2, 3 }, 3).Maximum(Tensor.Scalar(2)));
        TT.Near(new float[] { 1, 2, 2 }, T(new float[] { 1, 2, 3 }, 3).Minimum(Tensor.Scalar(2)));
    }

    [Fact]
    public void Reductions()
    {
        var x = T(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(21f, x.Sum().Item());
        TT.ShapeIs(x.Sum(), Array.Empty<int>());
        TT.Near(new float[] { 5, 7, 9 }, x.Sum(0));
        TT.Near(new float[] { 6, 15 }, x.Sum(-1));
        TT.ShapeIs(x.Sum(1, keepDim: true), 2, 1);
        TT.ShapeIs(x.Sum(new[] { 0, 1 }, keepDim: true), 1, 1);
        Assert.Equal(3.5f, x.Mean().Item());
        TT.Near(new float[] { 2, 5 }, x.Mean(1));
        Assert.Equal(3.5f, x.Var().Item(), 5);                         // unbiased: Σ(x − 3.5)² / 5 = 17.5/5
        TT.Near(new float[] { 1, 1 }, x.Var(1));
        TT.Near(new float[] { 2f / 3f, 2f / 3f }, x.Var(1, correction: 0));
        TT.Near(new float[] { 4.5f, 4.5f, 4.5f }, x.Var(0));
        TT.Near(new float[] { MathF.Sqrt(4.5f), MathF.Sqrt(4.5f), MathF.Sqrt(4.5f) }, x.Std(0));
        Assert.Equal(MathF.Sqrt(3.5f), x.Std().Item(), 5);
        Assert.True(float.IsNaN(T(new float[] { 1, 2 }, 2, 1).Var(1)[0]));   // one sample, unbiased: 0/0 as torch
    }

    [Fact]
    public void MaxMinArgMax()
    {
        var x = T(new float[] { 1, 7, 3, 9, 2, 9 }, 2, 3);
        TT.Near(new float[] { 9, 7, 9 }, x.Max(0));
        TT.Near(new float[] { 7, 9 }, x.Max(1));
        TT.Near(new float[] { 1, 2 }, x.Min(1));
        TT.ShapeIs(x.Max(1, keepDim: true), 2, 1);
        TT.Near(new float[] { 1, 0, 1 }, x.ArgMax(0));
        TT.Near(new float[] { 1, 0 }, x.ArgMax(1));   // ties: the first
        TT.Near(new float[] { 0, 1 }, x.ArgMin(1));
        Assert.Equal(9f, x.Max().Item());
        Assert.Equal(1f, x.Min().Item());
        Assert.True(float.IsNaN(T(new float[] { 1, NaN, 3 }, 3).Max().Item()));
        Assert.True(float.IsNaN(T(new float[] { 1, NaN, 3 }, 3).Max(0).Item()));
    }

    [Fact]
    public void MaxGradientTies()
    {
        // torch.max(x) (no dim) splits the gradient evenly over ties; torch.max(x, dim) sends it to the returned index
        var x = T(new float[] { 1, 5, 5, 5 }, 2, 2).RequireGrad();
        x.Max().Backward();
        TT.Near(new float[] { 0, 1f / 3, 1f / 3, 1f / 3 }, x.Grad!);
        var y = T(new float[] { 5, 5, 1, 1 }, 2, 2).RequireGrad();
        y.Max(1).Sum().Backward();
        TT.Near(new float[] { 1, 0, 1, 0 }, y.Grad!);
        var a = T(new float[] { 1, 2 }, 2).RequireGrad(); var b = T(new float[] { 1, 3 }, 2).RequireGrad();
        Tensor.Maximum(a, b).Sum().Backward();
        TT.Near(new float[] { 0.5f, 0 }, a.Grad!);
        TT.Near(new float[] { 0.5f, 1 }, b.Grad!);
    }

    [Fact]
    public void SpecialGradientPoints()
    {
        // clamp passes the gradient at its bounds (inclusive), as torch
        var x = T(new float[] { -1, 0, 1, 2 }, 4).RequireGrad();
        x.Clamp(-1, 1).Sum().Backward();
        TT.Near(new float[] { 1, 1, 1, 0 }, x.Grad!);
        // pow at 0: d/dx x^p = p·x^(p−1) is 0 for p = 2, 1 for p = 1, and 0 for p = 0
        foreach (var (p, g) in new[] { (2f, 0f), (1f, 1f), (0f, 0f) })
        {
            var z = Tensor.Scalar(0).RequireGrad();
            z.Pow(p).Backward();
            Assert.Equal(g, z.Grad!.Item());
        }
        // relu and abs: gradient 0 at 0
        var r = T(new float[] { 0 }, 1).RequireGrad(); r.Relu().Sum().Backward(); Assert.Equal(0f, r.Grad!.Item());
        var q = T(new float[] { 0 }, 1).RequireGrad(); q.Abs().Sum().Backward(); Assert.Equal(0f, q.Grad!.Item());
    }

    [Fact]
    public void SoftmaxFamily()
    {
        var x = T(new float[] { 1, 2, 3, 1000, 1000, 1000 }, 2, 3);
        float e1 = MathF.Exp(1), e2 = MathF.Exp(2), e3 = MathF.Exp(3), s = e1 + e2 + e3;
        TT.Near(new[] { e1 / s, e2 / s, e3 / s, 1f / 3, 1f / 3, 1f / 3 }, x.Softmax(1));
        TT.Near(new[] { MathF.Log(s), 1000 + MathF.Log(3) }, x.LogSumExp(1));
        TT.Near(new[] { 1 - MathF.Log(s), 2 - MathF.Log(s), 3 - MathF.Log(s), -MathF.Log(3), -MathF.Log(3), -MathF.Log(3) }, x.LogSoftmax(-1));
        var col = x.Softmax(0);
        TT.Near(new[] { 0f, 0f, 0f, 1f, 1f, 1f }, col);
        var m = T(new float[] { 0, float.NegativeInfinity }, 2);
        TT.Near(new float[] { 1, 0 }, m.Softmax(0));   // a masked entry gets probability 0
    }

    [Fact]
    public void LargeSoftmaxMatchesRowwise()
    {   // the parallel last-axis path (> 65,536 elements) agrees with the small-row path
        var x = TT.R(3, 300, 257);
        var big = x.Softmax(-1).ToArray();
        for (int r = 0; r < 300; r += 37)
            TT.Near(x.Slice(0, r, r + 1).Softmax(-1).Data, big.AsSpan(r * 257, 257), 1e-6f);
    }

    [Fact]
    public void MatMulValues()
    {
        var a = T(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = T(new float[] { 1, 0, 0, 1, 1, 1 }, 3, 2);
        TT.Near(new float[] { 4, 5, 10, 11 }, a % b);
        var v = T(new float[] { 1, 1, 1 }, 3);
        TT.Near(new float[] { 6, 15 }, a % v);
        TT.ShapeIs(a % v, 2);
        TT.Near(new float[] { 2, 2 }, v % b);
        Assert.Equal(3f, (v % v).Item());
        TT.ShapeIs(v % v, Array.Empty<int>());
        var batch = Tensor.Stack(new[] { a, a * 2 });   // [2,2,3] @ [3,2] → [2,2,2]
        TT.Near(new float[] { 4, 5, 10, 11, 8, 10, 20, 22 }, batch % b);
        TT.ShapeIs(TT.R(1, 2, 1, 3, 4) % TT.R(2, 5, 4, 6), 2, 5, 3, 6);
    }

    [Fact]
    public void ShapeOps()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        TT.Near(new float[] { 0, 3, 1, 4, 2, 5 }, x.T);
        TT.Near(new float[] { 0, 3, 1, 4, 2, 5 }, x.Permute(1, 0));
        var y = Tensor.Arange(24).Reshape(2, 3, 4);
        var p = y.Permute(2, 0, 1);
        TT.ShapeIs(p, 4, 2, 3);
        Assert.Equal(y[1, 2, 3], p[3, 1, 2]);
        Assert.Equal(y[0, 1, 2], p[2, 0, 1]);
        var tr = y.Transpose(0, 2);
        TT.ShapeIs(tr, 4, 3, 2);
        Assert.Equal(y[1, 0, 3], tr[3, 0, 1]);
        TT.ShapeIs(y.Reshape(4, -1), 4, 6);
        TT.ShapeIs(y.View(-1), 24);
        TT.ShapeIs(y.Flatten(1), 2, 12);
        TT.ShapeIs(y.Flatten(), 24);
        TT.ShapeIs(y.Flatten(0, 1), 6, 4);
        TT.ShapeIs(y.Unsqueeze(0), 1, 2, 3, 4);
        TT.ShapeIs(y.Unsqueeze(-1), 2, 3, 4, 1);
        TT.ShapeIs(Tensor.Zeros(1, 3, 1).Squeeze(), 3);
        TT.ShapeIs(Tensor.Zeros(1, 3, 1).Squeeze(0), 3, 1);
        TT.ShapeIs(Tensor.Zeros(1, 3, 1).Squeeze(1), 1, 3, 1);   // not size 1: unchanged, as torch
        var e = T(new float[] { 1, 2 }, 2, 1).Expand(2, 3);
        TT.Near(new float[] { 1, 1, 1, 2, 2, 2 }, e);
        TT.ShapeIs(T(new float[] { 1, 2 }, 2, 1).Expand(4, -1, 3), 4, 2, 3);
    }

    [Fact]
    public void JoiningAndSlicing()
    {
        var a = Tensor.Arange(6).Reshape(2, 3);
        var b = Tensor.Arange(6, 8).Reshape(2, 1);
        TT.Near(new float[] { 0, 1, 2, 6, 3, 4, 5, 7 }, Tensor.Concat(new[] { a, b }, 1));
        TT.Near(new float[] { 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5 }, Tensor.Concat(new[] { a, a }));
        var s = Tensor.Stack(new[] { a, a + 10 }, 1);
        TT.ShapeIs(s, 2, 2, 3);
        TT.Near(new float[] { 0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15 }, s);
        TT.ShapeIs(Tensor.Stack(new[] { a, a }, -1), 2, 3, 2);
        var parts = a.Split(new[] { 1, 2 }, 1);
        TT.Near(new float[] { 0, 3 }, parts[0]);
        TT.Near(new float[] { 1, 2, 4, 5 }, parts[1]);
        var ch = Tensor.Arange(5).Chunk(2);
        Assert.Equal(2, ch.Length);
        TT.Near(new float[] { 0, 1, 2 }, ch[0]);
        TT.Near(new float[] { 3, 4 }, ch[1]);
        var r = Tensor.Arange(10);
        TT.Near(new float[] { 1, 3, 5, 7 }, r.Slice(0, 1, 8, 2));
        TT.Near(new float[] { 7, 8, 9 }, r.Slice(0, -3, 100));
        TT.Near(Array.Empty<float>(), r.Slice(0, 5, 2));
        TT.Near(new float[] { 0, 2, 3, 5 }, a.Slice(1, 0, 3, 2));
    }

    [Fact]
    public void IndexingOps()
    {
        var a = Tensor.Arange(6).Reshape(3, 2);
        TT.Near(new float[] { 4, 5, 0, 1, 4, 5 }, a.IndexSelect(0, new[] { 2, 0, 2 }));
        TT.Near(new float[] { 1, 1, 3, 3, 5, 5 }, a.IndexSelect(1, new[] { 1, 1 }));
        var logits = T(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var labels = T(new float[] { 2, 0 }, 2, 1);
        TT.Near(new float[] { 3, 4 }, logits.Gather(1, labels));
        var idx = T(new float[] { 1, 0, 0, 1, 1, 0 }, 2, 3);
        TT.Near(new float[] { 4, 2, 3, 4, 5, 3 }, logits.Gather(0, idx));
        var c = T(new float[] { 1, 0, 1 }, 3);
        TT.Near(new float[] { 1, -1, 3, 4, -1, 6 }, Tensor.Where(c, logits, Tensor.Scalar(-1)));
        TT.Near(new float[] { 0, 2, 0, 0, 5, 0 }, logits.MaskedFill(c, 0));
        TT.Near(new float[] { 0, 0, 1 }, T(new float[] { 1, 2, 3 }, 3).Gt(2));
        TT.Near(new float[] { 1, 0, 0 }, T(new float[] { 1, 2, 3 }, 3).Lt(2));
        TT.Near(new float[] { 0, 1, 1 }, T(new float[] { 1, 2, 3 }, 3).Ge(2));
        TT.Near(new float[] { 1, 1, 0 }, T(new float[] { 1, 2, 3 }, 3).Le(2));
        TT.Near(new float[] { 0, 1, 0 }, T(new float[] { 1, 2, 3 }, 3).Eq(2));
        TT.Near(new float[] { 1, 0, 1 }, T(new float[] { 1, 2, 3 }, 3).Ne(2));
        TT.Near(new float[] { 0, 1, 1, 0, 0, 0 }, T(new float[] { 1, 2, 3 }, 3).Gt(T(new float[] { 1, 3 }, 2, 1)));
    }
}
