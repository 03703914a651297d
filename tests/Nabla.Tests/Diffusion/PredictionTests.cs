using Nabla.Diffusion;

namespace Nabla.Tests.Diffusion;

public class PredictionTests
{
    [Theory]
    [InlineData(0.9)]
    [InlineData(0.37)]
    [InlineData(0.002)]
    public void ConversionsBetweenEpsX0AndVAreExactInverses(double abar)
    {
        double a = Math.Sqrt(abar), s = Math.Sqrt(1 - abar), x0 = 0.31, eps = -1.7;
        double xt = a * x0 + s * eps, v = a * eps - s * x0;
        foreach (var (kind, output) in new[] { (Prediction.Epsilon, eps), (Prediction.X0, x0), (Prediction.V, v) })
        {
            var (p, q) = PredictionMath.X0Coefficients(kind, abar);
            Assert.Equal(x0, p * xt + q * output, 12);
            var (pe, qe) = PredictionMath.EpsCoefficients(kind, abar);
            Assert.Equal(eps, pe * xt + qe * output, 12);
            var (tp, tq) = PredictionMath.TargetCoefficients(kind, abar);
            Assert.Equal(output, tp * x0 + tq * eps, 12);
        }
    }

    [Fact]
    public void VPredictionAtZeroTerminalSnrGivesMinusV()
    {
        var (p, q) = PredictionMath.X0Coefficients(Prediction.V, 0);
        Assert.Equal((0.0, -1.0), (p, q));
        Assert.Throws<ArgumentException>(() => PredictionMath.X0Coefficients(Prediction.Epsilon, 0));
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(4.0)]
    [InlineData(5.0)]
    [InlineData(120.0)]
    public void MinSnrWeightsWeightTheX0ErrorByMinSnrGamma(double snr)
    {
        const double gamma = 5;
        double m = Math.Min(snr, gamma);
        Assert.Equal(m / snr, PredictionMath.MinSnrWeight(Prediction.Epsilon, snr, gamma), 14);
        Assert.Equal(m, PredictionMath.MinSnrWeight(Prediction.X0, snr, gamma), 14);
        Assert.Equal(m / (snr + 1), PredictionMath.MinSnrWeight(Prediction.V, snr, gamma), 14);
        // each weighted objective error equals min(SNR, γ)·‖x0 − x̂0‖² for the same x̂
        double abar = snr / (1 + snr), a = Math.Sqrt(abar), s = Math.Sqrt(1 - abar);
        double x0 = 0.2, x0h = -0.4, xt = 0.7;
        double eps = (xt - a * x0) / s, epsH = (xt - a * x0h) / s;
        double v = a * eps - s * x0, vH = a * epsH - s * x0h;
        double target = m * (x0 - x0h) * (x0 - x0h);
        Assert.Equal(target, PredictionMath.MinSnrWeight(Prediction.Epsilon, snr, gamma) * (eps - epsH) * (eps - epsH), 10);
        Assert.Equal(target, PredictionMath.MinSnrWeight(Prediction.V, snr, gamma) * (v - vH) * (v - vH), 10);
        Assert.Equal(target, PredictionMath.MinSnrWeight(Prediction.X0, snr, gamma) * (x0 - x0h) * (x0 - x0h), 10);
    }

    [Fact]
    public void DpmSolverPlusPlus2MStepMatchesThePapersUpdate()
    {
        // Lu et al. 2022, Algorithm 2, written from the paper with λ = log(α/σ) and exp(−h):
        // x_i = (σ_i/σ_{i−1}) x_{i−1} − α_i (e^{−h_i} − 1) D_i, D_i = (1 + 1/(2r_i)) x̂0_{i−1} − 1/(2r_i) x̂0_{i−2}, r_i = h_{i−1}/h_i
        var s = NoiseSchedule.Cosine(1000);
        int tPrev = 800, t = 600, tNext = 350;
        var step = new ReverseStep(s, SamplerKind.DpmSolverPP2M, Prediction.Epsilon, clipX0: false);
        var x = Tensor.Randn(new Generator(1), 2, 3); var eps = Tensor.Randn(new Generator(2), 2, 3); var prev = Tensor.Randn(new Generator(3), 2, 3);
        var (xn, x0h) = step.Step(x, eps, new[] { t, t }, new[] { tNext, tNext }, new Generator(0), prev, new[] { tPrev, tPrev });
        double Al(int k) => Math.Sqrt(s.AlphaBars[k]); double Sg(int k) => Math.Sqrt(1 - s.AlphaBars[k]);
        double Lam(int k) => Math.Log(Al(k) / Sg(k));
        double h = Lam(tNext) - Lam(t), hPrev = Lam(t) - Lam(tPrev), r = hPrev / h;
        for (int i = 0; i < 6; i++)
        {
            double x0 = (x.Data[i] - Sg(t) * eps.Data[i]) / Al(t);
            Assert.Equal(x0, x0h.Data[i], 4);
            double d = (1 + 1 / (2 * r)) * x0 - 1 / (2 * r) * prev.Data[i];
            double e = Sg(tNext) / Sg(t) * x.Data[i] - Al(tNext) * (Math.Exp(-h) - 1) * d;
            Assert.True(Math.Abs(e - xn.Data[i]) < 1e-4, $"[{i}] {e} vs {xn.Data[i]}");
        }
        // first order (no history) is DDIM η = 0
        var (x1, _) = step.Step(x, eps, new[] { t, t }, new[] { tNext, tNext }, new Generator(0));
        var (xd, _) = new ReverseStep(s, SamplerKind.Ddim, Prediction.Epsilon, clipX0: false).Step(x, eps, new[] { t, t }, new[] { tNext, tNext }, new Generator(0));
        for (int i = 0; i < 6; i++) Assert.Equal(xd.Data[i], x1.Data[i], 4);
    }

