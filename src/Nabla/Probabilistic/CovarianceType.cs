namespace Nabla.Probabilistic;

/// <summary>How the components of a <see cref="GaussianMixture"/> parameterize their covariance (as scikit-learn).</summary>
public enum CovarianceType
{
    /// <summary>Each component has its own full d×d covariance Σ_k.</summary>
    Full,
    /// <summary>All components share one full covariance Σ.</summary>
    Tied,
    /// <summary>Each component has its own diagonal covariance diag(σ²_k1, …, σ²_kd).</summary>
    Diagonal,
    /// <summary>Each component has one variance: Σ_k = σ²_k I.</summary>
    Spherical,
}

/// <summary>How a <see cref="GaussianMixture"/> picks its starting parameters when no means are given.</summary>
public enum MixtureInit
{
    /// <summary>k-means (k-means++ seeds, then Lloyd iterations); weights, means and covariances from its clusters.</summary>
    KMeans,
    /// <summary>k-means++ seeds only; each point is assigned to its nearest seed and the parameters estimated from that.</summary>
    KMeansPlusPlus,
}
