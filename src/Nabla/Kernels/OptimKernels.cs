using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>Fused optimizer updates: one pass over parameter, gradient and state (Vector256 lanes, scalar tail).</summary>
public static class OptimKernels
{
    /// <summary>
    /// One Adam step, in PyTorch's order: g ← ±g + λ·p (L2 decay λ), m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²,
    /// v̂ = max(v̂, v) with AMSGrad (<paramref name="vmax"/> non-empty), p ← p − stepSize·m / (√v̂ / √bias2 + ε)
    /// where stepSize = lr / (1 − β1ᵗ) and bias2Sqrt = √(1 − β2ᵗ).
    /// </summary>
    /// <summary>
    /// <see cref="AdamStep"/> over whole arrays, in chunks shared between the cores when the parameter is large
    /// (the update is element-wise, so the result is the same bit for bit).
    /// </summary>
    public static void AdamStepArrays(float[] p, float[] g, float[] m, float[] v, float[]? vmax,
        double beta1, double beta2, float l2, float stepSize, float bias2Sqrt, float eps, bool maximize)
    {
        const int Chunk = ParallelThresholds.OptimChunk;
        int n = p.Length, chunks = (n + Chunk - 1) / Chunk;
        if (n < ParallelThresholds.OptimElements) { AdamStep(p, g, m, v, vmax ?? default(Span<float>), beta1, beta2, l2, stepSize, bias2Sqrt, eps, maximize); return; }
        WorkerPool.For(chunks, c =>
        {
            int s = c * Chunk, len = Math.Min(Chunk, n - s);
            AdamStep(p.AsSpan(s, len), g.AsSpan(s, len), m.AsSpan(s, len), v.AsSpan(s, len), vmax == null ? default : vmax.AsSpan(s, len),
                beta1, beta2, l2, stepSize, bias2Sqrt, eps, maximize);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AdamStep(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vmax,
        double beta1, double beta2, float l2, float stepSize, float bias2Sqrt, float eps, bool maximize)
    {
        // coefficients rounded from double, as PyTorch (1 − (float)0.999 would be off by 1e-5 relative)
        float b1f = (float)beta1, c1f = (float)(1 - beta1), b2f = (float)beta2, c2f = (float)(1 - beta2);
        bool ams = !vmax.IsEmpty;
        float sign = maximize ? -1f : 1f;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // the same operations as the Vector256 loop below, 16 lanes at a time (identical results)
            var b1 = Vector512.Create(b1f); var c1 = Vector512.Create(c1f);
            var b2 = Vector512.Create(b2f); var c2 = Vector512.Create(c2f);
            var vl2 = Vector512.Create(l2); var vs = Vector512.Create(-stepSize); var vb = Vector512.Create(bias2Sqrt);
            var ve = Vector512.Create(eps); var vsign = Vector512.Create(sign);
            for (; i <= p.Length - 16; i += 16)
            {
                var pv = Vector512.Create(p.Slice(i, 16));
                var gv = Vector512.Create(g.Slice(i, 16)) * vsign;
                if (l2 != 0) gv = Vector512.FusedMultiplyAdd(pv, vl2, gv);
                var mv = Vector512.FusedMultiplyAdd(Vector512.Create(m.Slice(i, 16)), b1, gv * c1);
                var vv = Vector512.FusedMultiplyAdd(Vector512.Create(v.Slice(i, 16)), b2, gv * gv * c2);
                mv.CopyTo(m.Slice(i, 16)); vv.CopyTo(v.Slice(i, 16));
                if (ams) { vv = Vector512.Max(Vector512.Create(vmax.Slice(i, 16)), vv); vv.CopyTo(vmax.Slice(i, 16)); }
                var denom = Vector512.Sqrt(vv) / vb + ve;
                Vector512.FusedMultiplyAdd(vs, mv / denom, pv).CopyTo(p.Slice(i, 16));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var b1 = Vector256.Create(b1f); var c1 = Vector256.Create(c1f);
            var b2 = Vector256.Create(b2f); var c2 = Vector256.Create(c2f);
            var vl2 = Vector256.Create(l2); var vs = Vector256.Create(-stepSize); var vb = Vector256.Create(bias2Sqrt);
            var ve = Vector256.Create(eps); var vsign = Vector256.Create(sign);
            for (; i <= p.Length - 8; i += 8)
            {
                var pv = Vector256.Create(p.Slice(i, 8));
                var gv = Vector256.Create(g.Slice(i, 8)) * vsign;
                if (l2 != 0) gv = Vector256.FusedMultiplyAdd(pv, vl2, gv);
                var mv = Vector256.FusedMultiplyAdd(Vector256.Create(m.Slice(i, 8)), b1, gv * c1);
                var vv = Vector256.FusedMultiplyAdd(Vector256.Create(v.Slice(i, 8)), b2, gv * gv * c2);
                mv.CopyTo(m.Slice(i, 8)); vv.CopyTo(v.Slice(i, 8));
                if (ams) { vv = Vector256.Max(Vector256.Create(vmax.Slice(i, 8)), vv); vv.CopyTo(vmax.Slice(i, 8)); }
                var denom = Vector256.Sqrt(vv) / vb + ve;
                Vector256.FusedMultiplyAdd(vs, mv / denom, pv).CopyTo(p.Slice(i, 8));
            }
        }
        for (; i < p.Length; i++)
        {
            float gi = sign * g[i];
            if (l2 != 0) gi += l2 * p[i];
            float mi = b1f * m[i] + c1f * gi;
            float vi = b2f * v[i] + c2f * gi * gi;
            m[i] = mi; v[i] = vi;
            if (ams) { vi = MathF.Max(vmax[i], vi); vmax[i] = vi; }
            p[i] -= stepSize * (mi / (MathF.Sqrt(vi) / bias2Sqrt + eps));
        }
    }

    /// <summary>
    /// One SGD step in PyTorch's order: d = ±g + λ·p; with momentum μ: b ← μ·b + (1 − dampening)·d (b ← d on the first
    /// step, <paramref name="firstStep"/>), d = d + μ·b (Nesterov) or d = b; p ← p − lr·d.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SgdStep(Span<float> p, ReadOnlySpan<float> g, Span<float> buf, float lr, float weightDecay, float momentum,
        float dampening, bool nesterov, bool firstStep, bool maximize)
    {
        float undamp = 1 - dampening;
        float sign = maximize ? -1f : 1f;
        bool mom = momentum != 0;
        for (int i = 0; i < p.Length; i++)
        {
            float d = sign * g[i];
            if (weightDecay != 0) d += weightDecay * p[i];
            if (mom)
            {
                float b = firstStep ? d : momentum * buf[i] + undamp * d;
                buf[i] = b;
                d = nesterov ? d + momentum * b : b;
            }
            p[i] -= lr * d;
        }
    }
}
