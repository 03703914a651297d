using System.Diagnostics;
using Nabla.TimeSeries;

namespace Nabla.Bench;

/// <summary>ar: AR(10) with a constant by OLS on the 1,000,000-point series of ref/ar.py; prints fit_s and the 11 coefficients.</summary>
public static class ArWorkload
{
    const int Lags = 10;

    public static void Run(string[] args)
    {
        var m = MatrixFile.Read(MatrixFile.DataPath(args, "ar"));
        var y = new double[m.GetLength(0)];
        for (int i = 0; i < y.Length; i++) y[i] = m[i, 0];
        AutoRegression.Fit(y[..5000], Lags); // warm-up (JIT)
        var times = new List<double>();
        AutoRegression? fit = null;
        for (int r = 0; r < 7; r++)
        {
            var sw = Stopwatch.StartNew();
            fit = AutoRegression.Fit(y, Lags);
            times.Add(sw.Elapsed.TotalSeconds);
        }
        // counted work, roughly: the one streaming pass forms the upper triangle of the (p+1)×(p+1) lagged Gram matrix
        // and the lag sums, (p+1)(p+2)/2 + (p+1) multiply-adds per row over the n − p rows; the (p+1)³ solve is negligible
        double med = Emit.Median(times);
        double flops = 2.0 * (y.Length - Lags) * ((Lags + 1) * (Lags + 2) / 2 + (Lags + 1));
        Emit.Line("ar", "fit_s", med, ("coefficients", fit!.Params), ("reps", times.Count), ("sigma2", fit.Sigma2), ("gflops_effective", FlopCount.Gflops(flops, med)));
    }
}
