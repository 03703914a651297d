using Nabla.Diffusion;

namespace Nabla.Tests.Diffusion;

/// <summary>Every schedule formula against an independent float64 computation (and torch/numpy values where pinned).</summary>
public class NoiseScheduleTests
{
    static void Rel(double expected, double actual, double tol, string what)
        => Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(Math.Abs(expected), 1e-30), $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void LinearBetasAndAlphaBarsMatchTorch()
    {
        var s = NoiseSchedule.Linear(1000);
        // torch.linspace(1e-4, 0.02, 1000, float64), cumprod(1 − β), then .float()
        (int t, float beta, float abar)[] pinned =
        {
            (0, 9.999999747378752e-05f, 0.9998999834060669f), (1, 0.00011991991777904332f, 0.9997801184654236f),
            (499, 0.010040040127933025f, 0.07858724147081375f), (998, 0.01998008042573929f, 4.118193464819342e-05f),
            (999, 0.019999999552965164f, 4.0358296246267855e-05f),
        };
        foreach (var (t, beta, abar) in pinned)
        {
            Assert.Equal(beta, s.Betas[t]);
            Assert.Equal(abar, s.AlphaBars[t]);
        }
    }

    [Fact]
    public void CosineMatchesNicholDhariwal()
    {
        var s = NoiseSchedule.Cosine(1000);
        // numpy: betas_for_alpha_bar of improved-diffusion (s = 0.008, max β 0.999), ᾱ = cumprod(1 − β)
        (int t, float beta, float abar)[] pinned =
        {
            (0, 4.128422369831242e-05f, 0.9999586939811707f), (1, 4.614175122696906e-05f, 0.9999125599861145f),
            (499, 0.003145886119455099f, 0.49384358525276184f), (998, 0.7499994039535522f, 2.4287669475597795e-06f),
            (999, 0.999f, 2.428766965323348e-09f),
        };
        foreach (var (t, beta, abar) in pinned)
        {
            Rel(beta, s.Betas[t], 1e-6, $"β[{t}]");
            Rel(abar, s.AlphaBars[t], 1e-5, $"ᾱ[{t}]");
        }
        Assert.Equal(BetaSchedule.Cosine, s.Kind);
    }

    [Theory]
    [InlineData(BetaSchedule.Linear, 1000)]
    [InlineData(BetaSchedule.Cosine, 1000)]
    [InlineData(BetaSchedule.Linear, 10)]
    public void DerivedCoefficientsMatchDoublePrecision(BetaSchedule kind, int T)
    {
        var s = NoiseSchedule.Create(kind, T);
        double abar = 1;
        for (int t = 0; t < T; t++)
        {
            double b = s.Beta64(t), a = 1 - b, prev = abar;
            abar *= a;
            Rel(a, s.Alphas[t], 1e-7, $"α[{t}]");
            Rel(abar, s.AlphaBars[t], 1e-6, $"ᾱ[{t}]");
            Rel(prev, s.AlphaBarsPrev[t], 1e-6, $"ᾱ_prev[{t}]");
            Rel(Math.Sqrt(abar), s.SqrtAlphaBars[t], 1e-6, $"√ᾱ[{t}]");
            Rel(Math.Sqrt(1 - abar), s.SqrtOneMinusAlphaBars[t], 1e-6, $"√(1−ᾱ)[{t}]");
            // The posterior q(x_{t−1} | x_t, x_0) as the product of two Gaussians in x_{t−1}:
            // q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t) and q(x_{t−1} | x_0) = N(√ᾱ_{t−1} x_0, 1 − ᾱ_{t−1}).
            // Precision 1/β̃ = α_t/β_t + 1/(1 − ᾱ_{t−1}); mean β̃ (√α_t x_t/β_t + √ᾱ_{t−1} x_0/(1 − ᾱ_{t−1})).
            if (t == 0)
            {
                Assert.Equal(0f, s.PosteriorVariance[0]);
                Rel(1, s.PosteriorMeanCoefX0[0], 1e-6, "coef x0 at t=0");
                Assert.Equal(0f, s.PosteriorMeanCoefXt[0]);
                continue;
            }
            double var = 1 / (a / b + 1 / (1 - prev));
            Rel(var, s.PosteriorVariance[t], 1e-5, $"β̃[{t}]");
            Rel(var * Math.Sqrt(prev) / (1 - prev), s.PosteriorMeanCoefX0[t], 1e-5, $"μ̃ coef x0[{t}]");
            Rel(var * Math.Sqrt(a) / b, s.PosteriorMeanCoefXt[t], 1e-5, $"μ̃ coef xt[{t}]");
        }
    }

    static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(new Generator(seed), shape);

