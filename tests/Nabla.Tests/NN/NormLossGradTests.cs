using Nabla.NN;

namespace Nabla.Tests.NormOptim;

/// <summary>Finite-difference gradient checks and argument errors of the normalization ops, losses, dropout and embedding.</summary>
public class NormLossGradTests
{
    static Tensor R(ulong seed, params int[] shape) => Tensor.Randn(new Generator(seed), shape);
    static Tensor Pos(ulong seed, params int[] shape) => Tensor.Uniform(new Generator(seed), 0.5f, 1.5f, shape);

    static void Ok(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var r = GradCheck.Check(f, inputs);
        Assert.True(r.Ok, r.ToString());
    }

    [Fact] public void BatchNormTrain_Grad() => Ok(t => Functional.BatchNorm(t[0], null, null, t[1], t[2], training: true), R(1, 4, 3, 2, 3), Pos(2, 3), R(3, 3));
    [Fact] public void BatchNormEval_Grad() => Ok(t => Functional.BatchNorm(t[0], Tensor.FromArray(new[] { 0.1f, -0.2f, 0.3f }), Tensor.FromArray(new[] { 0.5f, 1.5f, 2f }), t[1], t[2]), R(1, 4, 3), Pos(2, 3), R(3, 3));
    [Fact] public void InstanceNorm_Grad() => Ok(t => Functional.InstanceNorm(t[0], weight: t[1], bias: t[2]), R(4, 2, 3, 3, 2), Pos(5, 3), R(6, 3));
    [Fact] public void LayerNorm_Grad() => Ok(t => Functional.LayerNorm(t[0], new[] { 2, 5 }, t[1], t[2]), R(7, 3, 2, 5), Pos(8, 2, 5), R(9, 2, 5));
    [Fact] public void LayerNorm_NoAffine_Grad() => Ok(t => Functional.LayerNorm(t[0], new[] { 9 }), R(10, 3, 9));
    [Fact] public void GroupNorm_Grad() => Ok(t => Functional.GroupNorm(t[0], 2, t[1], t[2]), R(11, 2, 4, 3, 3), Pos(12, 4), R(13, 4));
    [Fact] public void GroupNorm_VectorLengths_Grad() => Ok(t => Functional.GroupNorm(t[0], 3, t[1], t[2]), R(14, 2, 6, 19), Pos(15, 6), R(16, 6));
    [Fact] public void GroupNormSilu_Grad() => Ok(t => Functional.GroupNormSilu(t[0], 2, t[1], t[2]), R(17, 2, 4, 17), Pos(18, 4), R(19, 4));

