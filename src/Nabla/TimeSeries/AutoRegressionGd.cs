namespace Nabla.TimeSeries;

/// <summary>
/// AR(p) fitted as the notes frame it: minimize the mean squared one-step error
/// L(μ, φ) = (1/N) Σ_t (Y_t − μ − Σ_i φ_i Y_{t−i})² by gradient descent, the gradient coming from the autodiff
/// engine (Tensor ops + Backward). The series is standardized first (z = (y − ȳ)/s, so every lag has unit scale
/// and one learning rate suits all), the loop is full-batch Adam with a cosine-decayed step, and the result is
/// mapped back: φ_i = b_i, μ = ȳ(1 − Σ b_i) + s·a. It reaches the OLS coefficients of <see cref="AutoRegression.Fit"/>
/// to float32 accuracy (≈ 1e-4).
/// </summary>
public static class AutoRegressionGd
{
    /// <summary>Result: the model (σ², criteria and forecasts computed in double from its parameters) and the MSE of each step (standardized scale).</summary>
    public sealed record Result(AutoRegression Model, float[] LossHistory);

    /// <summary>Fits AR(<paramref name="order"/>) with a constant by <paramref name="steps"/> Adam steps of size ≤ <paramref name="learningRate"/>.</summary>
    public static Result Fit(double[] y, int order, int steps = 3000, double learningRate = 0.05)
    {
        ArgumentNullException.ThrowIfNull(y);
        AutoRegression.Check(y, order, "AutoRegressionGd.Fit");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), $"AutoRegressionGd.Fit: steps must be ≥ 1, got {steps}");
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), $"AutoRegressionGd.Fit: learningRate must be a positive number, got {learningRate}");
        int n = y.Length, p = order, rows = n - p;
        double mean = 0;
        for (int t = 0; t < n; t++) mean += y[t];
        mean /= n;
        double ss = 0;
        for (int t = 0; t < n; t++) ss += (y[t] - mean) * (y[t] - mean);
        double sd = Math.Sqrt(ss / n);
        if (!(sd > 0)) throw new ArgumentException("AutoRegressionGd.Fit: the series is constant; its lag matrix is singular", nameof(y));

        // lag matrix X[t, i] = z_{t+p−1−i} (lag i+1) and target z_{t+p}
        var xs = new float[rows * p];
        var ts = new float[rows];
        for (int t = 0; t < rows; t++)
        {
            ts[t] = (float)((y[t + p] - mean) / sd);
            for (int i = 0; i < p; i++) xs[t * p + i] = (float)((y[t + p - 1 - i] - mean) / sd);
        }
        var x = Tensor.FromArray(xs, rows, p);
        var target = Tensor.FromArray(ts, rows, 1);
        var w = Tensor.Zeros(p, 1).RequireGrad();
        var b = Tensor.Zeros(1).RequireGrad();
        var prm = new[] { w, b };
        var m1 = prm.Select(q => new double[q.Size]).ToArray();
        var m2 = prm.Select(q => new double[q.Size]).ToArray();
        const double beta1 = 0.9, beta2 = 0.999, eps = 1e-12;
        var losses = new float[steps];
        for (int s = 0; s < steps; s++)
        {
            var err = x % w + b - target;
            var loss = (err * err).Mean();
            losses[s] = loss.Item();
            loss.Backward();
            double lr = learningRate * 0.5 * (1 + Math.Cos(Math.PI * s / steps));
            double c1 = 1 - Math.Pow(beta1, s + 1), c2 = 1 - Math.Pow(beta2, s + 1);
            for (int k = 0; k < prm.Length; k++)
            {
                var v = prm[k].Data;
                var g = prm[k].Grad!.Data;
                for (int i = 0; i < v.Length; i++)
                {
                    m1[k][i] = beta1 * m1[k][i] + (1 - beta1) * g[i];
                    m2[k][i] = beta2 * m2[k][i] + (1 - beta2) * g[i] * g[i];
                    v[i] -= (float)(lr * (m1[k][i] / c1) / (Math.Sqrt(m2[k][i] / c2) + eps));
                }
                prm[k].ZeroGrad();
            }
        }
        var phi = new double[p];
        double sumPhi = 0;
        for (int i = 0; i < p; i++) { phi[i] = w.Data[i]; sumPhi += phi[i]; }
        double mu = mean * (1 - sumPhi) + sd * b.Data[0];
        return new Result(AutoRegression.FromParams(y, p, mu, phi), losses);
    }
}