    [Fact]
    public void RowsAtDifferentTimestepsStepAsIfAlone()
    {
        var s = NoiseSchedule.Linear(1000);
        var step = new ReverseStep(s, SamplerKind.DpmSolverPP2M, Prediction.V);
        var x = Tensor.Randn(new Generator(1), 2, 4); var o = Tensor.Randn(new Generator(2), 2, 4); var p = Tensor.Randn(new Generator(3), 2, 4);
        var (both, _) = step.Step(x, o, new[] { 900, 300 }, new[] { 700, -1 }, new Generator(0), p, new[] { -1, 500 });
        Tensor Row(Tensor a, int r) => Tensor.FromArray(a.ToArray().Skip(r * 4).Take(4).ToArray(), 1, 4);
        var (r0, _) = step.Step(Row(x, 0), Row(o, 0), new[] { 900 }, new[] { 700 }, new Generator(0));
        var (r1, _) = step.Step(Row(x, 1), Row(o, 1), new[] { 300 }, new[] { -1 }, new Generator(0), Row(p, 1), new[] { 500 });
        Assert.Equal(r0.ToArray().Concat(r1.ToArray()), both.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => step.Step(x, o, new[] { 300, 300 }, new[] { 300, 1 }, new Generator(0)));
    }

    [Fact]
    public void TimestepSpacings()
    {
        Assert.Equal(new[] { 999, 799, 599, 399, 199 }, SamplingTimesteps.Create(1000, 5, TimestepSpacing.Trailing));
        Assert.Equal(new[] { 800, 600, 400, 200, 0 }, SamplingTimesteps.Create(1000, 5, TimestepSpacing.Leading));
        Assert.Equal(new[] { 999, 749, 500, 250, 0 }, SamplingTimesteps.Create(1000, 5, TimestepSpacing.Linspace));
        foreach (var sp in Enum.GetValues<TimestepSpacing>())
            for (int n = 1; n <= 40; n += 13)
            {
                var ts = SamplingTimesteps.Create(40, n, sp);
                Assert.Equal(n, ts.Length);
                for (int i = 1; i < n; i++) Assert.True(ts[i] < ts[i - 1]);
                Assert.InRange(ts[^1], 0, 39); Assert.InRange(ts[0], 0, 39);
            }
    }

    [Fact]
    public void SchedulesSigmoidAndZeroTerminalSnr()
    {
        var sg = NoiseSchedule.Sigmoid(1000);
        for (int t = 1; t < 1000; t++) Assert.True(sg.AlphaBars[t] < sg.AlphaBars[t - 1]);
        var z = NoiseSchedule.Linear(1000).RescaleZeroTerminalSnr();
        var l = NoiseSchedule.Linear(1000);
        Assert.True(z.ZeroTerminalSnr);
        Assert.Equal(0.0, z.Beta64(999) - 1, 12);
        Assert.Equal(0f, z.AlphaBars[999]);
        Assert.Equal(l.SqrtAlphaBars[0], z.SqrtAlphaBars[0], 6);
        Assert.Throws<ArgumentException>(() => new DdpmTrainingOptions { ZeroTerminalSnr = true }.Validate());
        new DdpmTrainingOptions { ZeroTerminalSnr = true, Objective = Prediction.V, MinSnrGamma = 5 }.Validate();
    }

    [Fact]
    public void WeightedLossEqualsTheHandWeightedMseAndPlainLossIsUnchanged()
    {
        var s = NoiseSchedule.Linear(100);
        var x0 = Tensor.Randn(new Generator(1), 3, 2); var noise = Tensor.Randn(new Generator(2), 3, 2);
        int[] t = { 5, 50, 95 };
        NoisePredictor m = (x, tt, _) => x * 0.5f;
        var plain = DdpmLoss.Compute(s, m, x0, null, t, noise).Item();
        var eps = DdpmLoss.Compute(s, m, x0, null, t, noise, Prediction.Epsilon, 0).Item();
        Assert.Equal(plain, eps);
        var w = DdpmLoss.Compute(s, m, x0, null, t, noise, Prediction.V, 5).Item();
        double sum = 0;
        for (int i = 0; i < 3; i++)
        {
            double ab = s.AlphaBars[t[i]], a = Math.Sqrt(ab), sg = Math.Sqrt(1 - ab);
            double wt = PredictionMath.MinSnrWeight(Prediction.V, ab / (1 - ab), 5);
            for (int j = 0; j < 2; j++)
            {
                double e = noise.Data[i * 2 + j], x = x0.Data[i * 2 + j];
                double xt = (float)a * x + (float)sg * e, v = a * e - sg * x, d = 0.5 * (float)xt - v;
                sum += wt * d * d;
            }
        }
        Assert.Equal(sum / 6, w, 4);
    }
}
