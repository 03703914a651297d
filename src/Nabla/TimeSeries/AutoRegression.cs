using System.Numerics.Tensors;
using Nabla.Kernels;
using System.Runtime.Intrinsics;

namespace Nabla.TimeSeries;

/// <summary>
/// A fitted autoregression AR(p) with a constant: Y_t = μ + Σ_{i=1..p} φ_i Y_{t−i} + u_t, u_t ~ N(0, σ²),
/// on the rows t = p … n−1 (the first p points only serve as lags), as statsmodels' <c>AutoReg(y, p, trend="c")</c>.
/// <see cref="Fit"/> is ordinary least squares in closed form: the normal equations XᵀX β = Xᵀy are formed in one
/// streaming pass over the series (<see cref="LaggedMoments"/>) and solved by Cholesky, in double precision.
/// <see cref="AutoRegressionGd.Fit"/> reaches the same coefficients by gradient descent on the MSE with autodiff.
/// </summary>
public sealed class AutoRegression
{
    /// <summary>The order p (number of lags).</summary>
    public int Order { get; }
    /// <summary>The constant μ.</summary>
    public double Intercept { get; }
    /// <summary>φ_1 … φ_p.</summary>
    public double[] Coefficients => (double[])phi.Clone();
    /// <summary>All parameters in statsmodels' order: [μ, φ_1, …, φ_p].</summary>
    public double[] Params { get { var r = new double[Order + 1]; r[0] = Intercept; phi.CopyTo(r, 1); return r; } }
    /// <summary>Number of observations used: n − p.</summary>
    public int Nobs { get; }
    /// <summary>Sum of squared residuals Σ_t û_t².</summary>
    public double Ssr { get; }
    /// <summary>Noise variance σ² = SSR / nobs (statsmodels' sigma2, the maximum-likelihood estimate).</summary>
    public double Sigma2 => Ssr / Nobs;
    /// <summary>Conditional Gaussian log-likelihood −(nobs/2)(ln 2π + ln σ² + 1).</summary>
    public double LogLikelihood => -(Nobs / 2.0) * (Math.Log(2 * Math.PI) + Math.Log(Sigma2) + 1);
    /// <summary>AIC = −2 llf + 2 (p + 2), counting μ, the p lags and σ² (statsmodels AutoRegResults.aic).</summary>
    public double Aic => -2 * LogLikelihood + 2 * (Order + 2);
    /// <summary>BIC = −2 llf + ln(nobs) (p + 2) (statsmodels AutoRegResults.bic).</summary>
    public double Bic => -2 * LogLikelihood + Math.Log(Nobs) * (Order + 2);
    /// <summary>HQIC = −2 llf + 2 ln(ln nobs) (p + 2) (statsmodels AutoRegResults.hqic).</summary>
    public double Hqic => -2 * LogLikelihood + 2 * Math.Log(Math.Log(Nobs)) * (Order + 2);

    readonly double[] phi;
    readonly double[] tail; // the last p observations, oldest first (the lags of the first forecast)

    AutoRegression(int order, double intercept, double[] phi, int nobs, double ssr, double[] tail)
    {
        Order = order; Intercept = intercept; this.phi = phi; Nobs = nobs; Ssr = ssr; this.tail = tail;
    }

    /// <summary>Fits AR(<paramref name="order"/>) with a constant by ordinary least squares.</summary>
    public static AutoRegression Fit(double[] y, int order)
    {
        ArgumentNullException.ThrowIfNull(y);
        Check(y, order, "AutoRegression.Fit");
        double m = Shift(y);
        var (c, phi) = SolveNormalEquations(y, order, m);
        return FromParams(y, order, c + m * (1 - Sum(phi)), phi);
    }

    /// <summary>Builds the model for given parameters: residuals, σ², likelihood and the forecasting state from the data.</summary>
    internal static AutoRegression FromParams(double[] y, int order, double intercept, double[] phi)
    {
        double ssr = ResidualSumOfSquares(y, order, order, intercept, phi);
        return new AutoRegression(order, intercept, phi, y.Length - order, ssr, y[^order..]);
    }

