using Nabla.Kernels;

namespace Nabla.Probabilistic;

/// <summary>
/// The starting parameters of a <see cref="GaussianMixture"/>, as scikit-learn's: a hard assignment of every point
/// (k-means labels, or the nearest of k-means++ seeds or of the given means) turned into parameters by one M-step
/// with one-hot responsibilities; given means, weights and precisions replace the estimated ones.
/// </summary>
internal static class MixtureInitialization
{
    public static MixtureParameters Initialize(GaussianMixture gm, CovarianceModel model, double[,] x, double[] xt, Generator gen)
    {
        int n = x.GetLength(0), d = x.GetLength(1), K = gm.Components;
        double[] mu;
        int[] labels;
        if (gm.MeansInit != null)
        {
            mu = KMeans.Flatten(gm.MeansInit);
            labels = new int[n];
            if (gm.WeightsInit != null && gm.PrecisionsInit != null) return FromGiven(model, gm.RegCovar, mu, gm.WeightsInit, gm.PrecisionsInit, d, K);
            KMeans.Assign(KMeans.Flatten(x), n, d, mu, K, labels);
        }
        else if (gm.Init == MixtureInit.KMeans)
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
        var totals = HardStatistics(model, xt, n, d, K, labels, out var centers);
        var p = MixtureEm.MStep(totals, centers, d, K, model, gm.RegCovar);
        if (gm.MeansInit != null)
        {
            // the given means replace the cluster means; optional given weights / precisions replace theirs
            var w = gm.WeightsInit ?? p.W;
            return FromGiven(model, gm.RegCovar, mu, w, gm.PrecisionsInit, d, K, p.Cov);
        }
        return p;
    }

    /// <summary>M-step statistics of one-hot responsibilities (each point in its labelled cluster), about the cluster means.</summary>
    static double[] HardStatistics(CovarianceModel model, double[] xt, int n, int d, int K, int[] labels, out double[] centers)
    {
        const int Block = MixturePass.Block;
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
        bool diagOnly = model.DiagonalOnly;
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

    /// <summary>Parameters from given means and weights, with covariances from given precisions or else <paramref name="covFallback"/>.</summary>
    static MixtureParameters FromGiven(CovarianceModel model, double reg, double[] mu, double[] w, double[]? prec, int d, int K, double[]? covFallback = null)
    {
        var p = new MixtureParameters(d, K, model, reg);
        Array.Copy(mu, p.Mu, K * d);
        Array.Copy(w, p.W, K);
        if (prec == null) Array.Copy(covFallback!, p.Cov, p.Cov.Length);
        else model.SetFromPrecisions(p, prec);
        p.ComputePrecisionCholesky("initial");
        return p;
    }
}
