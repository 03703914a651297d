using System.Diagnostics;
using Nabla.Distributed;

namespace Nabla.Bench;

/// <summary>
/// allreduce: MPI_Allreduce (sum, in place) of float buffers as DistributedDataParallel sends them, run under
/// `mpirun -np N`. Per size: median seconds of 20 calls after 3 warm-ups, and the bus bandwidth
/// 2(N−1)/N · bytes / seconds (the ring all-reduce's traffic per rank; NCCL's "busbw"). Args: sizes in MB (default 0.004 0.4 2.5 4 16).
/// </summary>
public static class AllReduceWorkload
{
    public static void Run(string[] args)
    {
        using var group = MpiLaunch.CreateGroup(DistributedMode.Auto);
        var sizes = args.Length > 0 ? args.Select(a => double.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : new[] { 0.004, 0.4, 2.5, 4, 16 };
        foreach (var mb in sizes)
        {
            int n = Math.Max(1, (int)(mb * 1e6 / 4));
            var buf = new float[n];
            for (int i = 0; i < n; i++) buf[i] = i % 7;
            var times = new List<double>();
            var sw = new Stopwatch();
            for (int r = 0; r < 23; r++)
            {
                group.Barrier();
                sw.Restart();
                group.AllReduceSum(buf);
                if (r >= 3) times.Add(sw.Elapsed.TotalSeconds);
            }
            Span<float> t = stackalloc float[] { (float)Emit.Median(times) };
            group.AllReduceSum(t);                                     // mean over ranks of the per-rank median
            double s = t[0] / group.WorldSize, bytes = 4.0 * n;
            if (group.Rank == 0)
                Emit.Line("allreduce", "seconds", s, ("ranks", group.WorldSize), ("megabytes", bytes / 1e6),
                    ("bus_gb_per_s", group.WorldSize > 1 ? 2.0 * (group.WorldSize - 1) / group.WorldSize * bytes / s / 1e9 : 0), ("group", group.Description));
        }
    }
}
