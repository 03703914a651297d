namespace Nabla.Tests.Tensors;

/// <summary>The seeded counter-based generator: reproducible everywhere, well distributed, resumable, forkable.</summary>
public class GeneratorTests
{
    [Fact]
    public void SameSeedSameNumbers()
    {
        Assert.Equal(Tensor.Randn(new Generator(7), 100).ToArray(), Tensor.Randn(new Generator(7), 100).ToArray());
        Assert.Equal(Tensor.Rand(new Generator(7), 100).ToArray(), Tensor.Rand(new Generator(7), 100).ToArray());
        Assert.NotEqual(Tensor.Rand(new Generator(7), 100).ToArray(), Tensor.Rand(new Generator(8), 100).ToArray());
    }

    [Fact]
    public void FirstValuesAreFixed()
    {
        // Regression values, cross-checked with an independent Python implementation of
        // x_n = mix(mix(seed) + (n + 1)·γ) (SplitMix64 mixer): the same seed must give these on every machine.
        var g = new Generator(42);
        Assert.Equal(10996452266160306281UL, g.NextUInt64());
        Assert.Equal(2958219263312191191UL, g.NextUInt64());
        Assert.Equal(3069497704473277141UL, g.NextUInt64());
        Assert.Equal(3UL, g.Offset);
        Assert.Equal(new[] { 0.59611887f, 0.16036534f, 0.16639775f, 0.048025787f }, Tensor.Rand(new Generator(42), 4).ToArray());
        TT.Near(new[] { 0.5430527f, 0.8600722f, 1.8082992f, 0.56285155f }, Tensor.Randn(new Generator(42), 4), 1e-6f);
        Assert.Equal(new float[] { 5, 1, 1, 0, 9, 2 }, Tensor.Randint(new Generator(42), 0, 10, 6).ToArray());
        Assert.Equal(new[] { 5, 2, 3, 0, 4, 6, 7, 1 }, new Generator(42).Permutation(8));
    }

    [Fact]
    public void ChunkedDrawsEqualOneDraw()
    {   // draw n is a function of (seed, n) only: filling in pieces gives the same stream
        var whole = Tensor.Rand(new Generator(3), 20).ToArray();
        var g = new Generator(3);
        var parts = Tensor.Rand(g, 7).ToArray().Concat(Tensor.Rand(g, 13).ToArray()).ToArray();
        Assert.Equal(whole, parts);
    }

    [Fact]
    public void OffsetResumesExactly()
    {
        var g = new Generator(11);
        Tensor.Randn(g, 33);
        var saved = (g.Seed, g.Offset);
        var next = Tensor.Randn(g, 10).ToArray();
        var resumed = new Generator(saved.Seed, saved.Offset);
        Assert.Equal(next, Tensor.Randn(resumed, 10).ToArray());
    }

    [Fact]
    public void ForksAreIndependent()
    {
        var parent = new Generator(9);
        var expectedParent = Tensor.Rand(new Generator(9), 1000).ToArray();
        var f1 = parent.Fork(1); var f2 = parent.Fork(2);
        var a = Tensor.Rand(f1, 1000).ToArray();
        var b = Tensor.Rand(f2, 1000).ToArray();
        Assert.Equal(expectedParent, Tensor.Rand(parent, 1000).ToArray());   // forking and drawing from forks leaves the parent alone
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, expectedParent);
        Assert.Equal(a, Tensor.Rand(new Generator(9).Fork(1), 1000).ToArray());   // a fork is reproducible
        Assert.True(Math.Abs(Correlation(a, b)) < 0.1, "fork streams are correlated");
        Assert.True(Math.Abs(Correlation(a, expectedParent)) < 0.1, "fork and parent are correlated");
    }

    static double Correlation(float[] x, float[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        return sxy / Math.Sqrt(sxx * syy);
    }

    [Fact]
    public void RandnHasMeanZeroAndStdOne()
    {
        var v = Tensor.Randn(new Generator(1), 100_000).ToArray();
        double mean = v.Average(), var = v.Select(x => (x - mean) * (x - mean)).Average();
        Assert.InRange(mean, -0.015, 0.015);              // standard error 0.0032
        Assert.InRange(Math.Sqrt(var), 0.99, 1.01);
        double within1 = v.Count(x => Math.Abs(x) < 1) / 100_000.0;
        Assert.InRange(within1, 0.676, 0.689);            // Φ(1) − Φ(−1) = 0.6827
    }

    [Fact]
    public void UniformRanges()
    {
        var u = Tensor.Uniform(new Generator(2), -2, 3, 50_000).ToArray();
        Assert.All(u, x => Assert.InRange(x, -2f, 2.9999999f));
        Assert.InRange(u.Average(), 0.45, 0.55);
        var r = Tensor.Rand(new Generator(2), 50_000).ToArray();
        Assert.All(r, x => Assert.True(x >= 0 && x < 1));
    }

    [Fact]
    public void RandintCoversTheRangeAndNothingElse()
    {
        var v = Tensor.Randint(new Generator(4), -3, 4, 10_000).ToArray();
        var counts = new int[7];
        foreach (var x in v) { Assert.Equal(MathF.Round(x), x); Assert.InRange(x, -3, 3); counts[(int)x + 3]++; }
        Assert.All(counts, c => Assert.InRange(c, 1200, 1660));   // ≈ 1429 each
        var g = new Generator(4);
        for (int i = 0; i < 1000; i++) Assert.InRange(g.NextInt(5, 7), 5, 6);
    }

    [Fact]
    public void PermutationIsValid()
    {
        foreach (var n in new[] { 0, 1, 2, 17, 1000 })
        {
            var p = new Generator(6).Permutation(n);
            Assert.Equal(Enumerable.Range(0, n), p.OrderBy(x => x));
        }
        var q = new Generator(6).Permutation(1000);
        Assert.True(q.Where((x, i) => x == i).Count() < 10, "a permutation of 1000 should move almost everything");
    }

    [Fact]
    public void NextDoubleAndNormal()
    {
        var g = new Generator(8);
        var d = Enumerable.Range(0, 10_000).Select(_ => g.NextDouble()).ToArray();
        Assert.All(d, x => Assert.True(x >= 0 && x < 1));
        Assert.InRange(d.Average(), 0.49, 0.51);
        var n = Enumerable.Range(0, 10_000).Select(_ => g.NextNormal()).ToArray();
        Assert.InRange(n.Average(), -0.04, 0.04);
        Assert.InRange(Math.Sqrt(n.Select(x => x * x).Average()), 0.97, 1.03);
    }

    [Fact]
    public void ManualSeedResetsTheDefault()
    {
        Generator.ManualSeed(123);
        var a = Tensor.Rand(Generator.Default, 5).ToArray();
        Generator.ManualSeed(123);
        Assert.Equal(a, Tensor.Rand(Generator.Default, 5).ToArray());
    }
}
