namespace Nabla.Probabilistic;

/// <summary>N(μ, σ²): log density, log-likelihood of data and sampling.</summary>
public sealed class UnivariateGaussian
{
    /// <summary>Mean μ.</summary>
    public double Mean { get; }
    /// <summary>Variance σ² (&gt; 0).</summary>
    public double Variance { get; }
    /// <summary>Standard deviation σ.</summary>
    public double StdDev => Math.Sqrt(Variance);

    public UnivariateGaussian(double mean, double variance)
    {
        if (!double.IsFinite(mean)) throw new ArgumentException($"UnivariateGaussian: the mean must be finite, got {mean}", nameof(mean));
        if (!(variance > 0) || double.IsInfinity(variance)) throw new ArgumentException($"UnivariateGaussian: the variance must be a finite number > 0, got {variance}", nameof(variance));
        Mean = mean; Variance = variance;
    }

    /// <summary>log N(x | μ, σ²) = −½ ln(2πσ²) − (x − μ)²/(2σ²).</summary>
    public double LogPdf(double x) => -0.5 * Math.Log(2 * Math.PI * Variance) - 0.5 * (x - Mean) * (x - Mean) / Variance;

    /// <summary>Σ_i log N(x_i | μ, σ²).</summary>
    public double LogLikelihood(ReadOnlySpan<double> x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += LogPdf(x[i]);
        return s;
    }

    /// <summary>n draws μ + σ ε, ε ~ N(0, 1).</summary>
    public double[] Sample(int n, Generator gen)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), $"UnivariateGaussian.Sample: n must be ≥ 0, got {n}");
        var r = new double[n];
        double sd = StdDev;
        for (int i = 0; i < n; i++) r[i] = Mean + sd * gen.NextNormal();
        return r;
    }
}
