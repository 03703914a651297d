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
        CheckAgainstPyTorch();
    }

    /// <summary>
    /// max |ε̂_Nabla − ε̂_PyTorch| on the batch of 16 that ref/unet.py writes to $BENCH_DATA/unet_check.bin (int32 n,
    /// x [n, 1, 28, 28] float32, t [n] int64, ε̂ [n, 1, 28, 28] float32) when an earlier reference run left it there;
    /// Nabla loads the weights PyTorch initialises from seed 0 from the project's fixture (tests/fixtures/ddpm_unet.safetensors,
    /// written by ref/ddpm.py --dump-fixture), so both sides run the same network.
    /// </summary>
    static void CheckAgainstPyTorch()
    {
        const string fixture = "tests/fixtures/ddpm_unet.safetensors";
        if (!File.Exists(fixture)) { Console.Error.WriteLine($"unet: no {fixture} (run from the project's root): max_abs_diff_vs_pytorch not measured"); return; }
        var model = UNet.DdpmWorkload(gen: new Generator(0));
        var weights = Nabla.IO.SafeTensors.LoadStateDict(fixture).Where(p => !p.Key.StartsWith("input.") && !p.Key.StartsWith("output.")).ToDictionary(p => p.Key, p => p.Value);
        model.LoadStateDict(weights, strict: true);
        model.Eval();
        var path = Path.Combine(Environment.GetEnvironmentVariable("BENCH_DATA") ?? "/tmp/bench-data", "unet_check.bin");
        if (!File.Exists(path)) { Console.Error.WriteLine($"unet: no {path} (ref/unet.py writes it): max_abs_diff_vs_pytorch not measured"); return; }
        using var r = new BinaryReader(File.OpenRead(path));
        int n = r.ReadInt32(), per = 28 * 28;
        if (n < 1 || n > 4096 || r.BaseStream.Length != 4 + (long)n * (2 * per * 4 + 8))
        {
            Console.Error.WriteLine($"unet: {path} is not a check file of the expected layout; max_abs_diff_vs_pytorch not measured");
            return;
        }
        var x = new float[n * per]; var t = new float[n]; var want = new float[n * per];
        for (int i = 0; i < x.Length; i++) x[i] = r.ReadSingle();
        for (int i = 0; i < n; i++) t[i] = r.ReadInt64();
        for (int i = 0; i < want.Length; i++) want[i] = r.ReadSingle();
        float[] got;
        using (Tensor.NoGrad())
        using (TensorScope.Begin()) got = model.Forward(new Tensor(x, n, 1, 28, 28), new Tensor(t, n)).ToArray();
        double diff = 0;
        for (int i = 0; i < got.Length; i++) diff = Math.Max(diff, Math.Abs(got[i] - want[i]));
        Emit.Line("unet", "max_abs_diff_vs_pytorch", diff, ("images", n));
    }
}
