using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// Fused normalization kernels over an input viewed as [N, C, L] (L = product of the trailing dimensions).
/// <para>Group form (GroupNorm, InstanceNorm = C groups, LayerNorm = [rows, D, 1] with one group): statistics per
/// (n, g) over the (C/G)·L contiguous values of the group, affine γ_c, β_c per channel.</para>
/// <para>Channel form (BatchNorm): statistics per channel c over the N·L values x[n, c, :].</para>
/// One pass computes μ and σ² together (shifted sums, float lanes flushed to double every 1,024 values), one
/// pass applies y = x̂·γ + β (optionally followed by SiLU). The backward is the closed form
/// ∂x = (1/σ)·(h − mean(h) − x̂·mean(h·x̂)) with h = g·γ over each normalization group, ∂γ = Σ g·x̂, ∂β = Σ g.
/// </summary>
public static class Normalization
{
    // ------------------------------------------------------------------ helpers

    /// <summary>Adds Σ(x − k) and Σ(x − k)² to <paramref name="s1"/>, <paramref name="s2"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ShiftedMoments(ReadOnlySpan<float> x, float k, ref double s1, ref double s2)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var vk = Vector256.Create(k);
            while (i <= x.Length - 8)
            {
                int end = Math.Min(x.Length - 8, i + 1024);
                var a1 = Vector256<float>.Zero; var a2 = Vector256<float>.Zero;
                for (; i <= end; i += 8)
                {
                    var d = Vector256.Create(x.Slice(i, 8)) - vk;
                    a1 += d;
                    a2 = Vector256.FusedMultiplyAdd(d, d, a2);
                }
                s1 += Vector256.Sum(a1); s2 += Vector256.Sum(a2);
            }
        }
        for (; i < x.Length; i++) { double d = x[i] - k; s1 += d; s2 += d * d; }
    }

    /// <summary>y = (x − μ)·a + b (subtracting μ first keeps precision for large offsets), then SiLU when asked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ScaleShift(ReadOnlySpan<float> x, Span<float> y, float mu, float a, float b, bool silu)
    {
        var loop = new ScaleShiftLoop { X = x, Y = y, Mu = mu, A = a, B = b, Silu = silu };
        FloatVectors.Run(ref loop, x.Length);
    }

    /// <summary>y = (x − μ)·a + b, then SiLU z/(1 + e^(−z)) when asked: lanes [i, i + TV.Count), once for every width.</summary>
    ref struct ScaleShiftLoop : IVectorLoop
    {
        public ReadOnlySpan<float> X;
        public Span<float> Y;
        public float Mu, A, B;
        public bool Silu;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Invoke<TV>(int i) where TV : struct, IFloatVector<TV>
        {
            int n = TV.Count;
            var z = TV.Fma(TV.Load(X.Slice(i, n)) - TV.Create(Mu), TV.Create(A), TV.Create(B));
            if (Silu) z /= TV.Create(1f) + TV.Exp(-z);
            TV.Store(z, Y.Slice(i, n));
        }
    }

    /// <summary>
    /// For one segment with x̂ = (x − μ)·r: writes g (= gy, or gy·SiLU'(x̂·γ + β) when <paramref name="silu"/>) into
    /// <paramref name="gOut"/> and returns Σg and Σg·x̂ (the latter as Σg·x − μ·Σg, times r).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SegmentGradSums(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gOut, float mu, float r,
        float gamma, float beta, bool silu, out double sumG, out double sumGXhat)
    {
        double sg = 0, sgx = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vmu = Vector256.Create(mu); var vr = Vector256.Create(r);
            var a = Vector256.Create(r * gamma); var b = Vector256.Create(beta); var one = Vector256.Create(1f);
            while (i <= x.Length - 8)
            {
                int end = Math.Min(x.Length - 8, i + 1024);
                var acc1 = Vector256<float>.Zero; var acc2 = Vector256<float>.Zero;
                for (; i <= end; i += 8)
                {
                    var xc = Vector256.Create(x.Slice(i, 8)) - vmu;
                    var g = Vector256.Create(gy.Slice(i, 8));
                    if (silu)
                    {
                        var z = Vector256.FusedMultiplyAdd(xc, a, b);
                        var s = one / (one + Vector256.Exp(-z));
                        g = g * s * (one + z * (one - s));
                        g.CopyTo(gOut.Slice(i, 8));
                    }
                    acc1 += g;
                    acc2 = Vector256.FusedMultiplyAdd(g, xc * vr, acc2);
                }
                sg += Vector256.Sum(acc1); sgx += Vector256.Sum(acc2);
            }
        }
        for (; i < x.Length; i++)
        {
            float xh = (x[i] - mu) * r;
            float g = gy[i];
            if (silu)
            {
                float z = xh * gamma + beta;
                float s = 1f / (1f + MathF.Exp(-z));
                g *= s * (1f + z * (1f - s));
                gOut[i] = g;
            }
            sg += g; sgx += (double)g * xh;
        }
        sumG = sg; sumGXhat = sgx;
    }

    /// <summary>gx = A·g + B·(x − μ) + C over a segment (the closed-form normalization backward, per channel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void LinearCombine(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> gx, float mu, float a, float b, float c)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(mu); var va = Vector256.Create(a); var vb = Vector256.Create(b); var vc = Vector256.Create(c);
            for (; i <= g.Length - 8; i += 8)
                Vector256.FusedMultiplyAdd(Vector256.Create(g.Slice(i, 8)), va,
                    Vector256.FusedMultiplyAdd(Vector256.Create(x.Slice(i, 8)) - vm, vb, vc)).CopyTo(gx.Slice(i, 8));
        }
        for (; i < g.Length; i++) gx[i] = a * g[i] + b * (x[i] - mu) + c;
    }

    static void For(int count, long work, Action<int> body)
    {
        if (work >= ParallelThresholds.RowElements && count > 1) WorkerPool.For(count, body);
        else for (int i = 0; i < count; i++) body(i);
    }

    // ------------------------------------------------------------------ group form

    /// <summary>
    /// Group normalization forward over x [n, c, l] with <paramref name="groups"/> groups of c/groups channels:
    /// μ, r = 1/√(σ² + ε) per (n, g) into <paramref name="mean"/>, <paramref name="rstd"/> [n·groups];
    /// y = (x − μ)·r·γ_c + β_c, then SiLU when <paramref name="silu"/>; the biased σ² into <paramref name="variance"/> when given.
    /// </summary>
    public static void GroupForward(float[] x, float[] y, int n, int c, int l, int groups, float[]? gamma, float[]? beta,
        float eps, float[] mean, float[] rstd, bool silu = false, float[]? variance = null)
    {
        int cpg = c / groups, m = cpg * l;
        For(n * groups, (long)n * c * l, b =>
        {
            int g = b % groups, off = b * m;
            var seg = x.AsSpan(off, m);
            double s1 = 0, s2 = 0;
            float k = m > 0 ? seg[0] : 0f;
            ShiftedMoments(seg, k, ref s1, ref s2);
            double mu = s1 / m, var = Math.Max(s2 / m - mu * mu, 0);
            float fm = (float)(k + mu), fr = (float)(1 / Math.Sqrt(var + eps));
            mean[b] = fm; rstd[b] = fr;
            if (variance != null) variance[b] = (float)var;
            if (l == 1 && !silu) { RowAffine(seg, y.AsSpan(off, m), fm, fr, gamma, beta, g * cpg); return; }
            for (int j = 0; j < cpg; j++)
            {
                int ch = g * cpg + j;
                float ga = gamma != null ? gamma[ch] : 1f, be = beta != null ? beta[ch] : 0f;
                ScaleShift(x.AsSpan(off + j * l, l), y.AsSpan(off + j * l, l), fm, fr * ga, be, silu);
            }
        });
    }

    /// <summary>
    /// Group normalization backward. Writes ∂x into <paramref name="gx"/> and, when given, per-(n, c) partial sums
    /// Σ_l g·x̂ and Σ_l g into <paramref name="gGammaPart"/>, <paramref name="gBetaPart"/> [n·c] (sum over n for ∂γ, ∂β).
    /// With <paramref name="silu"/> the SiLU after the affine is differentiated too (its input is recomputed from x).
    /// </summary>
    public static void GroupBackward(float[] x, float[] gy, int n, int c, int l, int groups, float[]? gamma, float[]? beta,
        float[] mean, float[] rstd, float[] gx, float[]? gGammaPart, float[]? gBetaPart, bool silu = false)
    {
        int cpg = c / groups, m = cpg * l;
        For(n * groups, (long)n * c * l, b =>
        {
            int g = b % groups, ni = b / groups, off = b * m;
            float mu = mean[b], r = rstd[b];
            if (l == 1 && !silu)
            {
                RowBackward(x.AsSpan(off, m), gy.AsSpan(off, m), gx.AsSpan(off, m), mu, r, gamma, g * cpg,
                    gGammaPart != null ? gGammaPart.AsSpan(ni * c + g * cpg, m) : default,
                    gBetaPart != null ? gBetaPart.AsSpan(ni * c + g * cpg, m) : default);
                return;
            }
            double sum1 = 0, sum2 = 0;
            for (int j = 0; j < cpg; j++)
            {
                int ch = g * cpg + j, so = off + j * l;
                float ga = gamma != null ? gamma[ch] : 1f, be = beta != null ? beta[ch] : 0f;
                SegmentGradSums(x.AsSpan(so, l), gy.AsSpan(so, l), gx.AsSpan(so, l), mu, r, ga, be, silu, out double sg, out double sgx);
                if (gGammaPart != null) gGammaPart[ni * c + ch] = (float)sgx;
                if (gBetaPart != null) gBetaPart[ni * c + ch] = (float)sg;
                sum1 += ga * sg; sum2 += ga * sgx;
            }
            float c1 = (float)(sum1 / m), c2 = (float)(sum2 / m);
            // gx = r·(γ·g − c1 − x̂·c2) = (rγ)·g + (−r²c2)·(x − μ) − r·c1
            float bx = -r * r * c2, cc = -r * c1;
            for (int j = 0; j < cpg; j++)
            {
                int ch = g * cpg + j, so = off + j * l;
                float ga = gamma != null ? gamma[ch] : 1f;
                ReadOnlySpan<float> gsrc = silu ? gx.AsSpan(so, l) : gy.AsSpan(so, l);
                LinearCombine(gsrc, x.AsSpan(so, l), gx.AsSpan(so, l), mu, r * ga, bx, cc);
            }
        });
    }

    // ------------------------------------------------------------------ row form (L = 1: layer norm)

    /// <summary>y_j = (x_j − μ)·r·γ_{c0+j} + β_{c0+j}, vectorized over the row (per-element affine).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RowAffine(ReadOnlySpan<float> x, Span<float> y, float mu, float r, float[]? gamma, float[]? beta, int c0)
    {
        int i = 0, n = x.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(mu); var vr = Vector256.Create(r);
            for (; i <= n - 8; i += 8)
            {
                var v = (Vector256.Create(x.Slice(i, 8)) - vm) * vr;
                if (gamma != null) v *= Vector256.Create(gamma.AsSpan(c0 + i, 8));
                if (beta != null) v += Vector256.Create(beta.AsSpan(c0 + i, 8));
                v.CopyTo(y.Slice(i, 8));
            }
        }
        for (; i < n; i++)
            y[i] = (x[i] - mu) * r * (gamma != null ? gamma[c0 + i] : 1f) + (beta != null ? beta[c0 + i] : 0f);
    }

    /// <summary>
    /// Row backward: h = g·γ, gx = r·(h − mean(h) − x̂·mean(h·x̂)); per-element partials g·x̂ and g for ∂γ, ∂β.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RowBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx, float mu, float r, float[]? gamma, int c0,
        Span<float> gGammaPart, Span<float> gBetaPart)
    {
        int n = x.Length;
        double s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++)
        {
            float xh = (x[i] - mu) * r, g = gy[i], h = gamma != null ? g * gamma[c0 + i] : g;
            if (!gGammaPart.IsEmpty) gGammaPart[i] = g * xh;
            if (!gBetaPart.IsEmpty) gBetaPart[i] = g;
            s1 += h; s2 += (double)h * xh;
        }
        float c1 = (float)(s1 / n), c2 = (float)(s2 / n);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(mu); var vr = Vector256.Create(r); var v1 = Vector256.Create(c1); var v2 = Vector256.Create(c2);
            for (; j <= n - 8; j += 8)
            {
                var h = Vector256.Create(gy.Slice(j, 8));
                if (gamma != null) h *= Vector256.Create(gamma.AsSpan(c0 + j, 8));
                var xh = (Vector256.Create(x.Slice(j, 8)) - vm) * vr;
                (vr * (h - v1 - xh * v2)).CopyTo(gx.Slice(j, 8));
            }
        }
        for (; j < n; j++)
        {
            float h = gamma != null ? gy[j] * gamma[c0 + j] : gy[j];
            gx[j] = r * (h - c1 - (x[j] - mu) * r * c2);
        }
    }

    // ------------------------------------------------------------------ channel form (batch norm)

    /// <summary>Per-channel batch mean and biased variance of x [n, c, l] over n and l (double accumulation).</summary>
    public static void ChannelMoments(float[] x, int n, int c, int l, float[] mean, float[] var)
    {
        For(c, (long)n * c * l, ch =>
        {
            double s1 = 0, s2 = 0;
            float k = n * l > 0 ? x[ch * l] : 0f;
            for (int i = 0; i < n; i++) ShiftedMoments(x.AsSpan((i * c + ch) * l, l), k, ref s1, ref s2);
            long cnt = (long)n * l;
            double mu = s1 / cnt;
            mean[ch] = (float)(k + mu);
            var[ch] = (float)Math.Max(s2 / cnt - mu * mu, 0);
        });
    }

    /// <summary>y = (x − μ_c)·r_c·γ_c + β_c for x [n, c, l].</summary>
    public static void ChannelNormalize(float[] x, float[] y, int n, int c, int l, float[] mean, float[] rstd, float[]? gamma, float[]? beta)
    {
        For(c, (long)n * c * l, ch =>
        {
            float a = rstd[ch] * (gamma != null ? gamma[ch] : 1f), mu = mean[ch];
            float b = beta != null ? beta[ch] : 0f;
            for (int i = 0; i < n; i++) ScaleShift(x.AsSpan((i * c + ch) * l, l), y.AsSpan((i * c + ch) * l, l), mu, a, b, false);
        });
    }

    /// <summary>
    /// Batch-norm backward for x [n, c, l]. With <paramref name="batchStats"/> the statistics came from this batch
    /// (∂x = r·γ·(g − mean(g) − x̂·mean(g·x̂)) over n, l); otherwise they were constants (running statistics: ∂x = r·γ·g).
    /// ∂γ_c = Σ g·x̂, ∂β_c = Σ g go to <paramref name="gGamma"/>, <paramref name="gBeta"/> [c] when given.
    /// </summary>
    public static void ChannelBackward(float[] x, float[] gy, int n, int c, int l, float[] mean, float[] rstd, float[]? gamma,
        bool batchStats, float[]? gx, float[]? gGamma, float[]? gBeta)
    {
        For(c, (long)n * c * l, ch =>
        {
            float mu = mean[ch], r = rstd[ch], ga = gamma != null ? gamma[ch] : 1f;
            double sg = 0, sgx = 0;
            for (int i = 0; i < n; i++)
            {
                int so = (i * c + ch) * l;
                SegmentGradSums(x.AsSpan(so, l), gy.AsSpan(so, l), default, mu, r, 1f, 0f, false, out double a, out double b);
                sg += a; sgx += b;
            }
            if (gGamma != null) gGamma[ch] = (float)sgx;
            if (gBeta != null) gBeta[ch] = (float)sg;
            if (gx == null) return;
            long cnt = (long)n * l;
            float ax = r * ga, bx = 0, cc = 0;
            if (batchStats)
            {
                float c1 = (float)(sg / cnt) * ga, c2 = (float)(sgx / cnt) * ga;
                bx = -r * r * c2; cc = -r * c1;
            }
            for (int i = 0; i < n; i++)
            {
                int so = (i * c + ch) * l;
                LinearCombine(gy.AsSpan(so, l), x.AsSpan(so, l), gx.AsSpan(so, l), mu, ax, bx, cc);
            }
        });
    }
}