    [Fact]
    public void GroupNormSilu_EqualsSiluOfGroupNorm()
    {
        var x = R(20, 3, 8, 5, 5); var w = Pos(21, 8); var b = R(22, 8);
        var a = Functional.GroupNormSilu(x, 4, w, b).ToArray();
        var e = Functional.GroupNorm(x, 4, w, b).Silu().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - e[i]) < 1e-5f, $"{i}: {a[i]} vs {e[i]}");
    }

    [Fact] public void Mse_Grad() => Ok(t => Functional.MseLoss(t[0], t[1], Reduction.HalfSum), R(30, 3, 4), R(31, 3, 4));
    [Fact] public void CrossEntropy_Grad() => Ok(t => Functional.CrossEntropy(t[0], new[] { 1, 0, 4, 2, 2, 1 }, Reduction.None, 4, 0.1f), R(32, 2, 5, 3));
    [Fact] public void Bce_Grad() => Ok(t => Functional.BinaryCrossEntropy(t[0], t[1]), Tensor.Uniform(new Generator(33), 0.2f, 0.8f, 3, 4), Tensor.Rand(new Generator(34), 3, 4));
    [Fact] public void BceLogits_Grad() => Ok(t => Functional.BinaryCrossEntropyWithLogits(t[0], t[1], Reduction.Sum), R(35, 3, 4), Tensor.Rand(new Generator(36), 3, 4));
    [Fact] public void Kl_Grad() => Ok(t => Functional.GaussianKlDivergence(t[0], t[1]), R(37, 3, 4), R(38, 3, 4));
    [Fact] public void GaussianNll_Grad() => Ok(t => Functional.GaussianNllLoss(t[0], t[1], t[2], reduction: Reduction.Sum), R(39, 3, 4), R(40, 3, 4), Pos(41, 3, 1));
    [Fact] public void Embedding_Grad() => Ok(t => Functional.Embedding(new[] { 2, 0, 2, 3 }, new[] { 2, 2 }, t[0]), R(42, 4, 3));

    [Fact]
    public void Dropout_MasksScalesAndIsIdentityInEval()
    {
        var x = Tensor.Ones(10000).RequireGrad();
        var y = Functional.Dropout(x, 0.3f, true, new Generator(5));
        int kept = 0;
        foreach (var v in y.Data) { Assert.True(v == 0f || Math.Abs(v - 1 / 0.7f) < 1e-6f); if (v != 0) kept++; }
        Assert.InRange(kept, 6700, 7300);
        y.Sum().Backward();
        Assert.Equal(y.ToArray(), x.Grad!.ToArray());
        // same generator state → same mask
        Assert.Equal(y.ToArray(), Functional.Dropout(Tensor.Ones(10000), 0.3f, true, new Generator(5)).ToArray());
        var d = new Dropout(0.5f, new Generator(1));
        d.Eval();
        var z = R(1, 5);
        Assert.Same(z, d.Forward(z));
        Assert.All(Functional.Dropout(Tensor.Ones(4), 1f).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Embedding_LooksUpRowsAndSkipsPaddingGradient()
    {
        var e = new Embedding(5, 3, paddingIdx: 1, gen: new Generator(3));
        Assert.All(e.Weight.ToArray().Skip(3).Take(3), v => Assert.Equal(0f, v));
        var y = e.Forward(Tensor.FromArray(new float[] { 4, 1, 4, 0 }, 2, 2));
        Assert.Equal(new[] { 2, 2, 3 }, y.Shape);
        Assert.Equal(e.Weight.ToArray().Skip(12).Take(3), y.ToArray().Take(3));
        y.Sum().Backward();
        Assert.Equal(new float[] { 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2 }, e.Weight.Grad!.ToArray());
        Assert.Equal(new[] { 3, 3 }, e.Forward(new[] { 0, 1, 2 }).Shape);
    }

    [Fact]
    public void Activations_AreTheTensorOps()
    {
        var x = R(50, 2, 3);
        Assert.Equal(x.Relu().ToArray(), new ReLU().Forward(x).ToArray());
        Assert.Equal(x.LeakyRelu(0.2f).ToArray(), new LeakyReLU(0.2f).Forward(x).ToArray());
        Assert.Equal(x.Sigmoid().ToArray(), new Sigmoid().Forward(x).ToArray());
        Assert.Equal(x.Tanh().ToArray(), new Tanh().Forward(x).ToArray());
        Assert.Equal(x.Silu().ToArray(), new SiLU().Forward(x).ToArray());
        Assert.Equal(x.Gelu().ToArray(), new GELU().Forward(x).ToArray());
        Assert.Equal(x.Softplus().ToArray(), new Softplus().Forward(x).ToArray());
        Assert.Equal(x.Softmax(1).ToArray(), new Softmax(1).Forward(x).ToArray());
        Assert.Equal(x.LogSoftmax(0).ToArray(), new LogSoftmax(0).Forward(x).ToArray());
        Assert.Same(x, new Identity().Forward(x));
        // softplus with beta: (1/β)·ln(1 + e^{βx})
        var sp = new Softplus(2f).Forward(Tensor.FromArray(new[] { 0.3f })).Item();
        Assert.Equal(Math.Log(1 + Math.Exp(0.6)) / 2, sp, 5);
        Assert.Throws<ArgumentException>(() => new GELU("fast"));
    }

    [Fact]
    public void NormalizationErrorsNameTheOpAndShapes()
    {
        var x = R(60, 2, 4, 3);
        var e = Assert.Throws<ArgumentException>(() => Functional.GroupNorm(x, 3));
        Assert.Contains("GroupNorm", e.Message); Assert.Contains("[2, 4, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => Functional.GroupNorm(x, 2, Tensor.Ones(3)));
        Assert.Throws<ArgumentException>(() => Functional.GroupNorm(R(1, 4), 2));
        Assert.Throws<ArgumentException>(() => Functional.BatchNorm(x, null, null, training: false));
        Assert.Throws<ArgumentException>(() => Functional.BatchNorm(R(1, 1, 4), null, null, training: true));
        Assert.Throws<ArgumentException>(() => Functional.BatchNorm(x, Tensor.Zeros(4), null, training: true));
        Assert.Throws<ArgumentException>(() => Functional.BatchNorm(x, null, null, Tensor.Ones(5), training: true));
        Assert.Throws<ArgumentException>(() => Functional.LayerNorm(x, new[] { 4 }));
        Assert.Throws<ArgumentException>(() => Functional.LayerNorm(x, new[] { 3 }, Tensor.Ones(4)));
        Assert.Throws<ArgumentException>(() => Functional.InstanceNorm(R(1, 2, 3)));
        Assert.Throws<ArgumentException>(() => Functional.InstanceNorm(x, useInputStats: false));
        var bn = Assert.Throws<ArgumentException>(() => new BatchNorm2d(4).Forward(x));
        Assert.Contains("BatchNorm2d", bn.Message);
        Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(x));
        Assert.Throws<ArgumentException>(() => new BatchNorm1d(0));
        Assert.Throws<ArgumentException>(() => new GroupNorm(3, 4));
        Assert.Throws<ArgumentException>(() => new GroupNorm(2, 4).Forward(R(1, 2, 3, 3)));
        Assert.Throws<ArgumentException>(() => new InstanceNorm2d(3).Forward(x));
        Assert.Throws<ArgumentException>(() => new LayerNorm(Array.Empty<int>()));
        Assert.Throws<ArgumentException>(() => new LayerNorm(3, eps: 0));
    }

    [Fact]
    public void LossErrorsNameTheLossAndBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Functional.MseLoss(R(1, 2, 3), R(2, 3, 2)));
        Assert.Contains("MseLoss", e.Message); Assert.Contains("[2, 3]", e.Message); Assert.Contains("[3, 2]", e.Message);
        Assert.Throws<ArgumentException>(() => Functional.BinaryCrossEntropy(R(1, 3), R(2, 4)));
        Assert.Throws<ArgumentException>(() => Functional.BinaryCrossEntropy(Tensor.FromArray(new[] { 1.5f }), Tensor.FromArray(new[] { 1f })));
        Assert.Throws<ArgumentException>(() => Functional.BinaryCrossEntropyWithLogits(R(1, 3), R(2, 4)));
        Assert.Throws<ArgumentException>(() => Functional.GaussianKlDivergence(R(1, 3), R(2, 4)));
        Assert.Throws<ArgumentException>(() => Functional.GaussianKlDivergence(R(1, 3), R(2, 3), Reduction.HalfSum));
        Assert.Throws<ArgumentException>(() => Functional.GaussianNllLoss(R(1, 2, 3), R(2, 2, 3), Tensor.Ones(3)));
        Assert.Throws<ArgumentException>(() => Functional.GaussianNllLoss(R(1, 2, 3), R(2, 2, 3), Tensor.Full(-1f, 2, 3)));
        var ce = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(R(1, 4, 3), new[] { 0, 1 }));
        Assert.Contains("CrossEntropy", ce.Message); Assert.Contains("[4, 3]", ce.Message);
        Assert.Throws<IndexOutOfRangeException>(() => Functional.CrossEntropy(R(1, 2, 3), new[] { 0, 3 }));
        Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(R(1, 2, 3), Tensor.FromArray(new[] { 0.5f, 1f })));
        Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(R(1, 2, 3), new[] { 0, 1 }, labelSmoothing: 2f));
        Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(R(1, 3), new[] { 0 }));
        Assert.Throws<ArgumentException>(() => Functional.Dropout(R(1, 3), 1.5f));
        Assert.Throws<ArgumentException>(() => new Dropout(-0.1f));
        Assert.Throws<IndexOutOfRangeException>(() => new Embedding(3, 2).Forward(new[] { 3 }));
        Assert.Throws<ArgumentException>(() => new Embedding(3, 2).Forward(Tensor.FromArray(new[] { 0.5f })));
        Assert.Throws<ArgumentException>(() => new Embedding(0, 2));
        Assert.Throws<ArgumentException>(() => new Embedding(3, 2, paddingIdx: 3));
    }
}
