using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Bench;

/// <summary>
/// peak: what the silicon allows. Each thread (a dedicated one, not the pool's) runs a register-only loop of
/// independent fused multiply-add chains acc_j ← acc_j·a + b at the widest native vector width (Vector512 when
/// accelerated, else Vector256 with FMA, else Vector128). The chains cover FMA latency × pipes (4 cycles × 2 on
/// current x86 = 8 in flight) with room to spare while staying in registers with the two constants: 16 chains in
/// the 32 zmm registers, 12 in the 16 ymm/xmm ones. GFLOPS = threads · iterations · chains · lanes · 2 / wall time;
/// median of 7 runs of ≈ 0.25 s, one line per thread count (1 and 2).
/// </summary>
public static class PeakWorkload
{
    public static void Run(string[] args)
    {
        var (bits, fma, chains, loop) = Widest();
        double flopsPerIter = chains * (bits / 32) * 2.0;
        loop(1000);                                              // JIT and clocks up
        long iters = 1_000_000;
        var sw = Stopwatch.StartNew();
        loop(iters);
        iters = Math.Max(iters, (long)(iters * 0.25 / sw.Elapsed.TotalSeconds));  // ≈ 0.25 s per run
        foreach (int threads in new[] { 1, 2 })
        {
            var gflops = new List<double>();
            for (int r = 0; r < 7; r++) gflops.Add(threads * iters * flopsPerIter / OnThreads(threads, loop, iters) / 1e9);
            Emit.Line("peak", "gflops", Emit.Median(gflops), ("threads", threads), ("max_gflops", Math.Round(gflops.Max(), 2)),
                ("vector_bits", bits), ("fma", fma), ("chains", chains), ("iterations", iters));
        }
    }

    /// <summary>Wall time of <paramref name="threads"/> dedicated threads running the loop together (released at once).</summary>
    static double OnThreads(int threads, Func<long, float> loop, long iters)
    {
        using var start = new Barrier(threads + 1);
        var sink = new float[threads];
        var ts = Enumerable.Range(0, threads).Select(i => new Thread(() => { start.SignalAndWait(); sink[i] = loop(iters); }) { IsBackground = true }).ToList();
        foreach (var t in ts) t.Start();
        start.SignalAndWait();
        var sw = Stopwatch.StartNew();
        foreach (var t in ts) t.Join();
        double s = sw.Elapsed.TotalSeconds;
        if (sink.Any(float.IsNaN)) throw new InvalidOperationException("peak: the FMA chains diverged");
        return s;
    }

