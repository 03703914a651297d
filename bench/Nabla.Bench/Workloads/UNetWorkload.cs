using Nabla.NN;
using System.Diagnostics;
using Nabla.Models;

namespace Nabla.Bench;

/// <summary>
/// unet: the `ddpm` workload's UNet (built as <see cref="DdpmWorkload"/> builds it), eval mode, no gradients; the C#
/// side of ref/unet.py. Per batch n = 1, 16, 64: x uniform in [−1, 1], t_i = (999 − 20·i) mod 1000, 10 warm-up calls,
/// then forward_ms = the median of 30 timed calls (each in a TensorScope, as the sampler runs it). Args: [batch ...]
/// [calls] overrides the batches (and, with a trailing `xN`, the number of timed calls: `unet 1 x2000` for profiling).
/// gflops_effective = n · (the counted work of one image's forward, <see cref="FlopCount.UNetForward"/>) / time.
/// </summary>
public static class UNetWorkload
{
    static readonly int[] Batches = { 1, 16, 64 };

    public static void Run(string[] args)
    {
        var batches = args.Where(a => !a.StartsWith('x')).Select(int.Parse).DefaultIfEmpty().ToArray();
        if (batches is [0]) batches = Batches;
        int calls = args.FirstOrDefault(a => a.StartsWith('x')) is { } c ? int.Parse(c[1..]) : 30;
        Generator.ManualSeed(0);
        var gen = new Generator(0);
        var model = UNet.DdpmWorkload(gen: gen.Fork(1));
        model.Eval();
        double perImage = FlopCount.UNetForward(model);
        var sw = new Stopwatch();
        // a sampling run's inner step: no gradients, and the weights fixed for the run (packed once, as the samplers do)
        using (Tensor.NoGrad())
        using (FrozenWeights.Begin())
            foreach (int n in batches)
            {
                var x = Tensor.Uniform(gen, -1f, 1f, n, 1, 28, 28);
                var tv = new float[n];
                for (int i = 0; i < n; i++) tv[i] = ((999 - 20 * i) % 1000 + 1000) % 1000;
                var t = new Tensor(tv, n);
                var ms = new List<double>();
                for (int i = 0; i < 10 + calls; i++)
                {
                    sw.Restart();
                    using (TensorScope.Begin()) model.Forward(x, t);
                    if (i >= 10) ms.Add(sw.Elapsed.TotalMilliseconds);
                }
                // one more call, untimed: the managed bytes a forward allocates on the calling thread (pooled storage and cached weights reused)
                long before = GC.GetAllocatedBytesForCurrentThread();
                using (TensorScope.Begin()) model.Forward(x, t);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (Environment.GetEnvironmentVariable("NABLA_BENCH_TRACE") is { Length: > 0 })
                    Console.Error.WriteLine($"unet n={n} per-call ms: " + string.Join(" ", ms.Select(v => v.ToString("F2"))));
                double med = Emit.Median(ms);
                Emit.Line("unet", "forward_ms", med, ("n", n), ("min_ms", Math.Round(ms.Min(), 3)), ("threads", Nabla.Kernels.WorkerPool.Threads),
                    ("gflops_effective", FlopCount.Gflops(n * perImage, med / 1e3)), ("gflop_per_image", Math.Round(perImage / 1e9, 4)), ("alloc_bytes_per_call", allocated));
            }
        Emit.Line("unet", "params", model.ParameterCount());
    }
}
