namespace Nabla.Diffusion;

/// <summary>
/// Fréchet distance between two sets of feature vectors, each summarised by a Gaussian N(μ, Σ)
/// (as FID, Heusel et al. 2017): d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}).
/// Tr((Σ₁Σ₂)^{1/2}) = Σ √λ_i(Σ₁^{1/2} Σ₂ Σ₁^{1/2}) is computed with symmetric (Jacobi) eigendecompositions in
/// float64, so it stays real and stable for singular covariances. Σ uses the unbiased (N − 1) normalisation.
/// </summary>
public static class FrechetDistance
{
    /// <summary>Mean and covariance of the rows of <paramref name="features"/> [N, D].</summary>
    public static (double[] Mean, double[,] Covariance) Statistics(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank != 2 || features.Dim(0) < 2) throw new ArgumentException($"FrechetDistance: features {ShapeMath.Format(features.Shape)} must be [N ≥ 2, D]");
        int n = features.Dim(0), d = features.Dim(1);
        var x = features.Data;
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        var cov = new double[d, d];
        var row = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
            for (int j = 0; j < d; j++) { double r = row[j]; for (int k = j; k < d; k++) cov[j, k] += r * row[k]; }
        }
        for (int j = 0; j < d; j++) for (int k = j; k < d; k++) { cov[j, k] /= n - 1; cov[k, j] = cov[j, k]; }
        return (mean, cov);
    }

    /// <summary>The Fréchet distance d² between the Gaussians fitted to two feature sets [N₁, D] and [N₂, D].</summary>
    public static double Compute(Tensor a, Tensor b)
    {
        if (a.Rank != 2 || b.Rank != 2 || a.Dim(1) != b.Dim(1))
            throw new ArgumentException($"FrechetDistance: feature sets {ShapeMath.Format(a.Shape)} and {ShapeMath.Format(b.Shape)} must be [N, D] with the same D");
        var (m1, c1) = Statistics(a); var (m2, c2) = Statistics(b);
        return Compute(m1, c1, m2, c2);
    }

    /// <summary>d² from means and covariances.</summary>
    public static double Compute(double[] mean1, double[,] cov1, double[] mean2, double[,] cov2)
    {
        int d = mean1.Length;
        if (mean2.Length != d || cov1.GetLength(0) != d || cov1.GetLength(1) != d || cov2.GetLength(0) != d || cov2.GetLength(1) != d)
            throw new ArgumentException($"FrechetDistance: dimensions differ (means {mean1.Length} and {mean2.Length}, covariances {cov1.GetLength(0)}×{cov1.GetLength(1)} and {cov2.GetLength(0)}×{cov2.GetLength(1)})");
        double diff = 0, trace = 0;
        for (int i = 0; i < d; i++) { double t = mean1[i] - mean2[i]; diff += t * t; trace += cov1[i, i] + cov2[i, i]; }
        var s1 = SqrtPsd(cov1);
        var m = Multiply(Multiply(s1, cov2), s1);
        Symmetrize(m);
        var (lambda, _) = SymmetricEigen(m);
        double trSqrt = 0;
        foreach (var l in lambda) trSqrt += Math.Sqrt(Math.Max(l, 0));
        return Math.Max(0, diff + trace - 2 * trSqrt);
    }

    static double[,] SqrtPsd(double[,] a)
    {
        int d = a.GetLength(0);
        var (l, v) = SymmetricEigen((double[,])a.Clone());
        var r = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += v[i, k] * Math.Sqrt(Math.Max(l[k], 0)) * v[j, k];
                r[i, j] = s;
            }
        return r;
    }

    static double[,] Multiply(double[,] a, double[,] b)
    {
        int d = a.GetLength(0);
        var r = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++)
            {
                double aik = a[i, k];
                if (aik == 0) continue;
                for (int j = 0; j < d; j++) r[i, j] += aik * b[k, j];
            }
        return r;
    }

    static void Symmetrize(double[,] a)
    {
        int d = a.GetLength(0);
        for (int i = 0; i < d; i++) for (int j = i + 1; j < d; j++) { double m = 0.5 * (a[i, j] + a[j, i]); a[i, j] = m; a[j, i] = m; }
    }

    /// <summary>Eigenvalues and eigenvectors (columns of V) of a symmetric matrix by cyclic Jacobi rotations (a is overwritten).</summary>
    internal static (double[] Values, double[,] Vectors) SymmetricEigen(double[,] a)
    {
        int d = a.GetLength(0);
        var v = new double[d, d];
        for (int i = 0; i < d; i++) v[i, i] = 1;
        double scale = 0;
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) scale += a[i, j] * a[i, j];
        if (scale == 0) return (new double[d], v);
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int i = 0; i < d; i++) for (int j = i + 1; j < d; j++) off += a[i, j] * a[i, j];
            if (off <= 1e-30 * scale) break;
            for (int p = 0; p < d; p++)
                for (int q = p + 1; q < d; q++)
                {
                    double apq = a[p, q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < d; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq; a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk; a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq; v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var values = new double[d];
        for (int i = 0; i < d; i++) values[i] = a[i, i];
        return (values, v);
    }
}
