using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>Fused optimizer updates: one pass over parameter, gradient and state (the widest native vectors, then narrower, then a scalar tail).</summary>
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
        var loop = new AdamLoop
        {
            P = p, G = g, M = m, V = v, VMax = vmax, Ams = ams, L2 = l2, Sign = sign, B1 = b1f, C1 = c1f, B2 = b2f, C2 = c2f,
            NegStep = -stepSize, Bias2Sqrt = bias2Sqrt, Eps = eps,
        };
        FloatVectors.Run(ref loop, p.Length);
    }

    /// <summary>The Adam update of lanes [i, i + TV.Count), written once for every vector width (and the scalar tail).</summary>
    ref struct AdamLoop : IVectorLoop
    {
        public Span<float> P, M, V, VMax;
        public ReadOnlySpan<float> G;
        public bool Ams;
        public float L2, Sign, B1, C1, B2, C2, NegStep, Bias2Sqrt, Eps;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Invoke<TV>(int i) where TV : struct, IFloatVector<TV>
        {
            int n = TV.Count;
            var pv = TV.Load(P.Slice(i, n));
            var gv = TV.Load(G.Slice(i, n)) * TV.Create(Sign);
            if (L2 != 0) gv = TV.Fma(pv, TV.Create(L2), gv);
            var mv = TV.Fma(TV.Load(M.Slice(i, n)), TV.Create(B1), gv * TV.Create(C1));
            var vv = TV.Fma(TV.Load(V.Slice(i, n)), TV.Create(B2), gv * gv * TV.Create(C2));
            TV.Store(mv, M.Slice(i, n)); TV.Store(vv, V.Slice(i, n));
            if (Ams) { vv = TV.Max(TV.Load(VMax.Slice(i, n)), vv); TV.Store(vv, VMax.Slice(i, n)); }
            var denom = TV.Sqrt(vv) / TV.Create(Bias2Sqrt) + TV.Create(Eps);
            TV.Store(TV.Fma(TV.Create(NegStep), mv / denom, pv), P.Slice(i, n));
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
