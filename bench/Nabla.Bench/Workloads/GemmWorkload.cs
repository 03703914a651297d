using System.Diagnostics;
using Nabla.Kernels;

namespace Nabla.Bench;

/// <summary>gemm: C = A·B, square float32, n = 256, 512, 1024, 2048; GFLOPS = 2n³ / median time.</summary>
public static class GemmWorkload
{
    public static void Run(string[] args)
    {
        var gen = new Nabla.Generator(0);
        foreach (int n in new[] { 256, 512, 1024, 2048 })
        {
            var a = new float[n * n]; var b = new float[n * n]; var c = new float[n * n];
            gen.FillNormal(a); gen.FillNormal(b);
            Gemm.Sgemm(false, false, n, n, n, a, n, b, n, c, n);  // warm-up
            var sw = Stopwatch.StartNew();
            Gemm.Sgemm(false, false, n, n, n, a, n, b, n, c, n);
            double first = sw.Elapsed.TotalSeconds;
            var times = new List<double> { first };
            int reps = Math.Max(2, Math.Min(20, (int)(3.0 / first)));
            for (int r = 0; r < reps; r++)
            {
                sw.Restart();
                Gemm.Sgemm(false, false, n, n, n, a, n, b, n, c, n);
                times.Add(sw.Elapsed.TotalSeconds);
            }
            double med = Emit.Median(times);
            Emit.Line("gemm", "gflops", 2.0 * n * n * n / med / 1e9, ("n", n), ("reps", times.Count), ("median_ms", Math.Round(1e3 * med, 3)),
                ("gflops_effective", FlopCount.Gflops(2.0 * n * n * n, med)));
        }
    }
}
