namespace Nabla.Probabilistic;

/// <summary>Round components: σ²_k = (1/d) Σ_j (S_k,jj / N_k + reg) (K variances); U_k = I/σ_k, log|U_k| = d log(1/σ_k).</summary>
internal sealed class SphericalCovariance : CovarianceModel
{
    public static readonly SphericalCovariance Instance = new();
    public override CovarianceType Type => CovarianceType.Spherical;
    public override bool DiagonalOnly => true;
    public override int ParameterLength(int components, int d) => components;
    public override int FreeParameters(int components, int d) => components;

    public override void Expand(ReadOnlySpan<double> cov, int k, int d, double[,] c)
    {
        for (int i = 0; i < d; i++) c[i, i] = cov[k];
    }

    public override void SetFromScatter(MixtureParameters p, int k, double[] scatter, double nk)
    {
        int d = p.D;
        double m = 0;
        for (int i = 0; i < d; i++) m += scatter[i * d + i] / nk + p.Reg;
        p.Cov[k] = m / d;
    }

    public override void ComputePrecisionCholesky(MixtureParameters p, string when)
    {
        int d = p.D;
        for (int k = 0; k < p.K; k++)
        {
            double v = p.Cov[k];
            if (!(v > 0) || !double.IsFinite(v)) throw p.Singular($"component {k}", when);
            p.PrecChol[k] = 1.0 / Math.Sqrt(v);
            for (int j = 0; j < d; j++) p.Scale[k * d + j] = p.PrecChol[k];
            p.LogDet[k] = d * Math.Log(p.PrecChol[k]);
        }
    }
}
