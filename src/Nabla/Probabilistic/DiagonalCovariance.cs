namespace Nabla.Probabilistic;

/// <summary>Axis-aligned components: σ²_kj = S_k,jj / N_k + reg (K×d variances); U_k = diag(1/σ_kj).</summary>
internal sealed class DiagonalCovariance : CovarianceModel
{
    public static readonly DiagonalCovariance Instance = new();
    public override CovarianceType Type => CovarianceType.Diagonal;
    public override bool DiagonalOnly => true;
    public override int ParameterLength(int components, int d) => components * d;
    public override int FreeParameters(int components, int d) => components * d;

    public override void Expand(ReadOnlySpan<double> cov, int k, int d, double[,] c)
    {
        for (int i = 0; i < d; i++) c[i, i] = cov[k * d + i];
    }

    public override void SetFromScatter(MixtureParameters p, int k, double[] scatter, double nk)
    {
        int d = p.D;
        for (int i = 0; i < d; i++) p.Cov[k * d + i] = scatter[i * d + i] / nk + p.Reg;
    }

    public override void ComputePrecisionCholesky(MixtureParameters p, string when)
    {
        int d = p.D;
        for (int k = 0; k < p.K; k++)
        {
            double ld = 0;
            for (int j = 0; j < d; j++)
            {
                double v = p.Cov[k * d + j];
                if (!(v > 0) || !double.IsFinite(v)) throw p.Singular($"component {k}", when);
                p.PrecChol[k * d + j] = p.Scale[k * d + j] = 1.0 / Math.Sqrt(v);
                ld += Math.Log(p.PrecChol[k * d + j]);
            }
            p.LogDet[k] = ld;
        }
    }
}
