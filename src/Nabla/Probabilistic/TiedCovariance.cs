namespace Nabla.Probabilistic;

/// <summary>One covariance shared by all components: Σ = Σ_k S_k / Σ_k N_k + reg·I (one d×d matrix).</summary>
internal sealed class TiedCovariance : MatrixCovariance
{
    public static readonly TiedCovariance Instance = new();
    public override CovarianceType Type => CovarianceType.Tied;
    public override int ParameterLength(int components, int d) => d * d;
    public override int FreeParameters(int components, int d) => d * (d + 1) / 2;
    protected override int Matrices(int components) => 1;
    protected override int MatrixOf(int k) => 0;
    protected override string MatrixName(int m) => "the tied covariance";

    /// <summary>Pools the scatter (the parameters start at zero).</summary>
    public override void SetFromScatter(MixtureParameters p, int k, double[] scatter, double nk)
    {
        int d = p.D;
        for (int i = 0; i < d * d; i++) p.Cov[i] += scatter[i];
    }

    public override void FinishMStep(MixtureParameters p, double nkSum)
    {
        int d = p.D;
        for (int i = 0; i < d * d; i++) p.Cov[i] /= nkSum;
        for (int i = 0; i < d; i++) p.Cov[i * d + i] += p.Reg;
    }
}
