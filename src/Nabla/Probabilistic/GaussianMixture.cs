using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
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
/// One pass over the data per iteration does both steps: blocks of points (feature-major) go through the
/// vectorized kernels of <see cref="DoubleLinalg"/>, chunks of points run in parallel and their statistics are
/// summed in a fixed order, so results do not depend on the number of threads.
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
    }

    Params? fitted;
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

    Params P => fitted ?? throw new InvalidOperationException("GaussianMixture: the model is not fitted yet (call Fit first)");

    /// <summary>The full d×d covariance Σ_k of component k (expanded from the tied, diagonal or spherical form).</summary>
    public double[,] Covariance(int k)
    {
        var p = P;
        if ((uint)k >= (uint)Components) throw new ArgumentOutOfRangeException(nameof(k), $"GaussianMixture.Covariance: component {k} not in [0, {Components})");
        int d = p.D;
        var c = new double[d, d];
        switch (CovarianceType)
        {
            case CovarianceType.Full: for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) c[i, j] = p.Cov[k * d * d + i * d + j]; break;
            case CovarianceType.Tied: for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) c[i, j] = p.Cov[i * d + j]; break;
            case CovarianceType.Diagonal: for (int i = 0; i < d; i++) c[i, i] = p.Cov[k * d + i]; break;
            default: for (int i = 0; i < d; i++) c[i, i] = p.Cov[k]; break;
        }
        return c;
    }

    /// <summary>Number of free parameters (as scikit-learn's _n_parameters): covariance + K·d means + K − 1 weights.</summary>
    public int ParameterCount
    {
        get
        {
            int k = Components, d = P.D;
            int cov = CovarianceType switch
            {
                CovarianceType.Full => k * d * (d + 1) / 2,
                CovarianceType.Diagonal => k * d,
                CovarianceType.Tied => d * (d + 1) / 2,
                _ => k,
            };
            return cov + k * d + k - 1;
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
        var ws = new Workspace(n, d, K);

        Params? best = null; List<double>? bestHist = null; bool bestConv = false; int bestIter = 0;
        double bestLb = double.NegativeInfinity;
        for (int run = 0; run < NInit; run++)
        {
            var p = Initialize(x, xt, gen);
            var hist = new List<double>();
            double lb = double.NegativeInfinity;
            bool conv = false; int it = 0;
            for (it = 1; it <= MaxIter; it++)
            {
                double prev = lb;
                lb = Pass(xt, n, p, ws, accumulate: true, null, null) / n;
                p = MStep(ws.Totals, p.Mu, d);
                hist.Add(lb);
                if (Math.Abs(lb - prev) < Tol) { conv = true; break; }
            }
            if (it > MaxIter) it = MaxIter;
            if (best == null || lb > bestLb)
            {
                best = p; bestLb = lb; bestHist = hist; bestConv = conv; bestIter = it;
            }
        }
        fitted = best; history = bestHist!; Converged = bestConv; Iterations = bestIter; LowerBound = bestLb;
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
            int expect = PrecisionLength(CovarianceType, K, d);
            if (PrecisionsInit.Length != expect)
                throw new ArgumentException($"GaussianMixture: PrecisionsInit has {PrecisionsInit.Length} entries, expected {expect} for {CovarianceType} covariances with K = {K}, d = {d}");
        }
    }

    static int PrecisionLength(CovarianceType t, int K, int d) => t switch
    {
        CovarianceType.Full => K * d * d,
        CovarianceType.Tied => d * d,
        CovarianceType.Diagonal => K * d,
        _ => K,
    };

    Params Initialize(double[,] x, double[] xt, Generator gen)
    {
        int n = x.GetLength(0), d = x.GetLength(1), K = Components;
        double[] mu;
        int[] labels;
        if (MeansInit != null)
        {
            mu = KMeans.Flatten(MeansInit);
            labels = new int[n];
            if (WeightsInit != null && PrecisionsInit != null) return FromGiven(mu, WeightsInit, PrecisionsInit, d);
            KMeans.Assign(KMeans.Flatten(x), n, d, mu, K, labels);
        }
        else if (Init == MixtureInit.KMeans)
        {
            labels = KMeans.Fit(x, K, gen).Labels;
            mu = null!;
        }
        else
        {
            var seeds = KMeans.PlusPlusSeeds(x, K, gen);
            mu = new double[K * d];
            for (int k = 0; k < K; k++) for (int j = 0; j < d; j++) mu[k * d + j] = x[seeds[k], j];
            labels = new int[n];
            KMeans.Assign(KMeans.Flatten(x), n, d, mu, K, labels);
        }
        // parameters from the hard assignment (one-hot responsibilities), as scikit-learn's initialization
        var totals = HardStatistics(xt, n, d, K, labels, out var centers);
        var p = MStep(totals, centers, d);
        if (MeansInit != null)
        {
            // the given means replace the cluster means; optional given weights / precisions replace theirs
            var w = WeightsInit ?? p.W;
            return FromGiven(mu, w, PrecisionsInit, d, p.Cov);
        }
        return p;
    }

    /// <summary>M-step statistics of one-hot responsibilities (each point in its labelled cluster), about the cluster means.</summary>
    double[] HardStatistics(double[] xt, int n, int d, int K, int[] labels, out double[] centers)
    {
        centers = new double[K * d];
        var counts = new int[K];
        for (int i = 0; i < n; i++)
        {
            int c = labels[i]; counts[c]++;
            for (int j = 0; j < d; j++) centers[c * d + j] += xt[j * n + i];
        }
        for (int c = 0; c < K; c++) if (counts[c] > 0) for (int j = 0; j < d; j++) centers[c * d + j] /= counts[c];
        int slot = 1 + d + d * d;
        var tot = new double[K * slot];
        bool diagOnly = CovarianceType is CovarianceType.Diagonal or CovarianceType.Spherical;
        var w = new double[Block];
        var scratch = new double[2 * d * Block];
        for (int b = 0; b < n; b += Block)
        {
            int cnt = Math.Min(Block, n - b);
            for (int k = 0; k < K; k++)
            {
                bool any = false;
                for (int i = 0; i < cnt; i++) { bool on = labels[b + i] == k; w[i] = on ? 1 : 0; any |= on; }
                if (!any) continue;
                var s = tot.AsSpan(k * slot, slot);
                s[0] += DoubleLinalg.AccumulateWeightedScatter(xt.AsSpan(b), n, cnt, d, w, centers.AsSpan(k * d, d),
                    s.Slice(1, d), s.Slice(1 + d, d * d), diagOnly, scratch);
            }
        }
        return tot;
    }

    Params FromGiven(double[] mu, double[] w, double[]? prec, int d, double[]? covFallback = null)
    {
        int K = Components;
        var p = new Params(d, K, CovarianceType, RegCovar);
        Array.Copy(mu, p.Mu, K * d);
        Array.Copy(w, p.W, K);
        if (prec == null)
        {
            Array.Copy(covFallback!, p.Cov, p.Cov.Length);
        }
        else
        {
            switch (CovarianceType)
            {
                case CovarianceType.Full:
                case CovarianceType.Tied:
                    int m = CovarianceType == CovarianceType.Full ? K : 1;
                    var l = new double[d * d];
                    var inv = new double[d * d];
                    for (int k = 0; k < m; k++)
                    {
                        prec.AsSpan(k * d * d, d * d).CopyTo(l);
                        if (DoubleLinalg.TryCholesky(l, d) >= 0)
                            throw new ArgumentException($"GaussianMixture: PrecisionsInit of component {k} is not symmetric positive definite");
                        // Σ = P⁻¹ = L⁻ᵀ L⁻¹
                        DoubleLinalg.InvertLower(l, d, inv);
                        var cov = p.Cov.AsSpan(k * d * d, d * d);
                        for (int i = 0; i < d; i++)
                            for (int j = 0; j < d; j++)
                            {
                                double s = 0;
                                for (int t = Math.Max(i, j); t < d; t++) s += inv[t * d + i] * inv[t * d + j];
                                cov[i * d + j] = s;
                            }
                    }
                    break;
                default:
                    for (int i = 0; i < prec.Length; i++)
                    {
                        if (!(prec[i] > 0) || !double.IsFinite(prec[i])) throw new ArgumentException($"GaussianMixture: PrecisionsInit[{i}] = {prec[i]} must be a finite number > 0");
                        p.Cov[i] = 1.0 / prec[i];
                    }
                    break;
            }
        }
        p.ComputePrecisionCholesky("initial");
        return p;
    }

    /// <summary>M-step from the summed statistics (per component: Σr, Σr(x−c), Σr(x−c)(x−c)ᵀ upper, about the centres c).</summary>
    Params MStep(double[] tot, double[] centers, int d)
    {
        int K = Components, slot = 1 + d + d * d;
        var p = new Params(d, K, CovarianceType, RegCovar);
        const double eps10 = 10 * 2.220446049250313e-16; // 10 × numpy's finfo(float).eps, as scikit-learn
        double nkSum = 0;
        var nk = new double[K];
        for (int k = 0; k < K; k++) { nk[k] = tot[k * slot] + eps10; nkSum += nk[k]; }
        var scatter = new double[d * d];
        var delta = new double[d];
        if (CovarianceType == CovarianceType.Tied) Array.Clear(p.Cov);
        for (int k = 0; k < K; k++)
        {
            var s = tot.AsSpan(k * slot, slot);
            double wsum = s[0];
            var sum = s.Slice(1, d);
            var S = s.Slice(1 + d, d * d);
            p.W[k] = nk[k] / nkSum;
            // μ = c + δ with δ = Σr(x−c)/N; scatter about μ = S − δsᵀ − sδᵀ + (Σr)δδᵀ
            for (int j = 0; j < d; j++) { delta[j] = sum[j] / nk[k]; p.Mu[k * d + j] = centers[k * d + j] + delta[j]; }
            bool diagOnly = CovarianceType is CovarianceType.Diagonal or CovarianceType.Spherical;
            for (int i = 0; i < d; i++)
                for (int j = i; j < (diagOnly ? i + 1 : d); j++)
                {
                    double v = S[i * d + j] - delta[i] * sum[j] - sum[i] * delta[j] + wsum * delta[i] * delta[j];
                    scatter[i * d + j] = v; scatter[j * d + i] = v;
                }
            switch (CovarianceType)
            {
                case CovarianceType.Full:
                    for (int i = 0; i < d * d; i++) p.Cov[k * d * d + i] = scatter[i] / nk[k];
                    for (int i = 0; i < d; i++) p.Cov[k * d * d + i * d + i] += RegCovar;
                    break;
                case CovarianceType.Tied:
                    for (int i = 0; i < d * d; i++) p.Cov[i] += scatter[i];
                    break;
                case CovarianceType.Diagonal:
                    for (int i = 0; i < d; i++) p.Cov[k * d + i] = scatter[i * d + i] / nk[k] + RegCovar;
                    break;
                default:
                    double m = 0;
                    for (int i = 0; i < d; i++) m += scatter[i * d + i] / nk[k] + RegCovar;
                    p.Cov[k] = m / d;
                    break;
            }
        }
        if (CovarianceType == CovarianceType.Tied)
        {
            for (int i = 0; i < d * d; i++) p.Cov[i] /= nkSum;
            for (int i = 0; i < d; i++) p.Cov[i * d + i] += RegCovar;
        }
        p.ComputePrecisionCholesky(null);
        return p;
    }

    // ------------------------------------------------------------------ the E-step pass

    const int Block = 128, Chunk = 4096;

    sealed class Workspace
    {
        public readonly int Chunks, Slot;
        public readonly double[] ChunkStats, ChunkLl, Totals;
        public Workspace(int n, int d, int K)
        {
            Chunks = (n + Chunk - 1) / Chunk;
            Slot = 1 + d + d * d;
            ChunkStats = new double[Chunks * K * Slot];
            ChunkLl = new double[Chunks];
            Totals = new double[K * Slot];
        }
    }

    /// <summary>
    /// One pass over the data: the E-step for every point; optionally the M-step statistics (into ws.Totals),
    /// log p(x_i) (<paramref name="lpnOut"/>, n) and responsibilities (<paramref name="respOut"/>, n×K).
    /// Returns Σ_i log p(x_i).
    /// </summary>
    double Pass(double[] xt, int n, Params p, Workspace ws, bool accumulate, double[]? lpnOut, double[]? respOut)
    {
        int d = p.D, K = Components, slot = ws.Slot;
        bool diagOnly = CovarianceType is CovarianceType.Diagonal or CovarianceType.Spherical;
        if (accumulate) Array.Clear(ws.ChunkStats);
        long work = (long)n * K * d * (diagOnly ? 1 : d);
        var opts = new ParallelOptions { MaxDegreeOfParallelism = work > 400_000 ? -1 : 1 };
        double logTwoPiHalf = 0.5 * d * Math.Log(2 * Math.PI);
        Parallel.For(0, ws.Chunks, opts, ch =>
        {
            int start = ch * Chunk, end = Math.Min(n, start + Chunk);
            int need = K * Block + 2 * Block + 2 * d * Block;
            var buf = ArrayPool<double>.Shared.Rent(need);
            try
            {
                var wlp = buf.AsSpan(0, K * Block);
                var lpn = buf.AsSpan(K * Block + Block, Block);
                var scratch = buf.AsSpan(K * Block + 2 * Block, 2 * d * Block);
                var stats = accumulate ? ws.ChunkStats.AsSpan(ch * K * slot, K * slot) : default;
                double ll = 0;
                for (int b = start; b < end; b += Block)
                {
                    int cnt = Math.Min(Block, end - b);
                    ReadOnlySpan<double> xb = xt.AsSpan(b);
                    for (int k = 0; k < K; k++)
                    {
                        var row = wlp.Slice(k * Block, cnt);
                        switch (CovarianceType)
                        {
                            case CovarianceType.Full:
                                DoubleLinalg.UpperTriangularSquaredNorms(xb, n, cnt, d, p.PrecChol.AsSpan(k * d * d, d * d), p.MuU.AsSpan(k * d, d), row);
                                break;
                            case CovarianceType.Tied:
                                DoubleLinalg.UpperTriangularSquaredNorms(xb, n, cnt, d, p.PrecChol, p.MuU.AsSpan(k * d, d), row);
                                break;
                            default:
                                DoubleLinalg.DiagonalSquaredNorms(xb, n, cnt, d, p.Scale.AsSpan(k * d, d), p.Mu.AsSpan(k * d, d), row);
                                break;
                        }
                        // log π_k + log N = −½ maha + (log π_k + log|U_k| − ½ d log 2π)
                        AffineInPlace(row, -0.5, p.LogW[k] + p.LogDet[k] - logTwoPiHalf);
                    }
                    // responsibilities r = exp(wlp − max) / Σ exp(wlp − max); log p(x) = max + log Σ
                    var se = lpn[..cnt];
                    DoubleMath.SoftmaxColumns(wlp, K, Block, cnt, se);
                    ll += TensorPrimitives.Sum(se);
                    if (lpnOut != null) se.CopyTo(lpnOut.AsSpan(b, cnt));
                    if (respOut != null)
                        for (int k = 0; k < K; k++)
                        {
                            var row = wlp.Slice(k * Block, cnt);
                            for (int i = 0; i < cnt; i++) respOut[(long)(b + i) * K + k] = row[i];
                        }
                    if (accumulate)
                        for (int k = 0; k < K; k++)
                        {
                            var s = stats.Slice(k * slot, slot);
                            s[0] += DoubleLinalg.AccumulateWeightedScatter(xb, n, cnt, d, wlp.Slice(k * Block, cnt), p.Mu.AsSpan(k * d, d),
                                s.Slice(1, d), s.Slice(1 + d, d * d), diagOnly, scratch);
                        }
                }
                ws.ChunkLl[ch] = ll;
            }
            finally { ArrayPool<double>.Shared.Return(buf); }
        });
        double total = 0;
        for (int c = 0; c < ws.Chunks; c++) total += ws.ChunkLl[c];
        if (accumulate)
        {
            Array.Clear(ws.Totals);
            for (int c = 0; c < ws.Chunks; c++)
                TensorPrimitives.Add(ws.Totals, ws.ChunkStats.AsSpan(c * K * slot, K * slot), ws.Totals);
        }
        return total;
    }

    /// <summary>v ← a·v + b.</summary>
    static void AffineInPlace(Span<double> v, double a, double b)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(v);
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= v.Length - 4; i += 4)
                DoubleLinalg.Fma(Vector256.LoadUnsafe(ref r, (nuint)i), va, vb).StoreUnsafe(ref r, (nuint)i);
        }
        for (; i < v.Length; i++) v[i] = a * v[i] + b;
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
        Pass(xt, n, P, new Workspace(n, P.D, Components), false, lpn, null);
        return lpn;
    }

    /// <summary>Mean log-likelihood (1/n) Σ_i log p(x_i).</summary>
    public double Score(double[,] x)
    {
        var xt = Prepare(x, "GaussianMixture.Score", out int n);
        return Pass(xt, n, P, new Workspace(n, P.D, Components), false, null, null) / n;
    }

    /// <summary>Posterior p(z_i = k | x_i) — which component each point came from — as an n×K matrix.</summary>
    public double[,] PredictProba(double[,] x)
    {
        var xt = Prepare(x, "GaussianMixture.PredictProba", out int n);
        var r = new double[n * Components];
        Pass(xt, n, P, new Workspace(n, P.D, Components), false, null, r);
        return To2D(r, n, Components);
    }

    /// <summary>Hard assignment argmax_k p(z_i = k | x_i).</summary>
    public int[] Predict(double[,] x)
    {
        var xt = Prepare(x, "GaussianMixture.Predict", out int n);
        int K = Components;
        var r = new double[n * K];
        Pass(xt, n, P, new Workspace(n, P.D, K), false, null, r);
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

    /// <summary>Parameters of one mixture and the quantities the E-step needs, derived from the covariances.</summary>
    sealed class Params
    {
        public readonly int D, K;
        public readonly CovarianceType Type;
        public readonly double Reg;
        public readonly double[] W, LogW, Mu, Cov, PrecChol, LogDet, MuU, Scale;
        public Params(int d, int k, CovarianceType type, double reg)
        {
            D = d; K = k; Type = type; Reg = reg;
            W = new double[k]; LogW = new double[k]; Mu = new double[k * d]; LogDet = new double[k];
            Cov = new double[PrecisionLength(type, k, d)];
            PrecChol = new double[Cov.Length];
            MuU = new double[k * d];
            Scale = new double[k * d];
        }

        /// <summary>U = (L⁻¹)ᵀ with Σ = L Lᵀ (or 1/σ for diagonal forms); log|U|; μU; log π. Throws on a singular covariance.</summary>
        public void ComputePrecisionCholesky(string? stage)
        {
            int d = D;
            string when = stage == null ? "" : $" ({stage} parameters)";
            for (int k = 0; k < K; k++) LogW[k] = Math.Log(W[k]);
            switch (Type)
            {
                case CovarianceType.Full:
                case CovarianceType.Tied:
                    int m = Type == CovarianceType.Full ? K : 1;
                    var l = new double[d * d];
                    var inv = new double[d * d];
                    for (int k = 0; k < m; k++)
                    {
                        Cov.AsSpan(k * d * d, d * d).CopyTo(l);
                        if (DoubleLinalg.TryCholesky(l, d) >= 0 || !AllFinite(l))
                            throw Singular(Type == CovarianceType.Tied ? "the tied covariance" : $"component {k}", when);
                        DoubleLinalg.InvertLower(l, d, inv);
                        var u = PrecChol.AsSpan(k * d * d, d * d);
                        double ld = 0;
                        for (int i = 0; i < d; i++) { for (int j = 0; j < d; j++) u[i * d + j] = inv[j * d + i]; ld += Math.Log(u[i * d + i]); }
                        if (Type == CovarianceType.Full) LogDet[k] = ld; else Array.Fill(LogDet, ld);
                    }
                    for (int k = 0; k < K; k++)
                    {
                        var u = Type == CovarianceType.Full ? PrecChol.AsSpan(k * d * d, d * d) : PrecChol.AsSpan();
                        for (int c = 0; c < d; c++)
                        {
                            double s = 0;
                            for (int j = 0; j <= c; j++) s += Mu[k * d + j] * u[j * d + c];
                            MuU[k * d + c] = s;
                        }
                    }
                    break;
                case CovarianceType.Diagonal:
                    for (int k = 0; k < K; k++)
                    {
                        double ld = 0;
                        for (int j = 0; j < d; j++)
                        {
                            double v = Cov[k * d + j];
                            if (!(v > 0) || !double.IsFinite(v)) throw Singular($"component {k}", when);
                            PrecChol[k * d + j] = Scale[k * d + j] = 1.0 / Math.Sqrt(v);
                            ld += Math.Log(PrecChol[k * d + j]);
                        }
                        LogDet[k] = ld;
                    }
                    break;
                default:
                    for (int k = 0; k < K; k++)
                    {
                        double v = Cov[k];
                        if (!(v > 0) || !double.IsFinite(v)) throw Singular($"component {k}", when);
                        PrecChol[k] = 1.0 / Math.Sqrt(v);
                        for (int j = 0; j < d; j++) Scale[k * d + j] = PrecChol[k];
                        LogDet[k] = d * Math.Log(PrecChol[k]);
                    }
                    break;
            }
        }

        ArgumentException Singular(string which, string when) => new(
            $"GaussianMixture: the covariance of {which} is singular or not positive definite{when} — the component has collapsed " +
            $"onto too few or identical points. Increase RegCovar (now {Reg:g3}), use fewer components, or check the data for duplicated points.");

        static bool AllFinite(double[] a) { foreach (var v in a) if (!double.IsFinite(v)) return false; return true; }
    }
}
