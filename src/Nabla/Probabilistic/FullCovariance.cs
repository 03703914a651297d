namespace Nabla.Probabilistic;

/// <summary>Each component its own covariance: Σ_k = S_k / N_k + reg·I (K d×d matrices).</summary>
internal sealed class FullCovariance : MatrixCovariance
{
    public static readonly FullCovariance Instance = new();
    public override CovarianceType Type => CovarianceType.Full;
    public override int ParameterLength(int components, int d) => components * d * d;
    public override int FreeParameters(int components, int d) => components * d * (d + 1) / 2;
    protected override int Matrices(int components) => components;
    protected override int MatrixOf(int k) => k;
    protected override string MatrixName(int m) => $"component {m}";

    public override void SetFromScatter(MixtureParameters p, int k, double[] scatter, double nk)
    {
        int d = p.D;
        for (int i = 0; i < d * d; i++) p.Cov[k * d * d + i] = scatter[i] / nk;
        for (int i = 0; i < d; i++) p.Cov[k * d * d + i * d + i] += p.Reg;
    }
}