    internal static void Check(ReadOnlySpan<double> y, int order, string who)
    {
        if (order < 1) throw new ArgumentOutOfRangeException(nameof(order), $"{who}: the order p must be ≥ 1, got {order}");
        int need = 2 * order + 2;
        if (y.Length < need)
            throw new ArgumentException($"{who}: order p = {order} needs at least {need} points (n − p observations for p + 1 coefficients, and one more for σ²); the series has {y.Length}", nameof(y));
        for (int t = 0; t < y.Length; t++)
            if (!double.IsFinite(y[t])) throw new ArgumentException($"{who}: the series has a non-finite value ({y[t]}) at index {t}", nameof(y));
    }

    /// <summary>The shift m (mean of the first points): the regression of z = y − m has better conditioned normal equations.</summary>
    internal static double Shift(ReadOnlySpan<double> y)
    {
        int k = Math.Min(y.Length, 4096);
        return TensorPrimitives.Sum(y[..k]) / k;
    }

    /// <summary>OLS of z_t on [1, z_{t−1}, …, z_{t−p}] (z = y − shift) over the rows t = p … n−1, from the normal equations. Returns (constant, φ).</summary>
    internal static (double c, double[] phi) SolveNormalEquations(double[] y, int p, double shift)
    {
        int m = p + 1;
        var sums = new double[m];
        var gram = new double[m * m];
        LaggedMoments.Compute(y, p, shift, sums, gram);
        var beta = SolveFromMoments(sums, gram, p, p, y.Length - p);
        var phi = new double[p];
        Array.Copy(beta, 1, phi, 0, p);
        return (beta[0], phi);
    }

    /// <summary>Solves the normal equations using only lags 1..q of moments computed for P ≥ q lags (ar_select_order's common sample).</summary>
    internal static double[] SolveFromMoments(double[] sums, double[] gram, int bigP, int q, int nobs)
    {
        int M = bigP + 1, k = q + 1;
        var a = new double[k * k];
        var b = new double[k];
        a[0] = nobs;
        b[0] = sums[0];
        for (int j = 1; j <= q; j++)
        {
            a[j] = a[j * k] = sums[j];
            b[j] = gram[j]; // Σ z_t z_{t−j}
            for (int i = 1; i <= q; i++) a[i * k + j] = gram[i * M + j];
        }
        if (DoubleLinalg.TryCholesky(a, k) >= 0)
            throw new ArgumentException($"AutoRegression: the lag matrix of order {q} is singular (a constant or perfectly predictable series?)");
        DoubleLinalg.CholeskySolve(a, k, b);
        return b;
    }

