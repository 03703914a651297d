using System.Diagnostics;

namespace Nabla.Bench;

/// <summary>
/// JIT warm-up before a timed run: training steps on a throwaway model (never the measured one) until the step time
/// stops improving, i.e. until the .NET tiered JIT has replaced its first, unoptimized code (call counting, a delay,
/// instrumented code, then background recompiles) and the storage pool holds the step's array sizes. PyTorch's kernels
/// are compiled ahead of time; this gives the C# side the same footing. Reported as <c>warmup_steps</c>.
/// </summary>
public static class Warmup
{
    /// <summary>Runs the steps (cycling) for at least <paramref name="minSeconds"/>, then until the median of the last
    /// 20 step times is no more than 3% below the median of the 20 before, or <paramref name="maxSeconds"/> have passed.</summary>
    public static int Run(IEnumerable<Action> steps, double minSeconds = 0.5, double maxSeconds = 6)
    {
        const int Window = 20;
        var sw = Stopwatch.StartNew();
        var times = new List<double>();
        var step = new Stopwatch();
        while (true)
            foreach (var s in steps)
            {
                step.Restart();
                s();
                times.Add(step.Elapsed.TotalMilliseconds);
                double t = sw.Elapsed.TotalSeconds;
                if (t >= maxSeconds) return times.Count;
                if (t < minSeconds || times.Count < 2 * Window) continue;
                double last = Median(times, times.Count - Window), before = Median(times, times.Count - 2 * Window);
                if (last >= 0.97 * before) return times.Count;
            }
    }

    static double Median(List<double> xs, int start)
    {
        var w = xs.GetRange(start, 20);
        w.Sort();
        return 0.5 * (w[9] + w[10]);
    }
}