    [Fact]
    public void QSampleMatchesFormulaPerSample()
    {
        var s = NoiseSchedule.Linear(1000);
        var x0 = Randn(1, 3, 2, 4); var eps = Randn(2, 3, 2, 4);
        int[] t = { 0, 500, 999 };
        var xt = s.QSample(x0, t, eps);
        for (int i = 0; i < 3; i++)
        {
            double abar = 1;
            for (int k = 0; k <= t[i]; k++) abar *= 1 - s.Beta64(k);
            for (int j = 0; j < 8; j++)
            {
                int q = i * 8 + j;
                double expected = Math.Sqrt(abar) * x0.Data[q] + Math.Sqrt(1 - abar) * eps.Data[q];
                Assert.True(Math.Abs(expected - xt.Data[q]) < 1e-5, $"x_t[{q}] expected {expected}, got {xt.Data[q]}");
            }
        }
    }

    [Fact]
    public void QSampleHasTheForwardMarginalStatistics()
    {
        var s = NoiseSchedule.Linear(1000);
        const int n = 20000;
        var x0 = Tensor.Full(0.7f, n, 1);
        var t = new int[n]; Array.Fill(t, 300);
        var xt = s.QSample(x0, t, Randn(5, n, 1)).ToArray();
        double mean = xt.Average(v => (double)v), var = xt.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        double abar = s.AlphaBars[300];
        Assert.True(Math.Abs(mean - Math.Sqrt(abar) * 0.7) < 0.02, $"mean {mean}");
        Assert.True(Math.Abs(var - (1 - abar)) < 0.03, $"var {var}");
    }

    [Fact]
    public void PredictX0AndPredictEpsInvertTheForwardProcess()
    {
        var s = NoiseSchedule.Cosine(1000);
        var x0 = Randn(1, 4, 5); var eps = Randn(2, 4, 5);
        int[] t = { 0, 10, 400, 900 };
        var xt = s.QSample(x0, t, eps);
        var x0Hat = s.PredictX0(xt, t, eps);
        var epsHat = s.PredictEps(xt, t, x0);
        for (int i = 0; i < 20; i++)
        {
            float tol = i >= 15 ? 2e-3f : 1e-4f;   // 1/√ᾱ_900 ≈ 30 amplifies float32 rounding of x_t
            Assert.True(Math.Abs(x0Hat.Data[i] - x0.Data[i]) < tol, $"x̂0[{i}] {x0Hat.Data[i]} vs {x0.Data[i]}");
            Assert.True(Math.Abs(epsHat.Data[i] - eps.Data[i]) < (i < 5 ? 2e-2f : 1e-4f), $"ε̂[{i}] {epsHat.Data[i]} vs {eps.Data[i]}");
        }
    }

    [Fact]
    public void EpsilonMeanEqualsPosteriorMeanOfPredictedX0()
    {
        var s = NoiseSchedule.Linear(1000);
        var xt = Randn(3, 3, 6); var eps = Randn(4, 3, 6);
        int[] t = { 1, 250, 999 };
        var a = s.EpsilonMean(xt, t, eps);
        var b = s.PosteriorMean(s.PredictX0(xt, t, eps), xt, t);
        for (int i = 0; i < a.Size; i++) Assert.True(Math.Abs(a.Data[i] - b.Data[i]) < 2e-4, $"[{i}] {a.Data[i]} vs {b.Data[i]}");
        // and the notes' form in double: (x_t − β_t/√(1 − ᾱ_t) ε̂)/√α_t
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 6; j++)
            {
                int q = i * 6 + j, k = t[i];
                double e = (xt.Data[q] - s.Beta64(k) / Math.Sqrt(1 - (double)s.AlphaBars[k]) * eps.Data[q]) / Math.Sqrt(1 - s.Beta64(k));
                Assert.True(Math.Abs(e - a.Data[q]) < 1e-5, $"mean[{q}] {e} vs {a.Data[q]}");
            }
    }

    [Fact]
    public void ArgumentErrorsNameTheOpAndShapes()
    {
        Assert.Throws<ArgumentException>(() => NoiseSchedule.Linear(1));
        Assert.Throws<ArgumentException>(() => NoiseSchedule.Linear(100, 0.1, 0.01));
        Assert.Throws<ArgumentException>(() => NoiseSchedule.Linear(100, 0, 0.01));
        Assert.Throws<ArgumentException>(() => NoiseSchedule.Cosine(100, s: 0));
        Assert.Throws<ArgumentException>(() => NoiseSchedule.Cosine(100, maxBeta: 1));
        var s = NoiseSchedule.Linear(100);
        var x = Tensor.Zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => s.QSample(x, new[] { 1 }, x));
        Assert.Contains("QSample", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Throws<ArgumentException>(() => s.QSample(x, new[] { 1, 2 }, Tensor.Zeros(2, 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.QSample(x, new[] { 1, 100 }, x));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.PredictX0(x, new[] { -1, 0 }, x));
        Assert.Throws<ArgumentException>(() => s.PredictEps(x, new[] { 1, 2 }, Tensor.Zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => s.PosteriorMean(Tensor.Zeros(2, 2), x, new[] { 1, 2 }));
        Assert.Throws<ArgumentException>(() => s.EpsilonMean(x, new[] { 1, 2, 3 }, x));
    }
}
