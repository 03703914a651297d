using System.Diagnostics;

namespace Nabla.Bench;

/// <summary>
/// JIT warm-up before a timed run: training steps on a throwaway model (never the measured one) until the .NET
/// tiered JIT has had time to replace its first, unoptimized code (30 calls, then a 100 ms delay, then a background
/// recompile) and the storage pool holds the step's array sizes. PyTorch's kernels are compiled ahead of time; this
/// gives the C# side the same footing. The number of steps is reported as <c>warmup_steps</c>.
/// </summary>
public static class Warmup
{
    public static int Run(IEnumerable<Action> steps, double seconds = 0.6, int minSteps = 5)
    {
        var sw = Stopwatch.StartNew();
        int n = 0;
        while (true)
            foreach (var step in steps)
            {
                step();
                if (++n >= minSteps && sw.Elapsed.TotalSeconds >= seconds) return n;
            }
    }
}
