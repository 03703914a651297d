using Nabla.Kernels;

namespace Nabla.Probabilistic;

/// <summary>
/// N(μ, Σ) in d dimensions, held through the Cholesky factor Σ = L Lᵀ:
/// log N(x) = −½(d ln 2π + ln|Σ| + ‖L⁻¹(x − μ)‖²), ln|Σ| = 2 Σ ln L_ii; sampling x = μ + L ε.
/// </summary>
public sealed class MultivariateGaussian
{
    readonly double[] mean;
    readonly double[,] cov;
    readonly double[] chol;
    /// <summary>Dimension d.</summary>
    public int Dimensions => mean.Length;
    /// <summary>Mean μ.</summary>
    public double[] Mean => (double[])mean.Clone();
    /// <summary>Covariance Σ (d×d).</summary>
    public double[,] Covariance => (double[,])cov.Clone();
    /// <summary>ln |Σ|.</summary>
    public double LogDeterminant { get; }

    public MultivariateGaussian(double[] mean, double[,] covariance)
    {
        int d = mean.Length;
        if (d == 0) throw new ArgumentException("MultivariateGaussian: the mean is empty", nameof(mean));
        if (covariance.GetLength(0) != d || covariance.GetLength(1) != d)
            throw new ArgumentException($"MultivariateGaussian: the covariance is {covariance.GetLength(0)}×{covariance.GetLength(1)}, the mean has d = {d}", nameof(covariance));
        this.mean = (double[])mean.Clone();
        cov = (double[,])covariance.Clone();
        chol = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                if (!double.IsFinite(cov[i, j])) throw new ArgumentException($"MultivariateGaussian: covariance[{i}, {j}] = {cov[i, j]} is not finite", nameof(covariance));
                chol[i * d + j] = cov[i, j];
            }
        if (DoubleLinalg.TryCholesky(chol, d) >= 0)
            throw new ArgumentException($"MultivariateGaussian: the {d}×{d} covariance is singular or not positive definite " +
                "(fewer points than dimensions, or collinear columns?); add a small multiple of the identity", nameof(covariance));
        LogDeterminant = DoubleLinalg.LogDetFromCholesky(chol, d);
    }

    /// <summary>log N(x | μ, Σ) of one point.</summary>
    public double LogPdf(ReadOnlySpan<double> x)
    {
        int d = Dimensions;
        if (x.Length != d) throw new ArgumentException($"MultivariateGaussian.LogPdf: the point has {x.Length} entries, d = {d}", nameof(x));
        Span<double> r = d <= 64 ? stackalloc double[d] : new double[d];
        for (int j = 0; j < d; j++) r[j] = x[j] - mean[j];
        DoubleLinalg.SolveLower(chol, d, r);
        double q = DoubleLinalg.Dot(r, r);
        return -0.5 * (d * Math.Log(2 * Math.PI) + LogDeterminant + q);
    }

    /// <summary>Σ_i log N(x_i | μ, Σ) over the rows of x.</summary>
    public double LogLikelihood(double[,] x)
    {
        int n = x.GetLength(0), d = Dimensions;
        if (x.GetLength(1) != d) throw new ArgumentException($"MultivariateGaussian.LogLikelihood: the data has {x.GetLength(1)} columns, d = {d}", nameof(x));
        var row = new double[d];
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) row[j] = x[i, j];
            s += LogPdf(row);
        }
        return s;
    }

    /// <summary>n draws μ + L ε with ε ~ N(0, I) (rows of the result).</summary>
    public double[,] Sample(int n, Generator gen)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), $"MultivariateGaussian.Sample: n must be ≥ 0, got {n}");
        int d = Dimensions;
        var r = new double[n, d];
        var e = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) e[j] = gen.NextNormal();
            for (int a = 0; a < d; a++)
            {
                double s = mean[a];
                for (int j = 0; j <= a; j++) s += chol[a * d + j] * e[j];
                r[i, a] = s;
            }
        }
        return r;
    }
}
