namespace Nabla.Tests.Tensors;

/// <summary>Creation functions, their edge cases, and printing.</summary>
public class CreationTests
{
    [Fact]
    public void ZerosOnesFull()
    {
        var z = Tensor.Zeros(2, 3);
        TT.ShapeIs(z, 2, 3);
        Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones(4).ToArray(), v => Assert.Equal(1f, v));
        var f = Tensor.Full(2.5f, 3, 1);
        TT.ShapeIs(f, 3, 1);
        Assert.All(f.ToArray(), v => Assert.Equal(2.5f, v));
        TT.ShapeIs(Tensor.Zeros(), Array.Empty<int>());
        Assert.Equal(1, Tensor.Zeros().Size);
        Assert.Equal(0, Tensor.Zeros(0, 3).Size);
        TT.ShapeIs(Tensor.ZerosLike(f), 3, 1);
        Assert.All(Tensor.OnesLike(f).ToArray(), v => Assert.Equal(1f, v));
        var s = Tensor.Scalar(4);
        Assert.Equal(0, s.Rank);
        Assert.Equal(4f, s.Item());
    }

    [Fact]
    public void FromArrays()
    {
        var src = new float[] { 1, 2, 3, 4, 5, 6 };
        var t = Tensor.FromArray(src, 3, 2);
        src[0] = 99;                                     // FromArray copies
        Assert.Equal(1f, t[0, 0]);
        Assert.Equal(6f, t[2, 1]);
        TT.ShapeIs(Tensor.FromArray(new float[] { 1, 2, 3 }), 3);
        var m = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        TT.ShapeIs(m, 2, 3);
        Assert.Equal(4f, m[1, 0]);
        var shared = new float[] { 1, 2 };
        var v = new Tensor(shared, 2);                   // the constructor does not copy
        shared[1] = 7;
        Assert.Equal(7f, v[1]);
        var w = Tensor.Zeros(2, 2);
        w[1, 0] = 3;
        Assert.Equal(new float[] { 0, 0, 3, 0 }, w.ToArray());
        Assert.Equal(2, w.Dim(-1));
    }

    [Fact]
    public void Arange()
    {
        Assert.Equal(new float[] { 0, 1, 2, 3, 4 }, Tensor.Arange(5).ToArray());
        Assert.Equal(new float[] { 2, 4, 6, 8 }, Tensor.Arange(2, 10, 2).ToArray());
        Assert.Equal(new float[] { 2, 4, 6, 8, 10 }, Tensor.Arange(2, 11, 2).ToArray());
        Assert.Equal(new float[] { 5, 4, 3, 2, 1 }, Tensor.Arange(5, 0, -1).ToArray());
        Assert.Equal(new float[] { 1, 0.5f, 0, -0.5f }, Tensor.Arange(1, -1, -0.5f).ToArray());
        Assert.Empty(Tensor.Arange(3, 3).ToArray());
        Assert.Empty(Tensor.Arange(5, 0).ToArray());      // wrong direction: empty, as torch
        Assert.Empty(Tensor.Arange(0).ToArray());
        TT.Near(new float[] { 0, 0.1f, 0.2f }, Tensor.Arange(0, 0.3f, 0.1f), 1e-6f);
        TT.ShapeIs(Tensor.Arange(0, 0.3f, 0.1f), 3);
    }

    [Fact]
    public void Linspace()
    {
        Assert.Equal(new float[] { 0, 0.25f, 0.5f, 0.75f, 1 }, Tensor.Linspace(0, 1, 5).ToArray());
        Assert.Equal(new float[] { 3, 2, 1 }, Tensor.Linspace(3, 1, 3).ToArray());
        Assert.Equal(new float[] { 2 }, Tensor.Linspace(2, 5, 1).ToArray());    // one step: the start, as torch
        Assert.Empty(Tensor.Linspace(2, 5, 0).ToArray());
        var l = Tensor.Linspace(1e-4f, 0.02f, 1000).ToArray();   // a DDPM β schedule: the end point is exact
        Assert.Equal(1e-4f, l[0]);
        Assert.Equal(0.02f, l[^1]);
        for (int i = 1; i < l.Length; i++) Assert.True(l[i] > l[i - 1]);
    }

    [Fact]
    public void ToStringOfASmallMatrix()
    {
        var t = Tensor.FromArray(new float[] { 1, 2.5f, -3, 0.125f }, 2, 2);
        Assert.Equal("tensor([[1, 2.5],\n        [-3, 0.125]], shape=[2, 2])", t.ToString());
    }

    [Fact]
    public void ToStringVariants()
    {
        Assert.Equal("tensor(3.5, shape=[])", Tensor.Scalar(3.5f).ToString());
        Assert.Equal("tensor([1, 2, 3], shape=[3])", Tensor.Arange(1, 4).ToString());
        Assert.Equal("tensor([], shape=[0])", Tensor.Zeros(0).ToString());
        Assert.Equal("tensor([nan, inf, -inf, 1e-05, 2e+07], shape=[5])",
            Tensor.FromArray(new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-5f, 2e7f }).ToString());
        Assert.Equal("tensor([0.3333], shape=[1])", Tensor.FromArray(new[] { 1f / 3 }).ToString());
        Assert.Equal("tensor([1, 2], shape=[2], requires_grad=True)", Tensor.FromArray(new float[] { 1, 2 }).RequireGrad().ToString());
        Assert.Equal("tensor([2, 4], shape=[2], grad_fn=MulScalar)", (Tensor.FromArray(new float[] { 1, 2 }).RequireGrad() * 2f).ToString());
        Assert.Equal("tensor(<2000 values>, shape=[2, 1000])", Tensor.Zeros(2, 1000).ToString());
        var three = Tensor.Arange(8).Reshape(2, 2, 2).ToString();
        Assert.Equal("tensor([[[0, 1],\n         [2, 3]],\n        [[4, 5],\n         [6, 7]]], shape=[2, 2, 2])", three);
    }
}
