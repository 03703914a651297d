namespace Nabla.Probabilistic;

/// <summary>
/// Expectation–maximization of a <see cref="GaussianMixture"/> from one start: each iteration is one
/// <see cref="MixturePass"/> (E-step and M-step statistics) and <see cref="MStep"/>, until the mean log-likelihood
/// changes by less than tol or after maxIter iterations.
/// </summary>
internal static class MixtureEm
{
    /// <summary>One start's outcome: the parameters after the last M-step, the mean log-likelihood of each E-step, convergence, iterations.</summary>
    public sealed record Run(MixtureParameters Parameters, List<double> History, double LowerBound, bool Converged, int Iterations);

    public static Run FromStart(double[] xt, int n, MixtureParameters start, MixturePass.Workspace ws, int maxIter, double tol)
    {
        var p = start;
        var hist = new List<double>();
        double lb = double.NegativeInfinity;
        bool conv = false;
        int it;
        for (it = 1; it <= maxIter; it++)
        {
            double prev = lb;
            lb = MixturePass.Run(xt, n, p, ws, accumulate: true, null, null) / n;
            p = MStep(ws.Totals, p.Mu, p.D, p.K, p.Model, p.Reg);
            hist.Add(lb);
            if (Math.Abs(lb - prev) < tol) { conv = true; break; }
        }
        if (it > maxIter) it = maxIter;
        return new Run(p, hist, lb, conv, it);
    }

    /// <summary>
    /// M-step from the summed statistics (per component: Σr, Σr(x−c), Σr(x−c)(x−c)ᵀ upper, about the centres c):
    /// N_k = Σ_i r_ik + 10ε, π_k = N_k / Σ N, μ_k = c_k + δ_k with δ_k = Σr(x−c)/N_k, and Σ_k from the scatter about
    /// μ_k, S − δsᵀ − sδᵀ + (Σr)δδᵀ, by the covariance model.
    /// </summary>
    public static MixtureParameters MStep(double[] tot, double[] centers, int d, int K, CovarianceModel model, double reg)
    {
        int slot = 1 + d + d * d;
        var p = new MixtureParameters(d, K, model, reg);
        const double eps10 = 10 * 2.220446049250313e-16; // 10 × numpy's finfo(float).eps, as scikit-learn
        double nkSum = 0;
        var nk = new double[K];
        for (int k = 0; k < K; k++) { nk[k] = tot[k * slot] + eps10; nkSum += nk[k]; }
        var scatter = new double[d * d];
        var delta = new double[d];
        bool diagOnly = model.DiagonalOnly;
        for (int k = 0; k < K; k++)
        {
            var s = tot.AsSpan(k * slot, slot);
            double wsum = s[0];
            var sum = s.Slice(1, d);
            var S = s.Slice(1 + d, d * d);
            p.W[k] = nk[k] / nkSum;
            for (int j = 0; j < d; j++) { delta[j] = sum[j] / nk[k]; p.Mu[k * d + j] = centers[k * d + j] + delta[j]; }
            for (int i = 0; i < d; i++)
                for (int j = i; j < (diagOnly ? i + 1 : d); j++)
                {
                    double v = S[i * d + j] - delta[i] * sum[j] - sum[i] * delta[j] + wsum * delta[i] * delta[j];
                    scatter[i * d + j] = v; scatter[j * d + i] = v;
                }
            model.SetFromScatter(p, k, scatter, nk[k]);
        }
        model.FinishMStep(p, nkSum);
        p.ComputePrecisionCholesky(null);
        return p;
    }
}
