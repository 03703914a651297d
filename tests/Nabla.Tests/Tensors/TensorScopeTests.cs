using Nabla.NN;
using Nabla.Optim;
using Xunit;

namespace Nabla.Tests;

public class TensorScopeTests
{
    static Tensor Big(Generator gen) => Tensor.Randn(gen, 64, 100);  // 6400 floats: above the pooling threshold

    [Fact]
    public void StorageIsReusedByTheNextScope()
    {
        var gen = new Generator(1);
        var a = Tensor.Randn(gen, 61, 107);  // a length no other test uses: the pool is shared by all threads
        Span<float> first;
        float[] before;
        using (TensorScope.Begin())
        {
            var y = (a * 2f).Exp();
            first = y.Data;
            before = y.ToArray();
        }
        using (TensorScope.Begin())
        {
            var z = a + 1f;  // same length: takes the array the first scope gave back
            Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(ref first[0], ref z.Data[0]));
            for (int i = 0; i < z.Size; i++) Assert.Equal(a.Data[i] + 1f, z.Data[i]);
        }
        Assert.NotEqual(before[0], first[0]);
    }

    [Fact]
    public void IdleLengthsLeaveThePoolAfterFullCollections()
    {
        var a = Tensor.Randn(new Generator(7), 59, 113);  // a length no other test uses
        float[] first;
        using (TensorScope.Begin()) first = Storage(a * 3f);
        for (int i = 0; i < 4; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        using (TensorScope.Begin())
            Assert.False(ReferenceEquals(first, Storage(a * 4f)));  // the idle bucket was dropped: a new array
    }

    static float[] Storage(Tensor t) => t.data;

    [Fact]
    public void KeptTensorsAndLeafGradientsSurvive()
    {
        var gen = new Generator(2);
        var w = Big(gen).RequireGrad();
        Tensor kept;
        using (var scope = TensorScope.Begin())
        {
            var y = (w * w).Sum();
            y.Backward();
            kept = scope.Keep((w * 3f).Detach());
            Assert.Throws<InvalidOperationException>(() => scope.Keep(w * 5f));  // still has a graph
        }
        var grad = w.Grad!.ToArray();
        var k = kept.ToArray();
        using (TensorScope.Begin())
        {
            for (int i = 0; i < 5; i++) { var junk = (w.Detach() * 7f) + 1f; junk = junk * 0f; }
        }
        for (int i = 0; i < w.Size; i++)
        {
            Assert.Equal(2 * w.Data[i], grad[i]);
            Assert.Equal(w.Grad!.Data[i], grad[i]);
            Assert.Equal(3f * w.Data[i], kept.Data[i]);
        }
        Assert.Equal(k, kept.ToArray());
    }

    [Fact]
    public void NestedScopesEndInnermostFirstAndKeepMovesOutward()
    {
        var gen = new Generator(3);
        var a = Big(gen);
        using var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        var t = inner.Keep(a * 2f);
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        Assert.True(TensorScope.Active);
        using (TensorScope.Begin()) { var other = a * 9f; Assert.Equal(2f * a.Data[0], t.Data[0]); }
        Assert.Equal(2f * a.Data[^1], t.Data[^1]);
    }

    [Fact]
    public void TrainingInScopesGivesTheSameLossesAsWithout()
    {
        float[] Run(bool scoped)
        {
            var gen = new Generator(4);
            var model = new Sequential(new Linear(100, 80, gen: gen), new ReLU(), new Linear(80, 10, gen: gen));
            var opt = new Adam(model.Parameters(), lr: 1e-2);
            var x = Tensor.Randn(gen, 64, 100);
            var labels = new int[64];
            for (int i = 0; i < 64; i++) labels[i] = i % 10;
            var losses = new float[6];
            for (int s = 0; s < losses.Length; s++)
            {
                if (scoped) losses[s] = Nabla.Models.Classifier.TrainStep(model, opt, x, labels, out _);
                else
                {
                    var loss = Functional.CrossEntropy(model.Forward(x), labels);
                    model.ZeroGrad(); loss.Backward(); opt.Step();
                    losses[s] = loss.Item();
                }
            }
            return losses;
        }
        Assert.Equal(Run(false), Run(true));
    }
}
