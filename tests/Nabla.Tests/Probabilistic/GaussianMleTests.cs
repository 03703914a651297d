using Nabla.Kernels;
using Nabla.Probabilistic;

namespace Nabla.Tests.Probabilistic;

public class GaussianMleTests
{
    [Fact]
    public void UnivariateClosedForm()
    {
        var x = new[] { 1.0, 2.0, 4.0, 7.0 };
        var g = GaussianMle.FitUnivariate(x);
        Assert.Equal(3.5, g.Mean, 14);
        Assert.Equal((6.25 + 2.25 + 0.25 + 12.25) / 4, g.Variance, 14); // MLE: divide by n
        double ll = x.Sum(v => -0.5 * Math.Log(2 * Math.PI * g.Variance) - (v - 3.5) * (v - 3.5) / (2 * g.Variance));
        Assert.Equal(ll, g.LogLikelihood(x), 12);
        var s = g.Sample(50000, new Generator(1));
        Assert.InRange(s.Average() - 3.5, -0.05, 0.05);
        Assert.InRange(GaussianMle.FitUnivariate(s).Variance / g.Variance, 0.97, 1.03);
        Assert.Throws<ArgumentException>(() => GaussianMle.FitUnivariate(new[] { 2.0, 2.0 }));
        Assert.Throws<ArgumentException>(() => GaussianMle.FitUnivariate(new[] { 2.0, double.PositiveInfinity }));
        Assert.Throws<ArgumentException>(() => GaussianMle.FitUnivariate(Array.Empty<double>()));
    }

    [Fact]
    public void MultivariateClosedFormAndDensity()
    {
        var x = new double[,] { { 1, 2 }, { 3, 1 }, { 0, 0 }, { 4, 5 } };
        var g = GaussianMle.FitMultivariate(x);
        var mu = g.Mean;
        Assert.Equal(2.0, mu[0], 14);
        Assert.Equal(2.0, mu[1], 14);
        var c = g.Covariance;
        // (1/n) Σ (x − μ)(x − μ)ᵀ by hand: dx = (−1, 1, −2, 2), dy = (0, −1, −2, 3)
        Assert.Equal(10 / 4.0, c[0, 0], 14);
        Assert.Equal(14 / 4.0, c[1, 1], 14);
        Assert.Equal(9 / 4.0, c[0, 1], 14);
        Assert.Equal(c[0, 1], c[1, 0]);
        double det = c[0, 0] * c[1, 1] - c[0, 1] * c[0, 1];
        double ll = 0;
        for (int i = 0; i < 4; i++)
        {
            double a = x[i, 0] - 2, b = x[i, 1] - 2;
            double q = (c[1, 1] * a * a - 2 * c[0, 1] * a * b + c[0, 0] * b * b) / det;
            ll += -Math.Log(2 * Math.PI) - 0.5 * Math.Log(det) - 0.5 * q;
        }
        Assert.Equal(ll, g.LogLikelihood(x), 12);
        Assert.Equal(Math.Log(det), g.LogDeterminant, 12);
        var s = g.Sample(60000, new Generator(4));
        var g2 = GaussianMle.FitMultivariate(s);
        Assert.InRange(g2.Covariance[0, 1] - c[0, 1], -0.08, 0.08);
        Assert.InRange(g2.Mean[1] - 2.0, -0.04, 0.04);
    }

