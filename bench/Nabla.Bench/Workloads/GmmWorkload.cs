using System.Diagnostics;
using Nabla.Probabilistic;

namespace Nabla.Bench;

/// <summary>
/// gmm: 8-component full-covariance mixture on 200,000×10 points, exactly 100 EM iterations (tol = 0) from the
/// given start (means = first 8 points, equal weights, identity precisions), reg_covar 1e-6; as ref/gmm.py.
/// </summary>
public static class GmmWorkload
{
    const int K = 8, Iters = 100;

    public static void Run(string[] args)
    {
        var x = MatrixFile.Read(MatrixFile.DataPath(args, "gmm"));
        int n = x.GetLength(0), d = x.GetLength(1);
        var means = new double[K, d];
        for (int k = 0; k < K; k++) for (int j = 0; j < d; j++) means[k, j] = x[k, j];
        var prec = new double[K * d * d];
        for (int k = 0; k < K; k++) for (int j = 0; j < d; j++) prec[k * d * d + j * d + j] = 1;
        GaussianMixture Make() => new(K, CovarianceType.Full)
        {
            MaxIter = Iters, Tol = 0, RegCovar = 1e-6, MeansInit = means, WeightsInit = Enumerable.Repeat(1.0 / K, K).ToArray(), PrecisionsInit = prec,
        };
        // warm-up (JIT) on a slice, then the timed fit
        var small = new double[2000, d];
        Buffer.BlockCopy(x, 0, small, 0, 2000 * d * sizeof(double));
        new GaussianMixture(K, CovarianceType.Full) { MaxIter = 3, Tol = 0, MeansInit = means, WeightsInit = Enumerable.Repeat(1.0 / K, K).ToArray(), PrecisionsInit = prec }.Fit(small);
        var gm = Make();
        var sw = Stopwatch.StartNew();
        gm.Fit(x);
        double t = sw.Elapsed.TotalSeconds;
        // counted work, roughly: per iteration, point and component the E-step's triangular product (x − μ_k)·U_k and the
        // M-step's upper triangle of the weighted scatter, d(d+1)/2 multiply-adds each, plus ≈ 4d for centering, the
        // squared norm and the weighted sums: n·K·(2·d(d+1) + 4d) flops per iteration (exp/log of the softmax not counted)
        double flops = (double)gm.Iterations * n * K * (2.0 * d * (d + 1) + 4.0 * d);
        Emit.Line("gmm", "fit_s", t, ("n_iter", gm.Iterations), ("shape", new[] { n, d }), ("gflops_effective", FlopCount.Gflops(flops, t)));
        Emit.Line("gmm", "final_mean_loglik", gm.Score(x), ("lower_bound", gm.LowerBound));
    }
}
