using Nabla.Kernels;

namespace Nabla.Probabilistic;

/// <summary>
/// Gaussian mixture p(x) = Σ_k π_k N(x | μ_k, Σ_k) fitted by expectation–maximization, numerically as
/// scikit-learn's <c>GaussianMixture</c>:
/// <list type="bullet">
/// <item>E-step: log π_k + log N(x_i | μ_k, Σ_k) with the precision Cholesky factor U_k (Σ_k⁻¹ = U_k U_kᵀ, U_k upper):
/// log N = −½(d log 2π + ‖(x_i − μ_k)U_k‖²) + Σ_j log U_k,jj; the responsibilities
/// r_ik = p(z_i = k | x_i) by log-sum-exp.</item>
/// <item>M-step: N_k = Σ_i r_ik (+ 10ε), π_k = N_k / Σ N, μ_k = Σ_i r_ik x_i / N_k,
/// Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k + reg_covar·I (then reduced to the diagonal, its mean, or pooled).</item>
/// <item>Stops when the mean log-likelihood changes by less than <see cref="Tol"/> or after <see cref="MaxIter"/> steps;
/// the best of <see cref="NInit"/> starts (highest final mean log-likelihood) is kept.</item>
/// </list>
/// One pass over the data per iteration does both steps (<see cref="MixturePass"/>): blocks of points (feature-major)
/// go through the vectorized kernels of <see cref="DoubleLinalg"/>, chunks of points run in parallel and their
/// statistics are summed in a fixed order, so results do not depend on the number of threads. The starts are
/// <see cref="MixtureInitialization"/>'s, the iterations <see cref="MixtureEm"/>'s, and each covariance type is a
/// <see cref="CovarianceModel"/>.
/// </summary>
public sealed class GaussianMixture
{
    /// <summary>Number of components K.</summary>
    public int Components { get; }
    /// <summary>Covariance parameterization.</summary>
    public CovarianceType CovarianceType { get; }
    /// <summary>Convergence threshold on the change of the mean log-likelihood (scikit-learn: tol = 1e-3).</summary>
    public double Tol { get; init; } = 1e-3;
    /// <summary>Added to the diagonal of every covariance so it stays positive definite (scikit-learn: 1e-6).</summary>
    public double RegCovar { get; init; } = 1e-6;
    /// <summary>Maximum number of EM iterations per start.</summary>
    public int MaxIter { get; init; } = 100;
    /// <summary>Number of starts; the one with the highest final mean log-likelihood is kept.</summary>
    public int NInit { get; init; } = 1;
    /// <summary>Initialization when <see cref="MeansInit"/> is not given.</summary>
    public MixtureInit Init { get; init; } = MixtureInit.KMeans;
    /// <summary>User-given initial means (K×d). Missing weights/precisions are then estimated from the hard assignment of each point to its nearest given mean.</summary>
    public double[,]? MeansInit { get; init; }
    /// <summary>User-given initial weights (K, positive, summing to 1).</summary>
    public double[]? WeightsInit { get; init; }
    /// <summary>User-given initial precisions Σ⁻¹, flattened in scikit-learn's layout: full K×d×d, tied d×d, diagonal K×d, spherical K.</summary>
    public double[]? PrecisionsInit { get; init; }

    /// <summary>Creates an unfitted mixture of <paramref name="components"/> Gaussians.</summary>
    public GaussianMixture(int components, CovarianceType covarianceType = CovarianceType.Full)
    {
        if (components < 1) throw new ArgumentOutOfRangeException(nameof(components), $"GaussianMixture: the number of components must be ≥ 1, got {components}");
        Components = components;
        CovarianceType = covarianceType;
        model = CovarianceModel.For(covarianceType);
    }

    readonly CovarianceModel model;
    MixtureParameters? fitted;
    List<double> history = new();

    /// <summary>True after <see cref="Fit"/>.</summary>
    public bool IsFitted => fitted != null;
    /// <summary>Dimension d of the data the model was fitted on.</summary>
    public int Dimensions => P.D;
    /// <summary>Mixing weights π_k.</summary>
    public double[] Weights => (double[])P.W.Clone();
    /// <summary>Means μ_k (K×d).</summary>
    public double[,] Means => To2D(P.Mu, Components, P.D);
    /// <summary>Covariance parameters in scikit-learn's layout (full K×d×d, tied d×d, diagonal K×d, spherical K), flattened.</summary>
    public double[] CovarianceParameters => (double[])P.Cov.Clone();
    /// <summary>Precision Cholesky factors in scikit-learn's layout (full: K upper-triangular d×d U_k with Σ_k⁻¹ = U_k U_kᵀ; tied d×d; diagonal K×d; spherical K), flattened.</summary>
    public double[] PrecisionsCholesky => (double[])P.PrecChol.Clone();
    /// <summary>Whether the last kept start converged (change of mean log-likelihood &lt; Tol).</summary>
    public bool Converged { get; private set; }
    /// <summary>EM iterations of the kept start.</summary>
    public int Iterations { get; private set; }
    /// <summary>Mean log-likelihood at the last E-step of the kept start (scikit-learn's lower_bound_).</summary>
    public double LowerBound { get; private set; } = double.NegativeInfinity;
    /// <summary>Mean log-likelihood of the training data at each iteration's E-step (of the kept start).</summary>
    public IReadOnlyList<double> History => history;

