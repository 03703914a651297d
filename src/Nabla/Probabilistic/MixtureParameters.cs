namespace Nabla.Probabilistic;

/// <summary>
/// The parameters of one Gaussian mixture — π (<see cref="W"/>), μ (K×d), the covariance parameters in
/// scikit-learn's layout — and what the E-step derives from them: log π, the precision Cholesky factors U_k,
/// log|U_k|, μ_k U_k (full and tied forms) and 1/σ per dimension (diagonal forms).
/// </summary>
internal sealed class MixtureParameters
{
    public readonly int D, K;
    public readonly CovarianceModel Model;
    public readonly double Reg;
    public readonly double[] W, LogW, Mu, Cov, PrecChol, LogDet, MuU, Scale;

    public MixtureParameters(int d, int k, CovarianceModel model, double reg)
    {
        D = d; K = k; Model = model; Reg = reg;
        W = new double[k]; LogW = new double[k]; Mu = new double[k * d]; LogDet = new double[k];
        Cov = new double[model.ParameterLength(k, d)];
        PrecChol = new double[Cov.Length];
        MuU = new double[k * d];
        Scale = new double[k * d];
    }

    /// <summary>log π, then U, log|U| and the E-step helpers (<see cref="CovarianceModel.ComputePrecisionCholesky"/>). Throws on a singular covariance, naming <paramref name="stage"/> ("initial") when given.</summary>
    public void ComputePrecisionCholesky(string? stage)
    {
        string when = stage == null ? "" : $" ({stage} parameters)";
        for (int k = 0; k < K; k++) LogW[k] = Math.Log(W[k]);
        Model.ComputePrecisionCholesky(this, when);
    }

    /// <summary>The error of a collapsed component.</summary>
    public ArgumentException Singular(string which, string when) => new(
        $"GaussianMixture: the covariance of {which} is singular or not positive definite{when} — the component has collapsed " +
        $"onto too few or identical points. Increase RegCovar (now {Reg:g3}), use fewer components, or check the data for duplicated points.");
}