    /// <summary>SSR = Σ_t (y_t − μ − Σ_{i≤q} φ_i y_{t−i})² over t = start … n−1 (vectorized over t, chunks in parallel, summed in order).</summary>
    internal static double ResidualSumOfSquares(double[] y, int q, int start, double mu, double[] phi)
    {
        const int Chunk = 8192;
        int n = y.Length, rows = n - start;
        int chunks = (rows + Chunk - 1) / Chunk;
        var part = new double[chunks];
        WorkerPool.For(chunks, (double)rows * (q + 1), ParallelThresholds.DoubleWork, ch =>
        {
            int t0 = start + ch * Chunk, t1 = Math.Min(n, t0 + Chunk);
            ref double ry = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(y);
            double s = 0;
            int t = t0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vmu = Vector256.Create(mu);
                Vector256<double> acc = default;
                for (; t <= t1 - 4; t += 4)
                {
                    var r = Vector256.LoadUnsafe(ref ry, (nuint)t) - vmu;
                    for (int i = 1; i <= q; i++)
                        r = DoubleLinalg.Fma(Vector256.Create(-phi[i - 1]), Vector256.LoadUnsafe(ref ry, (nuint)(t - i)), r);
                    acc = DoubleLinalg.Fma(r, r, acc);
                }
                s = Vector256.Sum(acc);
            }
            for (; t < t1; t++)
            {
                double r = y[t] - mu;
                for (int i = 1; i <= q; i++) r -= phi[i - 1] * y[t - i];
                s += r * r;
            }
            part[ch] = s;
        });
        double total = 0;
        foreach (var v in part) total += v;
        return total;
    }

    static double Sum(double[] a) { double s = 0; foreach (var v in a) s += v; return s; }

    /// <summary>In-sample one-step predictions μ + Σ φ_i y_{t−i} for t = p … n−1.</summary>
    public double[] FittedValues(ReadOnlySpan<double> y)
    {
        if (y.Length <= Order) throw new ArgumentException($"AutoRegression.FittedValues: the series needs more than p = {Order} points, has {y.Length}");
        var f = new double[y.Length - Order];
        for (int t = Order; t < y.Length; t++)
        {
            double s = Intercept;
            for (int i = 1; i <= Order; i++) s += phi[i - 1] * y[t - i];
            f[t - Order] = s;
        }
        return f;
    }

    /// <summary>
    /// ψ-weights of the MA(∞) form Y_t = ν + Σ_j ψ_j u_{t−j}: ψ_0 = 1, ψ_j = Σ_{i=1..min(j,p)} φ_i ψ_{j−i}.
    /// </summary>
    public double[] PsiWeights(int count)
    {
        var psi = new double[count];
        if (count > 0) psi[0] = 1;
        for (int j = 1; j < count; j++)
        {
            double s = 0;
            for (int i = 1; i <= Math.Min(j, Order); i++) s += phi[i - 1] * psi[j - i];
            psi[j] = s;
        }
        return psi;
    }

    /// <summary>
    /// Forecasts h = 1 … <paramref name="steps"/> after the end of the fitted series: ŷ_{n+h} = μ + Σ φ_i ŷ_{n+h−i}
    /// (observed values where available), variance σ² Σ_{j&lt;h} ψ_j², and the (1 − α) interval ŷ ± Φ⁻¹(1 − α/2)·√var
    /// (statsmodels AutoRegResults.get_prediction(…).conf_int(alpha)).
    /// </summary>
    public ArForecast Forecast(int steps, double alpha = 0.05)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), $"AutoRegression.Forecast: steps must be ≥ 1, got {steps}");
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), $"AutoRegression.Forecast: alpha must be in (0, 1), got {alpha}");
        int p = Order;
        var path = new double[p + steps];
        tail.CopyTo(path, 0);
        var mean = new double[steps];
        for (int h = 0; h < steps; h++)
        {
            double s = Intercept;
            for (int i = 1; i <= p; i++) s += phi[i - 1] * path[p + h - i];
            path[p + h] = s;
            mean[h] = s;
        }
        var psi = PsiWeights(steps);
        var variance = new double[steps];
        double acc = 0;
        for (int h = 0; h < steps; h++) { acc += psi[h] * psi[h]; variance[h] = Sigma2 * acc; }
        double zq = StandardNormal.Quantile(1 - alpha / 2);
        var lo = new double[steps];
        var hi = new double[steps];
        for (int h = 0; h < steps; h++)
        {
            double se = Math.Sqrt(variance[h]);
            lo[h] = mean[h] - zq * se;
            hi[h] = mean[h] + zq * se;
        }
        return new ArForecast(mean, variance, lo, hi, alpha);
    }
}

/// <summary>Multi-step forecasts: means, forecast-error variances and the (1 − Alpha) prediction interval.</summary>
public sealed record ArForecast(double[] Mean, double[] Variance, double[] Lower, double[] Upper, double Alpha)
{
    /// <summary>Standard errors √Variance.</summary>
    public double[] StdErr => Variance.Select(Math.Sqrt).ToArray();
}