    MixtureParameters P => fitted ?? throw new InvalidOperationException("GaussianMixture: the model is not fitted yet (call Fit first)");

    /// <summary>The full d×d covariance Σ_k of component k (expanded from the tied, diagonal or spherical form).</summary>
    public double[,] Covariance(int k)
    {
        var p = P;
        if ((uint)k >= (uint)Components) throw new ArgumentOutOfRangeException(nameof(k), $"GaussianMixture.Covariance: component {k} not in [0, {Components})");
        var c = new double[p.D, p.D];
        model.Expand(p.Cov, k, p.D, c);
        return c;
    }

    /// <summary>Number of free parameters (as scikit-learn's _n_parameters): covariance + K·d means + K − 1 weights.</summary>
    public int ParameterCount
    {
        get
        {
            int k = Components, d = P.D;
            return model.FreeParameters(k, d) + k * d + k - 1;
        }
    }

    // ------------------------------------------------------------------ fitting

    /// <summary>Fits the mixture to the rows of <paramref name="x"/> (n×d) by EM; <paramref name="gen"/> drives k-means++ (default <see cref="Generator.Default"/>).</summary>
    public GaussianMixture Fit(double[,] x, Generator? gen = null)
    {
        DataMatrix.CheckNotEmpty(x, "GaussianMixture.Fit");
        int n = x.GetLength(0), d = x.GetLength(1), K = Components;
        if (K > n) throw new ArgumentException($"GaussianMixture.Fit: the number of components K = {K} is larger than the number of points n = {n}", nameof(x));
        if (NInit < 1) throw new ArgumentException($"GaussianMixture: NInit must be ≥ 1, got {NInit}");
        if (MaxIter < 1) throw new ArgumentException($"GaussianMixture: MaxIter must be ≥ 1, got {MaxIter}");
        if (!(Tol >= 0)) throw new ArgumentException($"GaussianMixture: Tol must be ≥ 0, got {Tol}");
        if (!(RegCovar >= 0) || double.IsInfinity(RegCovar)) throw new ArgumentException($"GaussianMixture: RegCovar must be a finite number ≥ 0, got {RegCovar}");
        DataMatrix.CheckFinite(x, "GaussianMixture.Fit");
        CheckInit(d);
        gen ??= Generator.Default;
        var xt = DataMatrix.Transpose(x);
        var ws = new MixturePass.Workspace(n, d, K);

        MixtureEm.Run? best = null;
        for (int run = 0; run < NInit; run++)
        {
            var r = MixtureEm.FromStart(xt, n, MixtureInitialization.Initialize(this, model, x, xt, gen), ws, MaxIter, Tol);
            if (best == null || r.LowerBound > best.LowerBound) best = r;
        }
        fitted = best!.Parameters; history = best.History; Converged = best.Converged; Iterations = best.Iterations; LowerBound = best.LowerBound;
        return this;
    }

    void CheckInit(int d)
    {
        int K = Components;
        if (MeansInit != null && (MeansInit.GetLength(0) != K || MeansInit.GetLength(1) != d))
            throw new ArgumentException($"GaussianMixture: MeansInit is {MeansInit.GetLength(0)}×{MeansInit.GetLength(1)}, expected K×d = {K}×{d}");
        if (MeansInit != null) DataMatrix.CheckFinite(MeansInit, "GaussianMixture.MeansInit");
        if (WeightsInit != null)
        {
            if (WeightsInit.Length != K) throw new ArgumentException($"GaussianMixture: WeightsInit has {WeightsInit.Length} entries, expected K = {K}");
            double s = 0;
            for (int k = 0; k < K; k++)
            {
                if (!(WeightsInit[k] >= 0) || !double.IsFinite(WeightsInit[k])) throw new ArgumentException($"GaussianMixture: WeightsInit[{k}] = {WeightsInit[k]} must be a finite number ≥ 0");
                s += WeightsInit[k];
            }
            if (Math.Abs(s - 1) > 1e-6) throw new ArgumentException($"GaussianMixture: WeightsInit must sum to 1, sums to {s}");
        }
        if (PrecisionsInit != null)
        {
            int expect = model.ParameterLength(K, d);
            if (PrecisionsInit.Length != expect)
                throw new ArgumentException($"GaussianMixture: PrecisionsInit has {PrecisionsInit.Length} entries, expected {expect} for {CovarianceType} covariances with K = {K}, d = {d}");
        }
    }

