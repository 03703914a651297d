using Nabla.Kernels;

namespace Nabla.Probabilistic;

/// <summary>
/// The shared part of the full and tied forms, which keep d×d matrices: M of them (K full, one tied), component k
/// using matrix <see cref="MatrixOf"/>(k). U = (L⁻¹)ᵀ with Σ = L Lᵀ, log|U| = Σ_j log U_jj, and μU for the E-step.
/// </summary>
internal abstract class MatrixCovariance : CovarianceModel
{
    public override bool DiagonalOnly => false;

    /// <summary>Number of d×d matrices for K components.</summary>
    protected abstract int Matrices(int components);

    /// <summary>The matrix component k uses.</summary>
    protected abstract int MatrixOf(int k);

    /// <summary>How a singular matrix is named in the error ("component 2", "the tied covariance").</summary>
    protected abstract string MatrixName(int m);

    public override void Expand(ReadOnlySpan<double> cov, int k, int d, double[,] c)
    {
        var m = cov.Slice(MatrixOf(k) * d * d, d * d);
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) c[i, j] = m[i * d + j];
    }

    public override void ComputePrecisionCholesky(MixtureParameters p, string when)
    {
        int d = p.D, K = p.K;
        var l = new double[d * d];
        var inv = new double[d * d];
        int matrices = Matrices(K);
        var logDets = new double[matrices];
        for (int m = 0; m < matrices; m++)
        {
            p.Cov.AsSpan(m * d * d, d * d).CopyTo(l);
            if (DoubleLinalg.TryCholesky(l, d) >= 0 || !AllFinite(l)) throw p.Singular(MatrixName(m), when);
            DoubleLinalg.InvertLower(l, d, inv);
            var u = p.PrecChol.AsSpan(m * d * d, d * d);
            double ld = 0;
            for (int i = 0; i < d; i++) { for (int j = 0; j < d; j++) u[i * d + j] = inv[j * d + i]; ld += Math.Log(u[i * d + i]); }
            logDets[m] = ld;
        }
        for (int k = 0; k < K; k++)
        {
            p.LogDet[k] = logDets[MatrixOf(k)];
            var u = p.PrecChol.AsSpan(MatrixOf(k) * d * d, d * d);
            for (int c = 0; c < d; c++)
            {
                double s = 0;
                for (int j = 0; j <= c; j++) s += p.Mu[k * d + j] * u[j * d + c];
                p.MuU[k * d + c] = s;
            }
        }
    }

    /// <summary>Σ = P⁻¹ = L⁻ᵀ L⁻¹ from each given precision P = L Lᵀ.</summary>
    public override void SetFromPrecisions(MixtureParameters p, double[] precisions)
    {
        int d = p.D;
        var l = new double[d * d];
        var inv = new double[d * d];
        for (int m = 0; m < Matrices(p.K); m++)
        {
            precisions.AsSpan(m * d * d, d * d).CopyTo(l);
            if (DoubleLinalg.TryCholesky(l, d) >= 0)
                throw new ArgumentException($"GaussianMixture: PrecisionsInit of component {m} is not symmetric positive definite");
            DoubleLinalg.InvertLower(l, d, inv);
            var cov = p.Cov.AsSpan(m * d * d, d * d);
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                {
                    double s = 0;
                    for (int t = Math.Max(i, j); t < d; t++) s += inv[t * d + i] * inv[t * d + j];
                    cov[i * d + j] = s;
                }
        }
    }

    /// <summary>‖(x_i − μ_k)U_k‖² = ‖x_i U_k − μ_k U_k‖² with U_k upper triangular.</summary>
    public override void SquaredNorms(ReadOnlySpan<double> block, int n, int count, MixtureParameters p, int k, Span<double> norms)
    {
        int d = p.D;
        DoubleLinalg.UpperTriangularSquaredNorms(block, n, count, d, p.PrecChol.AsSpan(MatrixOf(k) * d * d, d * d), p.MuU.AsSpan(k * d, d), norms);
    }

    static bool AllFinite(double[] a) { foreach (var v in a) if (!double.IsFinite(v)) return false; return true; }
}
