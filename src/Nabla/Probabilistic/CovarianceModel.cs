using Nabla.Kernels;

namespace Nabla.Probabilistic;

/// <summary>
/// What a covariance parameterization of <see cref="GaussianMixture"/> decides (one implementation per
/// <see cref="CovarianceType"/>): the layout of its parameters (scikit-learn's), how the M-step reduces the scatter
/// S_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ to Σ_k, the precision Cholesky factor U_k (Σ_k⁻¹ = U_k U_kᵀ) and log|U_k|,
/// and the E-step's squared Mahalanobis norms ‖(x_i − μ_k)U_k‖². The base class holds the diagonal forms' shared
/// parts; <see cref="MatrixCovariance"/> those of the full and tied ones.
/// </summary>
internal abstract class CovarianceModel
{
    public abstract CovarianceType Type { get; }

    /// <summary>True when only the diagonal of the scatter is needed (diagonal and spherical forms).</summary>
    public abstract bool DiagonalOnly { get; }

    /// <summary>Entries of the flattened covariance (and precision) parameters: full K·d², tied d², diagonal K·d, spherical K.</summary>
    public abstract int ParameterLength(int components, int d);

    /// <summary>Free covariance parameters (scikit-learn's _n_parameters share): full K·d(d+1)/2, tied d(d+1)/2, diagonal K·d, spherical K.</summary>
    public abstract int FreeParameters(int components, int d);

    /// <summary>Writes the full d×d covariance Σ_k of component k into <paramref name="c"/> (zeros off the diagonal for diagonal forms).</summary>
    public abstract void Expand(ReadOnlySpan<double> cov, int k, int d, double[,] c);

    /// <summary>M-step for component k: Σ_k from its scatter about μ_k (d×d, symmetric; only the diagonal when <see cref="DiagonalOnly"/>) and N_k.</summary>
    public abstract void SetFromScatter(MixtureParameters p, int k, double[] scatter, double nk);

    /// <summary>Called once after every component's <see cref="SetFromScatter"/>, with Σ_k N_k (the tied form pools there).</summary>
    public virtual void FinishMStep(MixtureParameters p, double nkSum) { }

    /// <summary>U_k, log|U_k| and the E-step's helpers (μU or the per-dimension scales) from the covariances; throws when one is singular.</summary>
    public abstract void ComputePrecisionCholesky(MixtureParameters p, string when);

    /// <summary>Covariances from user-given precisions (diagonal forms: Σ = 1/P elementwise).</summary>
    public virtual void SetFromPrecisions(MixtureParameters p, double[] precisions)
    {
        for (int i = 0; i < precisions.Length; i++)
        {
            if (!(precisions[i] > 0) || !double.IsFinite(precisions[i])) throw new ArgumentException($"GaussianMixture: PrecisionsInit[{i}] = {precisions[i]} must be a finite number > 0");
            p.Cov[i] = 1.0 / precisions[i];
        }
    }

    /// <summary>‖(x_i − μ_k)U_k‖² for the <paramref name="count"/> points of a feature-major block (diagonal forms: Σ_j ((x_ij − μ_kj)/σ_kj)²).</summary>
    public virtual void SquaredNorms(ReadOnlySpan<double> block, int n, int count, MixtureParameters p, int k, Span<double> norms) =>
        DoubleLinalg.DiagonalSquaredNorms(block, n, count, p.D, p.Scale.AsSpan(k * p.D, p.D), p.Mu.AsSpan(k * p.D, p.D), norms);

    public static CovarianceModel For(CovarianceType type) => type switch
    {
        CovarianceType.Full => FullCovariance.Instance,
        CovarianceType.Tied => TiedCovariance.Instance,
        CovarianceType.Diagonal => DiagonalCovariance.Instance,
        CovarianceType.Spherical => SphericalCovariance.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"GaussianMixture: unknown covariance type {type}"),
    };
}