    // ------------------------------------------------------------------ using the model

    double[] Prepare(double[,] x, string who, out int n)
    {
        var p = P;
        DataMatrix.CheckNotEmpty(x, who);
        if (x.GetLength(1) != p.D) throw new ArgumentException($"{who}: the data has {x.GetLength(1)} columns, the model was fitted on d = {p.D}", nameof(x));
        DataMatrix.CheckFinite(x, who);
        n = x.GetLength(0);
        return DataMatrix.Transpose(x);
    }

    /// <summary>log p(x_i) = log Σ_k π_k N(x_i | μ_k, Σ_k) for each row.</summary>
    public double[] ScoreSamples(double[,] x)
    {
        var xt = Prepare(x, "GaussianMixture.ScoreSamples", out int n);
        var lpn = new double[n];
        MixturePass.Run(xt, n, P, new MixturePass.Workspace(n, P.D, Components), false, lpn, null);
        return lpn;
    }

    /// <summary>Mean log-likelihood (1/n) Σ_i log p(x_i).</summary>
    public double Score(double[,] x)
    {
        var xt = Prepare(x, "GaussianMixture.Score", out int n);
        return MixturePass.Run(xt, n, P, new MixturePass.Workspace(n, P.D, Components), false, null, null) / n;
    }

    /// <summary>Posterior p(z_i = k | x_i) — which component each point came from — as an n×K matrix.</summary>
    public double[,] PredictProba(double[,] x)
    {
        var xt = Prepare(x, "GaussianMixture.PredictProba", out int n);
        var r = new double[n * Components];
        MixturePass.Run(xt, n, P, new MixturePass.Workspace(n, P.D, Components), false, null, r);
        return To2D(r, n, Components);
    }

    /// <summary>Hard assignment argmax_k p(z_i = k | x_i).</summary>
    public int[] Predict(double[,] x)
    {
        var xt = Prepare(x, "GaussianMixture.Predict", out int n);
        int K = Components;
        var r = new double[n * K];
        MixturePass.Run(xt, n, P, new MixturePass.Workspace(n, P.D, K), false, null, r);
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int k = 1; k < K; k++) if (r[i * K + k] > r[i * K + best]) best = k;
            labels[i] = best;
        }
        return labels;
    }

    /// <summary>Bayesian information criterion −2 n·Score(x) + (#parameters)·ln n (lower is better).</summary>
    public double Bic(double[,] x) => -2 * Score(x) * x.GetLength(0) + ParameterCount * Math.Log(x.GetLength(0));

    /// <summary>Akaike information criterion −2 n·Score(x) + 2·(#parameters) (lower is better).</summary>
    public double Aic(double[,] x) => -2 * Score(x) * x.GetLength(0) + 2 * ParameterCount;

    /// <summary>Draws n points: a component z ~ Categorical(π), then x = μ_z + L_z ε with Σ_z = L_z L_zᵀ and ε ~ N(0, I).</summary>
    public (double[,] X, int[] Labels) Sample(int n, Generator gen)
    {
        var p = P;
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"GaussianMixture.Sample: n must be ≥ 1, got {n}");
        int d = p.D, K = Components;
        var chol = new double[K][];
        for (int k = 0; k < K; k++)
        {
            var c = Covariance(k);
            var l = new double[d * d];
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) l[i * d + j] = c[i, j];
            DoubleLinalg.Cholesky(l, d, $"covariance of component {k}");
            chol[k] = l;
        }
        var x = new double[n, d];
        var labels = new int[n];
        var eps = new double[d];
        for (int i = 0; i < n; i++)
        {
            double u = gen.NextDouble(), acc = 0;
            int z = K - 1;
            for (int k = 0; k < K; k++) { acc += p.W[k]; if (u < acc) { z = k; break; } }
            labels[i] = z;
            for (int j = 0; j < d; j++) eps[j] = gen.NextNormal();
            for (int r = 0; r < d; r++)
            {
                double s = p.Mu[z * d + r];
                for (int j = 0; j <= r; j++) s += chol[z][r * d + j] * eps[j];
                x[i, r] = s;
            }
        }
        return (x, labels);
    }

    static double[,] To2D(double[] a, int rows, int cols)
    {
        var r = new double[rows, cols];
        Buffer.BlockCopy(a, 0, r, 0, rows * cols * sizeof(double));
        return r;
    }
}
