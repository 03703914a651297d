using Nabla.Kernels;
using Nabla.NN;
using Nabla.Tests.Support;
using Xunit;

namespace Nabla.Tests;

/// <summary>
/// <see cref="FrozenWeights"/>: inside a scope a convolution packs its weights once and reuses them (same results as
/// packing afresh); outside one, or after <see cref="FrozenWeights.Clear"/>, changed weights are always honoured.
/// </summary>
public class FrozenWeightsTests
{
    static (Tensor X, Tensor W, Tensor B) Case(bool transposed)
    {
        var gen = new Generator(3);
        var x = Tensor.Randn(gen, 2, 6, 10, 10);
        var w = transposed ? Tensor.Randn(gen, 6, 5, 4, 4) * 0.3f : Tensor.Randn(gen, 5, 6, 3, 3) * 0.3f;
        return (x, w, Tensor.Randn(gen, 5));
    }

    static Tensor Op(bool transposed, int stride, Tensor x, Tensor w, Tensor b) =>
        transposed ? Functional.ConvTranspose2d(x, w, b, stride, 1) : Functional.Conv2d(x, w, b, stride, 1);

    [RowTableTheory]   // the cached derivations belong to the row-table strategies
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 2)]
    public void CachedPackingGivesTheSameResultAndIsBuiltOnce(bool transposed, int stride)
    {
        var (x, w, b) = Case(transposed);
        float[] fresh;
        using (Tensor.NoGrad()) fresh = Op(transposed, stride, x, w, b).ToArray();
        var cache = new FrozenWeights();
        using (Tensor.NoGrad())
        using (cache.Use())
        {
            Assert.True(FrozenWeights.Active);
            var first = Op(transposed, stride, x, w, b).ToArray();
            int entries = cache.Count;
            Assert.True(entries >= 1, "the convolution cached nothing");
            var second = Op(transposed, stride, x, w, b).ToArray();
            Assert.Equal(entries, cache.Count);   // a hit, not a second entry
            Assert.Equal(fresh, first);
            Assert.Equal(fresh, second);
        }
        Assert.False(FrozenWeights.Active);
    }

    [Fact]
    public void WithoutAScopeChangedWeightsAreHonoured()
    {
        var (x, w, b) = Case(false);
        using var _ = Tensor.NoGrad();
        var y1 = Functional.Conv2d(x, w, b, 1, 1).ToArray();
        w.Data[0] += 1f;
        var y2 = Functional.Conv2d(x, w, b, 1, 1).ToArray();
        Assert.NotEqual(y1, y2);
    }

    [RowTableFact]
    public void ClearDropsEntriesSoNewWeightsAreUsed()
    {
        var (x, w, b) = Case(false);
        using var _ = Tensor.NoGrad();
        var cache = new FrozenWeights();
        using (cache.Use())
        {
            var y1 = Functional.Conv2d(x, w, b, 1, 1).ToArray();
            w.Data[0] += 1f;
            Assert.Equal(y1, Functional.Conv2d(x, w, b, 1, 1).ToArray());   // the promise broken: the packed copy is used
            cache.Clear();
            Assert.Equal(0, cache.Count);
            var y3 = Functional.Conv2d(x, w, b, 1, 1).ToArray();
            Assert.NotEqual(y1, y3);
        }
        Assert.Equal(Functional.Conv2d(x, w, b, 1, 1).ToArray(), Functional.Conv2d(x, w, b, 1, 1).ToArray());
    }

    [RowTableFact]
    public void NestedBeginJoinsTheOpenScope()
    {
        var (x, w, b) = Case(false);
        using var _ = Tensor.NoGrad();
        var cache = new FrozenWeights();
        using (cache.Use())
        {
            using (FrozenWeights.Begin()) Functional.Conv2d(x, w, b, 1, 1);
            Assert.True(FrozenWeights.Active);   // the inner scope's end leaves the outer one open
            Assert.True(cache.Count >= 1);       // and the inner calls filled the outer cache
        }
        Assert.False(FrozenWeights.Active);
    }
}