    static (int bits, bool fma, int chains, Func<long, float> loop) Widest()
    {
        if (Vector512.IsHardwareAccelerated) return (512, true, 16, Loop512);
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported) return (256, true, 12, Loop256);
        return Fma.IsSupported || AdvSimd.IsSupported ? (128, true, 12, Loop128) : (128, false, 12, Loop128MulAdd);
    }

    // The loops are the same code at three widths: acc_j = acc_j·a + b for 16 or 12 chains, a < 1 so the chains
    // converge to b / (1 − a) (no overflow, no denormals). The sum returned keeps the JIT from dropping the work.

    [MethodImpl(MethodImplOptions.NoInlining)]
    static float Loop512(long iters)
    {
        Vector512<float> a = Vector512.Create(0.999f), b = Vector512.Create(0.001f);
        Vector512<float> c0 = Vector512.Create(0.0f), c1 = Vector512.Create(0.1f), c2 = Vector512.Create(0.2f), c3 = Vector512.Create(0.3f);
        Vector512<float> c4 = Vector512.Create(0.4f), c5 = Vector512.Create(0.5f), c6 = Vector512.Create(0.6f), c7 = Vector512.Create(0.7f);
        Vector512<float> c8 = Vector512.Create(0.8f), c9 = Vector512.Create(0.9f), c10 = Vector512.Create(1.0f), c11 = Vector512.Create(1.1f);
        Vector512<float> c12 = Vector512.Create(1.2f), c13 = Vector512.Create(1.3f), c14 = Vector512.Create(1.4f), c15 = Vector512.Create(1.5f);
        for (long i = 0; i < iters; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b); c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b); c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
            c12 = Vector512.FusedMultiplyAdd(c12, a, b); c13 = Vector512.FusedMultiplyAdd(c13, a, b);
            c14 = Vector512.FusedMultiplyAdd(c14, a, b); c15 = Vector512.FusedMultiplyAdd(c15, a, b);
        }
        return Vector512.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15)));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static float Loop256(long iters)
    {
        Vector256<float> a = Vector256.Create(0.999f), b = Vector256.Create(0.001f);
        Vector256<float> c0 = Vector256.Create(0.0f), c1 = Vector256.Create(0.1f), c2 = Vector256.Create(0.2f), c3 = Vector256.Create(0.3f);
        Vector256<float> c4 = Vector256.Create(0.4f), c5 = Vector256.Create(0.5f), c6 = Vector256.Create(0.6f), c7 = Vector256.Create(0.7f);
        Vector256<float> c8 = Vector256.Create(0.8f), c9 = Vector256.Create(0.9f), c10 = Vector256.Create(1.0f), c11 = Vector256.Create(1.1f);
        for (long i = 0; i < iters; i++)
        {
            c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b);
            c2 = Fma.MultiplyAdd(c2, a, b); c3 = Fma.MultiplyAdd(c3, a, b);
            c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b);
            c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b);
            c8 = Fma.MultiplyAdd(c8, a, b); c9 = Fma.MultiplyAdd(c9, a, b);
            c10 = Fma.MultiplyAdd(c10, a, b); c11 = Fma.MultiplyAdd(c11, a, b);
        }
        return Vector256.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }

    /// <summary>Vector128 with a fused multiply-add (x86 FMA without AVX2, Arm AdvSimd).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static float Loop128(long iters)
    {
        Vector128<float> a = Vector128.Create(0.999f), b = Vector128.Create(0.001f);
        Vector128<float> c0 = Vector128.Create(0.0f), c1 = Vector128.Create(0.1f), c2 = Vector128.Create(0.2f), c3 = Vector128.Create(0.3f);
        Vector128<float> c4 = Vector128.Create(0.4f), c5 = Vector128.Create(0.5f), c6 = Vector128.Create(0.6f), c7 = Vector128.Create(0.7f);
        Vector128<float> c8 = Vector128.Create(0.8f), c9 = Vector128.Create(0.9f), c10 = Vector128.Create(1.0f), c11 = Vector128.Create(1.1f);
        for (long i = 0; i < iters; i++)
        {
            c0 = Vector128.FusedMultiplyAdd(c0, a, b); c1 = Vector128.FusedMultiplyAdd(c1, a, b);
            c2 = Vector128.FusedMultiplyAdd(c2, a, b); c3 = Vector128.FusedMultiplyAdd(c3, a, b);
            c4 = Vector128.FusedMultiplyAdd(c4, a, b); c5 = Vector128.FusedMultiplyAdd(c5, a, b);
            c6 = Vector128.FusedMultiplyAdd(c6, a, b); c7 = Vector128.FusedMultiplyAdd(c7, a, b);
            c8 = Vector128.FusedMultiplyAdd(c8, a, b); c9 = Vector128.FusedMultiplyAdd(c9, a, b);
            c10 = Vector128.FusedMultiplyAdd(c10, a, b); c11 = Vector128.FusedMultiplyAdd(c11, a, b);
        }
        return Vector128.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }

    /// <summary>Vector128 without a fused multiply-add: a multiply and an add (still 2 flops). A separate method: the dead
    /// branch of a shared one kept the JIT from keeping the chains in registers.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static float Loop128MulAdd(long iters)
    {
        Vector128<float> a = Vector128.Create(0.999f), b = Vector128.Create(0.001f);
        Vector128<float> c0 = Vector128.Create(0.0f), c1 = Vector128.Create(0.1f), c2 = Vector128.Create(0.2f), c3 = Vector128.Create(0.3f);
        Vector128<float> c4 = Vector128.Create(0.4f), c5 = Vector128.Create(0.5f), c6 = Vector128.Create(0.6f), c7 = Vector128.Create(0.7f);
        Vector128<float> c8 = Vector128.Create(0.8f), c9 = Vector128.Create(0.9f), c10 = Vector128.Create(1.0f), c11 = Vector128.Create(1.1f);
        for (long i = 0; i < iters; i++)
        {
            c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b;
            c4 = c4 * a + b; c5 = c5 * a + b; c6 = c6 * a + b; c7 = c7 * a + b;
            c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
        }
        return Vector128.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }
}
