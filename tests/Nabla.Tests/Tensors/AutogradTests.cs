using System.Runtime.CompilerServices;

namespace Nabla.Tests.Tensors;

/// <summary>Semantics of the define-by-run engine: accumulation, release, detach, no-grad, shared inputs, depth.</summary>
public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsUntilZeroGrad()
    {
        var w = Tensor.FromArray(new float[] { 1, 2 }).RequireGrad();
        (w * 3f).Sum().Backward();
        (w * w).Sum().Backward();                       // a fresh graph
        TT.Near(new float[] { 3 + 2, 3 + 4 }, w.Grad!);
        w.ZeroGrad();
        Assert.Null(w.Grad);
        (w * 3f).Sum().Backward();
        TT.Near(new float[] { 3, 3 }, w.Grad!);
    }

    [Fact]
    public void SecondBackwardOnTheSameGraphThrows()
    {
        var w = Tensor.FromArray(new float[] { 1, 2 }).RequireGrad();
        var loss = (w * w).Sum();
        loss.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("Backward", e.Message);
        Assert.Contains("released", e.Message);
        TT.Near(new float[] { 2, 4 }, w.Grad!);   // unchanged by the failed call
    }

    [Fact]
    public void BackwardThroughAReleasedSharedTrunkThrows()
    {
        var w = Tensor.FromArray(new float[] { 1, 2 }).RequireGrad();
        var h = w.Exp();
        var l1 = h.Sum(); var l2 = (h * 2f).Sum();
        l1.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => l2.Backward());
        Assert.Contains("MulScalar", e.Message);
        Assert.Contains("[2]", e.Message);
    }

    [Fact]
    public void OpOnATensorFromAReleasedGraphThrowsNamingTheOp()
    {
        var w = Tensor.FromArray(new float[] { 1, 2, 3 }).RequireGrad();
        var h = w * 2f;
        h.Sum().Backward();
        var e = Assert.Throws<InvalidOperationException>(() => h + w);
        Assert.Contains("Add", e.Message);
        Assert.Contains("[3]", e.Message);
        using (Tensor.NoGrad()) TT.Near(new float[] { 3, 6, 9 }, h + w);   // reading values without a graph is fine
        TT.Near(new float[] { 3, 6, 9 }, h.Detach() + w.Detach());
    }

    [Fact]
    public void BackwardWithAnExplicitUpstreamGradient()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }).RequireGrad();
        var y = x * x;
        y.Backward(Tensor.FromArray(new float[] { 1, 0, -1 }));
        TT.Near(new float[] { 2, 0, -6 }, x.Grad!);
    }

    [Fact]
    public void BackwardOnALeafAddsTheSeed()
    {
        var x = Tensor.Scalar(3).RequireGrad();
        x.Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void DetachStopsGradients()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequireGrad();
        var y = (x * x).Detach() * x;                   // d/dx = x² (the detached factor is a constant)
        Assert.Null(y.Detach().GradFn);
        y.Sum().Backward();
        TT.Near(new float[] { 1, 4 }, x.Grad!);
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.False(d.TracksGrad);
        d.Data[0] = 7;                                  // shares storage, as torch.detach()
        Assert.Equal(7f, x[0]);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequireGrad();
        Tensor y, z;
        using (Tensor.NoGrad())
        {
            Assert.False(GradMode.Enabled);
            using (Tensor.NoGrad()) y = (x * x).Sum();
            Assert.False(GradMode.Enabled);              // still off in the outer scope
            z = x.Exp().Softmax(0) % x;
        }
        Assert.True(GradMode.Enabled);
        Assert.Null(y.GradFn);
        Assert.Null(z.GradFn);
        Assert.False(y.TracksGrad);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Equal("Sum", (x * x).Sum().GradFn);
    }

    [Fact]
    public void OpsOnTensorsThatNeedNoGradientRecordNothing()
    {
        var a = Tensor.Ones(2, 2); var b = Tensor.Ones(2, 2);
        Assert.Null((a % b + a).GradFn);
    }

    [Fact]
    public void DiamondGraphsSumBothPaths()
    {
        var x = Tensor.FromArray(new float[] { 0.5f, -1 }).RequireGrad();
        var a = x.Exp();
        var y = (a * 2f + a * 3f + x * x).Sum();           // d/dx = 5eˣ + 2x
        y.Backward();
        TT.Near(new[] { 5 * MathF.Exp(0.5f) + 1, 5 * MathF.Exp(-1) - 2 }, x.Grad!);

        var z = Tensor.Scalar(3).RequireGrad();
        (z * z * z).Backward();                           // 3z² = 27
        Assert.Equal(27f, z.Grad!.Item(), 4);
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        var x = Tensor.Scalar(1).RequireGrad();
        var y = x;
        for (int i = 0; i < 10_000; i++) y = y * 1.0001f + 0f;   // 20,000 ops
        y.Backward();
        Assert.Equal(MathF.Pow(1.0001f, 10_000), x.Grad!.Item(), 2);
        Assert.Equal(MathF.Pow(1.0001f, 10_000), y.Item(), 2);
    }

    [Fact]
    public void ObserveReadsTheGradientOfAnIntermediate()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequireGrad();
        var h = x * 3f;
        var sink = Tensor.Zeros(2);
        Tensor.Observe(h, sink);
        (h * h).Sum().Backward();
        TT.Near(new float[] { 6, 12 }, sink);
    }

    [Fact]
    public void RequiresGradCannotBeTurnedOffOnANonLeaf()
    {
        var x = Tensor.Ones(2).RequireGrad();
        var y = x * 2f;
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.True(y.TracksGrad);
        Assert.Equal("MulScalar", y.GradFn);
    }

    [Fact]
    public void ReleasedGraphsCanBeCollected()
    {
        // 1,000 small training steps; intermediates of every step must be unreachable afterwards
        var gen = new Generator(5);
        var w = Tensor.Randn(gen, 4, 3).RequireGrad();
        var b = Tensor.Zeros(3).RequireGrad();
        var x = Tensor.Randn(gen, 8, 4);
        var refs = new List<WeakReference>();
        Tensor? lastLoss = null;
        for (int step = 0; step < 1000; step++)
        {
            var (loss, hidden) = Step(w, b, x);
            if (step % 50 == 0) refs.Add(hidden);
            lastLoss = loss;                              // keeping the loss must not keep its graph alive
        }
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.All(refs, r => Assert.False(r.IsAlive, "an intermediate tensor survived its released graph"));
        Assert.True(float.IsFinite(lastLoss!.Item()));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static (Tensor loss, WeakReference hidden) Step(Tensor w, Tensor b, Tensor x)
    {
        var h = (x % w + b).Tanh();
        var loss = (h * h).Mean();
        loss.Backward();
        using (Tensor.NoGrad())
        {
            var d = w.Data; var g = w.Grad!.Data;
            for (int i = 0; i < d.Length; i++) d[i] -= 0.01f * g[i];
            w.ZeroGrad(); b.ZeroGrad();
        }
        return (loss, new WeakReference(h));
    }

    [Fact]
    public void UnreleasedGraphsHoldTheirIntermediates()
    {   // the control for the test above: without Backward the loss does keep its graph
        var w = Tensor.Ones(2).RequireGrad();
        var (loss, weak) = Build(w);
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.True(weak.IsAlive);
        GC.KeepAlive(loss);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static (Tensor, WeakReference) Build(Tensor w) { var h = w.Exp(); return ((h * h).Sum(), new WeakReference(h)); }
}