    [Fact]
    public void MultivariateErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => GaussianMle.FitMultivariate(new double[,] { { 1, 2, 3 }, { 2, 3, 4 } }));
        Assert.Contains("singular", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => GaussianMle.FitMultivariate(new double[,] { { 1, 2 }, { double.NaN, 3 } }));
        Assert.Contains("row 1, column 0", e2.Message);
        var g = new MultivariateGaussian(new[] { 0.0, 0.0 }, new double[,] { { 1, 0 }, { 0, 1 } });
        Assert.Equal(-Math.Log(2 * Math.PI), g.LogPdf(new[] { 0.0, 0.0 }), 14);
        Assert.Throws<ArgumentException>(() => g.LogPdf(new[] { 0.0 }));
    }

    [Fact]
    public void StandardNormalQuantileAndCdf()
    {
        Assert.Equal(1.959963984540054, StandardNormal.Quantile(0.975), 14);
        Assert.Equal(-1.2815515655446004, StandardNormal.Quantile(0.1), 14);
        Assert.Equal(-4.753424308822899, StandardNormal.Quantile(1e-6), 12);
        foreach (var p in new[] { 1e-10, 0.01, 0.3, 0.5, 0.77, 0.999 })
            Assert.Equal(p, StandardNormal.Cdf(StandardNormal.Quantile(p)), 1e-13 + p * 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => StandardNormal.Quantile(1.0));
    }

    [Fact]
    public void DoubleLinalgKernels()
    {
        var g = new Generator(8);
        int d = 7;
        var a = new double[d * d];
        var b = new double[d * d];
        for (int i = 0; i < d * d; i++) b[i] = g.NextNormal();
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) { double s = i == j ? 1 : 0; for (int t = 0; t < d; t++) s += b[i * d + t] * b[j * d + t]; a[i * d + j] = s; }
        var l = (double[])a.Clone();
        Assert.Equal(-1, DoubleLinalg.TryCholesky(l, d));
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++)
        {
            double s = 0;
            for (int t = 0; t < d; t++) s += l[i * d + t] * l[j * d + t];
            Assert.Equal(a[i * d + j], s, 10);
        }
        var inv = new double[d * d];
        DoubleLinalg.InvertLower(l, d, inv);
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++)
        {
            double s = 0;
            for (int t = 0; t < d; t++) s += l[i * d + t] * inv[t * d + j];
            Assert.Equal(i == j ? 1 : 0, s, 12);
        }
        var rhs = new double[d]; for (int i = 0; i < d; i++) rhs[i] = i - 2;
        var sol = (double[])rhs.Clone();
        DoubleLinalg.CholeskySolve(l, d, sol);
        for (int i = 0; i < d; i++) { double s = 0; for (int j = 0; j < d; j++) s += a[i * d + j] * sol[j]; Assert.Equal(rhs[i], s, 10); }
        var notPd = new double[] { 1, 2, 2, 1 };
        Assert.Equal(1, DoubleLinalg.TryCholesky(notPd, 2));

        // triangular Mahalanobis kernel and weighted scatter against plain loops, with a ragged block
        int n = 29, ld = 31;
        var x = new double[d * ld];
        for (int i = 0; i < x.Length; i++) x[i] = g.NextNormal();
        var u = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = i; j < d; j++) u[i * d + j] = g.NextNormal();
        var mu = new double[d]; for (int j = 0; j < d; j++) mu[j] = g.NextNormal();
        var muU = new double[d];
        for (int c = 0; c < d; c++) for (int j = 0; j <= c; j++) muU[c] += mu[j] * u[j * d + c];
        var dst = new double[n];
        DoubleLinalg.UpperTriangularSquaredNorms(x, ld, n, d, u, muU, dst);
        var w = new double[n]; for (int i = 0; i < n; i++) w[i] = g.NextDouble();
        var sum = new double[d]; var acc = new double[d * d];
        double ws = DoubleLinalg.AccumulateWeightedScatter(x, ld, n, d, w, mu, sum, acc, false, new double[2 * d * n]);
        Assert.Equal(w.Sum(), ws, 12);
        for (int i = 0; i < n; i++)
        {
            double m = 0;
            for (int c = 0; c < d; c++) { double y = 0; for (int j = 0; j < d; j++) y += (x[j * ld + i] - mu[j]) * u[j * d + c]; m += y * y; }
            Assert.Equal(m, dst[i], 9);
        }
        for (int j = 0; j < d; j++)
            for (int k = j; k < d; k++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += w[i] * (x[j * ld + i] - mu[j]) * (x[k * ld + i] - mu[k]);
                Assert.Equal(s, acc[j * d + k], 10);
            }
    }

    [Fact]
    public void DoubleMathExpAndColumnSoftmax()
    {
        var x = new double[4003];
        for (int i = 0; i < x.Length; i++) x[i] = -720 + 1430.0 * i / (x.Length - 1);
        var y = new double[x.Length];
        DoubleMath.Exp(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] < -700) { Assert.Equal(0.0, y[i]); continue; }
            double e = Math.Exp(x[i]);
            if (double.IsInfinity(e)) { Assert.Equal(e, y[i]); continue; }
            Assert.True(Math.Abs(y[i] - e) <= 5e-16 * e, $"exp({x[i]:R}) = {y[i]:R}, expected {e:R}");
        }
        var special = new[] { 0.0, double.NaN, double.NegativeInfinity, 1.0, -1e-300 };
        var ys = new double[special.Length];
        DoubleMath.Exp(special, ys);
        Assert.Equal(1.0, ys[0]);
        Assert.True(double.IsNaN(ys[1]));
        Assert.Equal(0.0, ys[2]);
        Assert.Equal(Math.E, ys[3], 15);

        // softmax over 3 rows × 7 columns (ld 9), one column with a huge spread
        int rows = 3, ld = 9, count = 7;
        var a = new double[rows * ld];
        var g = new Generator(2);
        for (int i = 0; i < a.Length; i++) a[i] = 10 * g.NextNormal();
        a[0 * ld + 5] = -2000; a[1 * ld + 5] = 3; a[2 * ld + 5] = 1;
        var orig = (double[])a.Clone();
        var lse = new double[count];
        DoubleMath.SoftmaxColumns(a, rows, ld, count, lse);
        for (int i = 0; i < count; i++)
        {
            double m = Enumerable.Range(0, rows).Max(r => orig[r * ld + i]);
            double s = Enumerable.Range(0, rows).Sum(r => Math.Exp(orig[r * ld + i] - m));
            Assert.Equal(m + Math.Log(s), lse[i], 12);
            for (int r = 0; r < rows; r++) Assert.Equal(Math.Exp(orig[r * ld + i] - m) / s, a[r * ld + i], 14);
        }
        Assert.Equal(orig[8], a[8]); // outside the block: untouched
    }
}
