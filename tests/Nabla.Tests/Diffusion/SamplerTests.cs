using Nabla.Diffusion;

namespace Nabla.Tests.Diffusion;

public class SamplerTests
{
    /// <summary>The exact ε-predictor for data concentrated at the point c: ε = (x_t − √ᾱ_t c)/√(1 − ᾱ_t).</summary>
    static NoisePredictor Oracle(NoiseSchedule s, float c) => (x, t, _) =>
    {
        var o = new float[x.Size];
        int per = x.Size / t.Size;
        for (int i = 0; i < t.Size; i++)
        {
            int k = (int)t.Data[i];
            double sa = Math.Sqrt((double)s.AlphaBars[k]), so = Math.Sqrt(1 - (double)s.AlphaBars[k]);
            for (int j = 0; j < per; j++) o[i * per + j] = (float)((x.Data[i * per + j] - sa * c) / so);
        }
        return new Tensor(o, x.Shape);
    };

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void AncestralSamplingWithTheExactModelRecoversTheData(bool betaVariance, bool clip)
    {
        var s = NoiseSchedule.Linear(200, 1e-4, 0.05);
        var sampler = new AncestralSampler(s, betaVariance, clip);
        int calls = 0;
        var x = sampler.Sample(Oracle(s, 0.3f), new[] { 4, 1, 3, 3 }, null, new Generator(3), default, st => { Assert.Equal(calls, st.Index); Assert.Equal(199 - calls, st.Timestep); calls++; });
        Assert.Equal(200, calls);
        foreach (var v in x.ToArray()) Assert.True(Math.Abs(v - 0.3f) < 1e-3, $"sample {v}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AncestralStepMatchesDoublePrecision(bool betaVariance)
    {
        var s = NoiseSchedule.Linear(1000);
        var sampler = new AncestralSampler(s, betaVariance);
        var xt = Tensor.Randn(new Generator(1), 2, 5); var eps = Tensor.Randn(new Generator(2), 2, 5);
        var gen = new Generator(9, 100);
        var z = new float[10];
        new Generator(9, 100).FillNormal(z);   // the same draws the step will make
        int t = 600;
        var (xp, _) = sampler.Step(xt, t, eps, gen);
        double b = s.Beta64(t), a = 1 - b, abar = 1, prev = 1;
        for (int k = 0; k <= t; k++) { prev = abar; abar *= 1 - s.Beta64(k); }
        double sigma = Math.Sqrt(betaVariance ? b : (1 - prev) / (1 - abar) * b);
        for (int i = 0; i < 10; i++)
        {
            double e = (xt.Data[i] - b / Math.Sqrt(1 - abar) * eps.Data[i]) / Math.Sqrt(a) + sigma * z[i];
            Assert.True(Math.Abs(e - xp.Data[i]) < 1e-5, $"[{i}] {e} vs {xp.Data[i]}");
        }
        Assert.Equal(100UL + 10, gen.Offset);
        // the last step adds no noise
        var g0 = new Generator(9);
        var (x0, _) = sampler.Step(xt, 0, eps, g0);
        Assert.Equal(0UL, g0.Offset);
    }

    [Fact]
    public void AncestralClippingUsesThePosteriorMeanOfTheClippedX0()
    {
        var s = NoiseSchedule.Linear(1000);
        var sampler = new AncestralSampler(s, clipX0: true);
        var xt = Tensor.FromArray(new[] { 3f, -0.2f }, 2, 1); var eps = Tensor.FromArray(new[] { -2f, 0.1f }, 2, 1);
        var (xp, x0) = sampler.Step(xt, 0, eps, new Generator(0));  // t = 0: μ̃ = x̂_0
        double abar = 1 - s.Beta64(0);
        double raw0 = (3 + Math.Sqrt(1 - abar) * 2) / Math.Sqrt(abar), raw1 = (-0.2 - Math.Sqrt(1 - abar) * 0.1) / Math.Sqrt(abar);
        Assert.True(raw0 > 1);
        Assert.Equal(1f, x0.Data[0]);
        Assert.Equal(1f, xp.Data[0], 5);
        Assert.Equal((float)raw1, xp.Data[1], 5);
    }

    [Fact]
    public void DdimTimestepsAreEvenlySpacedEndingAtTheLastStep()
    {
        var s = NoiseSchedule.Linear(1000);
        var d = new DdimSampler(s, 50);
        Assert.Equal(50, d.Timesteps.Length);
        Assert.Equal(999, d.Timesteps[0]);
        Assert.Equal(19, d.Timesteps[^1]);
        for (int i = 1; i < 50; i++) Assert.Equal(20, d.Timesteps[i - 1] - d.Timesteps[i]);
        Assert.Equal(Enumerable.Range(0, 1000).Reverse(), new DdimSampler(s, 1000).Timesteps);
    }

    [Theory]
    [InlineData(0f, true)]
    [InlineData(0f, false)]
    [InlineData(1f, true)]
    public void DdimWithTheExactModelRecoversTheData(float eta, bool clip)
    {
        var s = NoiseSchedule.Cosine(1000);
        var d = new DdimSampler(s, 25, eta, clip);
        int calls = 0;
        var x = d.Sample(Oracle(s, -0.6f), new[] { 3, 2, 2 }, null, new Generator(4), default, _ => calls++);
        Assert.Equal(25, calls);
        foreach (var v in x.ToArray()) Assert.True(Math.Abs(v + 0.6f) < 1e-3, $"sample {v}");
    }

    [Fact]
    public void DdimStepMatchesDoublePrecision()
    {
        var s = NoiseSchedule.Linear(1000);
        var d = new DdimSampler(s, 10, eta: 0.5f, clipX0: false);
        var xt = Tensor.Randn(new Generator(1), 2, 3); var eps = Tensor.Randn(new Generator(2), 2, 3);
        var z = new float[6]; new Generator(5).FillNormal(z);
        var (xp, _) = d.Step(xt, 700, 500, eps, new Generator(5));
        double a = s.AlphaBars[700], ap = s.AlphaBars[500];
        double sigma = 0.5 * Math.Sqrt((1 - ap) / (1 - a) * (1 - a / ap));
        for (int i = 0; i < 6; i++)
        {
            double x0 = (xt.Data[i] - Math.Sqrt(1 - a) * eps.Data[i]) / Math.Sqrt(a);
            double e = Math.Sqrt(ap) * x0 + Math.Sqrt(1 - ap - sigma * sigma) * eps.Data[i] + sigma * z[i];
            Assert.True(Math.Abs(e - xp.Data[i]) < 1e-5, $"[{i}] {e} vs {xp.Data[i]}");
        }
    }

    [Fact]
    public void DdimClippingRecomputesEpsFromTheClippedX0()
    {
        var s = NoiseSchedule.Linear(1000);
        var d = new DdimSampler(s, 10, clipX0: true);
        var xt = Tensor.FromArray(new[] { 2.5f }, 1, 1); var eps = Tensor.FromArray(new[] { -1f }, 1, 1);
        var (xp, x0) = d.Step(xt, 300, 100, eps, new Generator(0));
        double a = s.AlphaBars[300], ap = s.AlphaBars[100];
        Assert.True((2.5 + Math.Sqrt(1 - a)) / Math.Sqrt(a) > 1);
        Assert.Equal(1f, x0.Data[0]);
        double epsC = (2.5 - Math.Sqrt(a) * 1) / Math.Sqrt(1 - a);
        double e = Math.Sqrt(ap) * 1 + Math.Sqrt(1 - ap) * epsC;
        Assert.True(Math.Abs(e - xp.Data[0]) < 1e-5, $"{e} vs {xp.Data[0]}");
    }

    [Fact]
    public void DdimWithEtaOneOverSingleStepsHasThePosteriorVariance()
    {
        // σ for tPrev = t − 1 and η = 1 equals √β̃_t (Song et al. 2021, §4.1)
        var s = NoiseSchedule.Linear(1000);
        var d = new DdimSampler(s, 1000, eta: 1f, clipX0: false);
        var xt = Tensor.Zeros(1, 1); var eps = Tensor.Zeros(1, 1);
        var z = new float[1]; new Generator(8).FillNormal(z);
        var (xp, _) = d.Step(xt, 400, 399, eps, new Generator(8));
        Assert.Equal(Math.Sqrt(s.PosteriorVariance[400]) * z[0], xp.Data[0], 5);
    }

    [Fact]
    public void SamplersStopWhenCancelled()
    {
        var s = NoiseSchedule.Linear(100);
        using var cts = new CancellationTokenSource();
        int calls = 0;
        NoisePredictor m = (x, t, _) => { if (++calls == 3) cts.Cancel(); return Tensor.Zeros(x.Shape); };
        Assert.ThrowsAny<OperationCanceledException>(() => new AncestralSampler(s).Sample(m, new[] { 1, 2 }, null, new Generator(0), cts.Token));
        Assert.Equal(3, calls);
        using var cts2 = new CancellationTokenSource(); cts2.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new DdimSampler(s, 10).Sample(m, new[] { 1, 2 }, null, new Generator(0), cts2.Token));
    }

    [Fact]
    public void SamplerArgumentErrors()
    {
        var s = NoiseSchedule.Linear(100);
        Assert.Throws<ArgumentNullException>(() => new AncestralSampler(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimSampler(s, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimSampler(s, 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimSampler(s, 10, eta: 1.5f));
        var x = Tensor.Zeros(1, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AncestralSampler(s).Step(x, 100, x, new Generator(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimSampler(s, 10).Step(x, 50, 50, x, new Generator(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimSampler(s, 10).Step(x, 50, -2, x, new Generator(0)));
    }
}
