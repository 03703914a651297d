using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Nabla.Kernels;

namespace Nabla.Probabilistic;

/// <summary>
/// One pass of a <see cref="GaussianMixture"/> over the data (feature-major, d×n): for every point the E-step
/// log π_k + log N(x_i | μ_k, Σ_k) = −½‖(x_i − μ_k)U_k‖² + log π_k + log|U_k| − ½ d log 2π, the responsibilities
/// r_ik and log p(x_i) by log-sum-exp, and optionally the M-step statistics Σ_i r_ik, Σ_i r_ik (x_i − μ_k) and
/// Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ. Points go through the kernels in blocks of <see cref="Block"/>; chunks of
/// <see cref="Chunk"/> points run in parallel, each into its own statistics slot, summed in chunk order afterwards,
/// so the result does not depend on the number of threads.
/// </summary>
internal static class MixturePass
{
    public const int Block = 128, Chunk = 4096;

    /// <summary>Per-chunk statistics and log-likelihoods, and their totals (per component: Σr, Σr(x−μ), Σr(x−μ)(x−μ)ᵀ).</summary>
    public sealed class Workspace
    {
        public readonly int Chunks, Slot;
        public readonly double[] ChunkStats, ChunkLl, Totals;
        public Workspace(int n, int d, int K)
        {
            Chunks = (n + Chunk - 1) / Chunk;
            Slot = 1 + d + d * d;
            ChunkStats = new double[Chunks * K * Slot];
            ChunkLl = new double[Chunks];
            Totals = new double[K * Slot];
        }
    }

    /// <summary>
    /// The E-step for every point; optionally the M-step statistics (into ws.Totals), log p(x_i)
    /// (<paramref name="lpnOut"/>, n) and responsibilities (<paramref name="respOut"/>, n×K). Returns Σ_i log p(x_i).
    /// </summary>
    public static double Run(double[] xt, int n, MixtureParameters p, Workspace ws, bool accumulate, double[]? lpnOut, double[]? respOut)
    {
        int d = p.D, K = p.K;
        if (accumulate) Array.Clear(ws.ChunkStats);
        long work = (long)n * K * d * (p.Model.DiagonalOnly ? 1 : d);
        Nabla.Kernels.WorkerPool.For(ws.Chunks, work, Nabla.Kernels.ParallelThresholds.DoubleWork, ch => RunChunk(ch, xt, n, p, ws, accumulate, lpnOut, respOut));
        double total = 0;
        for (int c = 0; c < ws.Chunks; c++) total += ws.ChunkLl[c];
        if (accumulate)
        {
            int size = K * ws.Slot;
            Array.Clear(ws.Totals);
            for (int c = 0; c < ws.Chunks; c++)
                TensorPrimitives.Add(ws.Totals, ws.ChunkStats.AsSpan(c * size, size), ws.Totals);
        }
        return total;
    }

    /// <summary>Runs <paramref name="body"/> for chunks 0…chunks−1, on all cores when <paramref name="parallel"/>.</summary>
    static void RunChunk(int ch, double[] xt, int n, MixtureParameters p, Workspace ws, bool accumulate, double[]? lpnOut, double[]? respOut)
    {
        int d = p.D, K = p.K, slot = ws.Slot;
        bool diagOnly = p.Model.DiagonalOnly;
        double logTwoPiHalf = 0.5 * d * Math.Log(2 * Math.PI);
        int start = ch * Chunk, end = Math.Min(n, start + Chunk);
        int need = K * Block + 2 * Block + 2 * d * Block;
        var buf = ArrayPool<double>.Shared.Rent(need);
        try
        {
            var wlp = buf.AsSpan(0, K * Block);
            var lpn = buf.AsSpan(K * Block + Block, Block);
            var scratch = buf.AsSpan(K * Block + 2 * Block, 2 * d * Block);
            var stats = accumulate ? ws.ChunkStats.AsSpan(ch * K * slot, K * slot) : default;
            double ll = 0;
            for (int b = start; b < end; b += Block)
            {
                int cnt = Math.Min(Block, end - b);
                ReadOnlySpan<double> xb = xt.AsSpan(b);
                for (int k = 0; k < K; k++)
                {
                    var row = wlp.Slice(k * Block, cnt);
                    p.Model.SquaredNorms(xb, n, cnt, p, k, row);
                    // log π_k + log N = −½ maha + (log π_k + log|U_k| − ½ d log 2π)
                    AffineInPlace(row, -0.5, p.LogW[k] + p.LogDet[k] - logTwoPiHalf);
                }
                // responsibilities r = exp(wlp − max) / Σ exp(wlp − max); log p(x) = max + log Σ
                var se = lpn[..cnt];
                DoubleMath.SoftmaxColumns(wlp, K, Block, cnt, se);
                ll += TensorPrimitives.Sum(se);
                if (lpnOut != null) se.CopyTo(lpnOut.AsSpan(b, cnt));
                if (respOut != null)
                    for (int k = 0; k < K; k++)
                    {
                        var row = wlp.Slice(k * Block, cnt);
                        for (int i = 0; i < cnt; i++) respOut[(long)(b + i) * K + k] = row[i];
                    }
                if (accumulate)
                    for (int k = 0; k < K; k++)
                    {
                        var s = stats.Slice(k * slot, slot);
                        s[0] += DoubleLinalg.AccumulateWeightedScatter(xb, n, cnt, d, wlp.Slice(k * Block, cnt), p.Mu.AsSpan(k * d, d),
                            s.Slice(1, d), s.Slice(1 + d, d * d), diagOnly, scratch);
                    }
            }
            ws.ChunkLl[ch] = ll;
        }
        finally { ArrayPool<double>.Shared.Return(buf); }
    }

    /// <summary>v ← a·v + b.</summary>
    static void AffineInPlace(Span<double> v, double a, double b)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(v);
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= v.Length - 4; i += 4)
                DoubleLinalg.Fma(Vector256.LoadUnsafe(ref r, (nuint)i), va, vb).StoreUnsafe(ref r, (nuint)i);
        }
        for (; i < v.Length; i++) v[i] = a * v[i] + b;
    }
}
