namespace Nabla.Probabilistic;

/// <summary>
/// Maximum-likelihood Gaussians in closed form: μ̂ = (1/n) Σ x_i, σ̂² = (1/n) Σ (x_i − μ̂)² (univariate) and
/// Σ̂ = (1/n) Σ (x_i − μ̂)(x_i − μ̂)ᵀ (multivariate) — the MLE divides by n, not n − 1.
/// </summary>
public static class GaussianMle
{
    /// <summary>Fits N(μ, σ²) to a sample.</summary>
    public static UnivariateGaussian FitUnivariate(ReadOnlySpan<double> x)
    {
        if (x.Length == 0) throw new ArgumentException("GaussianMle.FitUnivariate: the sample is empty", nameof(x));
        double m = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i])) throw new ArgumentException($"GaussianMle.FitUnivariate: non-finite value ({x[i]}) at index {i}", nameof(x));
            m += x[i];
        }
        m /= x.Length;
        double v = 0;
        for (int i = 0; i < x.Length; i++) v += (x[i] - m) * (x[i] - m);
        v /= x.Length;
        if (!(v > 0)) throw new ArgumentException($"GaussianMle.FitUnivariate: all {x.Length} values are equal ({m}); the variance MLE is 0 and the density degenerate", nameof(x));
        return new UnivariateGaussian(m, v);
    }

    /// <summary>Fits N(μ, Σ) (full covariance) to the rows of x (n×d).</summary>
    public static MultivariateGaussian FitMultivariate(double[,] x)
    {
        DataMatrix.CheckNotEmpty(x, "GaussianMle.FitMultivariate");
        DataMatrix.CheckFinite(x, "GaussianMle.FitMultivariate");
        int n = x.GetLength(0), d = x.GetLength(1);
        var mu = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mu[j] += x[i, j];
        for (int j = 0; j < d; j++) mu[j] /= n;
        var xt = DataMatrix.Transpose(x);
        var w = new double[n];
        Array.Fill(w, 1.0);
        var sum = new double[d];
        var s = new double[d * d];
        var scratch = new double[2 * d * Math.Min(n, 256)];
        for (int b = 0; b < n; b += 256)
        {
            int cnt = Math.Min(256, n - b);
            Kernels.DoubleLinalg.AccumulateWeightedScatter(xt.AsSpan(b), n, cnt, d, w, mu, sum, s, false, scratch);
        }
        var cov = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) cov[i, j] = cov[j, i] = s[i * d + j] / n;
        return new MultivariateGaussian(mu, cov);
    }
}
