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
        Emit.Line("ar", "fit_s", Emit.Median(times), ("coefficients", fit!.Params), ("reps", times.Count), ("sigma2", fit.Sigma2));
    }
}
