using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// Small dense double-precision linear algebra over row-major spans: Cholesky A = L·Lᵀ, triangular solves,
/// the inverse of a triangular factor, and blocked, vectorized accumulations of Gram/scatter matrices
/// (the SYRK-like products Xᵀ·diag(w)·X). Meant for the d×d matrices of Gaussian models and the normal
/// equations of least squares (d up to a few hundred); no tensors, no allocation.
/// </summary>
public static class DoubleLinalg
{
    /// <summary>
    /// In-place Cholesky factorization of the symmetric positive-definite n×n matrix <paramref name="a"/>
    /// (only its lower triangle is read): on success a holds L (lower, upper triangle zeroed) with A = L·Lᵀ
    /// and the result is −1; otherwise the index of the first pivot that is not positive (a is then garbage).
    /// </summary>
    public static int TryCholesky(Span<double> a, int n)
    {
        if (a.Length < n * n) throw new ArgumentException($"DoubleLinalg.TryCholesky: span of {a.Length} < n² = {n * n}");
        for (int j = 0; j < n; j++)
        {
            var rj = a.Slice(j * n, n);
            double s = rj[j] - Dot(rj[..j], rj[..j]);
            if (!(s > 0) || double.IsNaN(s) || double.IsInfinity(s)) return j;
            double ljj = Math.Sqrt(s);
            rj[j] = ljj;
            double inv = 1.0 / ljj;
            for (int i = j + 1; i < n; i++)
            {
                var ri = a.Slice(i * n, n);
                ri[j] = (ri[j] - Dot(ri[..j], rj[..j])) * inv;
            }
            rj[(j + 1)..].Clear();
        }
        return -1;
    }

    /// <summary>Cholesky A = L·Lᵀ in place; throws <see cref="ArgumentException"/> naming <paramref name="what"/> when A is not positive definite.</summary>
    public static void Cholesky(Span<double> a, int n, string what = "matrix")
    {
        int bad = TryCholesky(a, n);
        if (bad >= 0) throw new ArgumentException($"Cholesky: the {what} ({n}×{n}) is not positive definite (pivot {bad} ≤ 0)");
    }

    /// <summary>Solves L·x = b in place (forward substitution), L lower triangular n×n.</summary>
    public static void SolveLower(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (int i = 0; i < n; i++)
            b[i] = (b[i] - Dot(l.Slice(i * n, i), b[..i])) / l[i * n + i];
    }

    /// <summary>Solves Lᵀ·x = b in place (back substitution), L lower triangular n×n.</summary>
    public static void SolveLowerTransposed(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
            b[i] = s / l[i * n + i];
        }
    }

    /// <summary>Solves A·x = b in place given the Cholesky factor L of A (A = L·Lᵀ).</summary>
    public static void CholeskySolve(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        SolveLower(l, n, b);
        SolveLowerTransposed(l, n, b);
    }

    /// <summary>inv = L⁻¹ (lower triangular) for a lower-triangular L with a nonzero diagonal.</summary>
    public static void InvertLower(ReadOnlySpan<double> l, int n, Span<double> inv)
    {
        inv[..(n * n)].Clear();
        for (int j = 0; j < n; j++)
        {
            // column j of L⁻¹: solve L·x = e_j (x_i = 0 for i < j)
            inv[j * n + j] = 1.0 / l[j * n + j];
            for (int i = j + 1; i < n; i++)
            {
                double s = 0;
                for (int k = j; k < i; k++) s += l[i * n + k] * inv[k * n + j];
                inv[i * n + j] = -s / l[i * n + i];
            }
        }
    }

    /// <summary>log det A = 2 Σ log L_ii from the Cholesky factor L of A.</summary>
    public static double LogDetFromCholesky(ReadOnlySpan<double> l, int n)
    {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.Log(l[i * n + i]);
        return 2 * s;
    }

    /// <summary>Σ a_i b_i (vectorized, four accumulators).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length, i = 0;
        double s = 0;
        if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            ref double ra = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
            ref double rb = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
            Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i <= n - 16; i += 16)
            {
                s0 = Fma(Vector256.LoadUnsafe(ref ra, (nuint)i), Vector256.LoadUnsafe(ref rb, (nuint)i), s0);
                s1 = Fma(Vector256.LoadUnsafe(ref ra, (nuint)i + 4), Vector256.LoadUnsafe(ref rb, (nuint)i + 4), s1);
                s2 = Fma(Vector256.LoadUnsafe(ref ra, (nuint)i + 8), Vector256.LoadUnsafe(ref rb, (nuint)i + 8), s2);
                s3 = Fma(Vector256.LoadUnsafe(ref ra, (nuint)i + 12), Vector256.LoadUnsafe(ref rb, (nuint)i + 12), s3);
            }
            s = Vector256.Sum((s0 + s1) + (s2 + s3));
        }
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>
    /// Scatter accumulation over a block of points stored column-wise (feature j of point i at x[j·ldx + i]):
    /// for every j ≤ l, <c>acc[j·d + l] += Σ_i w_i (x_ji − c_j)(x_li − c_l)</c> and <c>sum[j] += Σ_i w_i (x_ji − c_j)</c>;
    /// returns Σ_i w_i. With <paramref name="diagonalOnly"/> only acc[j·d + j] is accumulated.
    /// <paramref name="scratch"/> needs 2·d·count doubles. This is the M-step's Xᵀ·diag(r)·X, centered at c.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double AccumulateWeightedScatter(ReadOnlySpan<double> x, int ldx, int count, int d,
        ReadOnlySpan<double> w, ReadOnlySpan<double> center, Span<double> sum, Span<double> acc, bool diagonalOnly, Span<double> scratch)
    {
        if (scratch.Length < 2 * d * count) throw new ArgumentException($"DoubleLinalg.AccumulateWeightedScatter: scratch of {scratch.Length} < 2·d·count = {2 * d * count}");
        var diff = scratch[..(d * count)];
        var wdiff = scratch.Slice(d * count, d * count);
        double wsum = System.Numerics.Tensors.TensorPrimitives.Sum(w[..count]);
        ref double rw = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w);
        for (int j = 0; j < d; j++)
        {
            ref double rx = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x.Slice(j * ldx, count));
            ref double rd = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(diff.Slice(j * count, count));
            ref double rwd = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(wdiff.Slice(j * count, count));
            double cj = center[j], s = 0;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vc = Vector256.Create(cj);
                Vector256<double> vs = default;
                for (; i <= count - 4; i += 4)
                {
                    var t = Vector256.LoadUnsafe(ref rx, (nuint)i) - vc;
                    var wt = t * Vector256.LoadUnsafe(ref rw, (nuint)i);
                    t.StoreUnsafe(ref rd, (nuint)i);
                    wt.StoreUnsafe(ref rwd, (nuint)i);
                    vs += wt;
                }
                s = Vector256.Sum(vs);
            }
            for (; i < count; i++)
            {
                double t = Unsafe.Add(ref rx, i) - cj, wt = t * Unsafe.Add(ref rw, i);
                Unsafe.Add(ref rd, i) = t; Unsafe.Add(ref rwd, i) = wt; s += wt;
            }
            sum[j] += s;
        }
        if (diagonalOnly)
        {
            for (int j = 0; j < d; j++)
                acc[j * d + j] += Dot(wdiff.Slice(j * count, count), diff.Slice(j * count, count));
            return wsum;
        }
        int jj = 0;
        for (; jj + 2 <= d; jj += 2)
        {
            var w0 = wdiff.Slice(jj * count, count);
            var w1 = wdiff.Slice((jj + 1) * count, count);
            int l = jj;
            for (; l + 4 <= d; l += 4) Tile2x4(w0, w1, diff, count, l, acc, jj * d + l, (jj + 1) * d + l);
            for (; l < d; l++)
            {
                var dl = diff.Slice(l * count, count);
                acc[jj * d + l] += Dot(w0, dl);
                acc[(jj + 1) * d + l] += Dot(w1, dl);
            }
        }
        for (; jj < d; jj++)
        {
            var wdj = wdiff.Slice(jj * count, count);
            for (int l = jj; l < d; l++) acc[jj * d + l] += Dot(wdj, diff.Slice(l * count, count));
        }
        return wsum;
    }

    /// <summary>acc[o0 + t] += Σ_i w0_i d_(l+t),i and acc[o1 + t] += Σ_i w1_i d_(l+t),i for t = 0..3 (8 accumulators; 6 loads per 8 FMAs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile2x4(ReadOnlySpan<double> w0, ReadOnlySpan<double> w1, ReadOnlySpan<double> diff, int count, int l, Span<double> acc, int o0, int o1)
    {
        ref double a0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w0);
        ref double a1 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w1);
        ref double b0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(diff.Slice(l * count, count));
        ref double b1 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(diff.Slice((l + 1) * count, count));
        ref double b2 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(diff.Slice((l + 2) * count, count));
        ref double b3 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(diff.Slice((l + 3) * count, count));
        int i = 0;
        double t00 = 0, t01 = 0, t02 = 0, t03 = 0, t10 = 0, t11 = 0, t12 = 0, t13 = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
            for (; i <= count - 4; i += 4)
            {
                var u0 = Vector256.LoadUnsafe(ref a0, (nuint)i);
                var u1 = Vector256.LoadUnsafe(ref a1, (nuint)i);
                var v = Vector256.LoadUnsafe(ref b0, (nuint)i);
                s00 = Fma(u0, v, s00); s10 = Fma(u1, v, s10);
                v = Vector256.LoadUnsafe(ref b1, (nuint)i);
                s01 = Fma(u0, v, s01); s11 = Fma(u1, v, s11);
                v = Vector256.LoadUnsafe(ref b2, (nuint)i);
                s02 = Fma(u0, v, s02); s12 = Fma(u1, v, s12);
                v = Vector256.LoadUnsafe(ref b3, (nuint)i);
                s03 = Fma(u0, v, s03); s13 = Fma(u1, v, s13);
            }
            t00 = Vector256.Sum(s00); t01 = Vector256.Sum(s01); t02 = Vector256.Sum(s02); t03 = Vector256.Sum(s03);
            t10 = Vector256.Sum(s10); t11 = Vector256.Sum(s11); t12 = Vector256.Sum(s12); t13 = Vector256.Sum(s13);
        }
        for (; i < count; i++)
        {
            double u0 = Unsafe.Add(ref a0, i), u1 = Unsafe.Add(ref a1, i);
            double v0 = Unsafe.Add(ref b0, i), v1 = Unsafe.Add(ref b1, i), v2 = Unsafe.Add(ref b2, i), v3 = Unsafe.Add(ref b3, i);
            t00 += u0 * v0; t01 += u0 * v1; t02 += u0 * v2; t03 += u0 * v3;
            t10 += u1 * v0; t11 += u1 * v1; t12 += u1 * v2; t13 += u1 * v3;
        }
        acc[o0] += t00; acc[o0 + 1] += t01; acc[o0 + 2] += t02; acc[o0 + 3] += t03;
        acc[o1] += t10; acc[o1 + 1] += t11; acc[o1 + 2] += t12; acc[o1 + 3] += t13;
    }

    /// <summary>Four dot products sharing one operand: r_m = Σ_i a_i b_m,i (one load of a per four FMAs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dot4(ReadOnlySpan<double> a, ReadOnlySpan<double> b0, ReadOnlySpan<double> b1, ReadOnlySpan<double> b2, ReadOnlySpan<double> b3,
        out double r0, out double r1, out double r2, out double r3)
    {
        int n = a.Length, i = 0;
        double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        if (Vector256.IsHardwareAccelerated && n >= 4)
        {
            Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
            ref double ra = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
            ref double p0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b0);
            ref double p1 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b1);
            ref double p2 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b2);
            ref double p3 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b3);
            for (; i <= n - 4; i += 4)
            {
                var va = Vector256.LoadUnsafe(ref ra, (nuint)i);
                s0 = Fma(va, Vector256.LoadUnsafe(ref p0, (nuint)i), s0);
                s1 = Fma(va, Vector256.LoadUnsafe(ref p1, (nuint)i), s1);
                s2 = Fma(va, Vector256.LoadUnsafe(ref p2, (nuint)i), s2);
                s3 = Fma(va, Vector256.LoadUnsafe(ref p3, (nuint)i), s3);
            }
            t0 = Vector256.Sum(s0); t1 = Vector256.Sum(s1); t2 = Vector256.Sum(s2); t3 = Vector256.Sum(s3);
        }
        for (; i < n; i++) { t0 += a[i] * b0[i]; t1 += a[i] * b1[i]; t2 += a[i] * b2[i]; t3 += a[i] * b3[i]; }
        r0 = t0; r1 = t1; r2 = t2; r3 = t3;
    }

    /// <summary>
    /// Squared norms of y_i = (x_i − μ)·U over a block of points stored column-wise (feature j of point i at
    /// x[j·ldx + i]), where U is upper triangular d×d (row-major) and <paramref name="muU"/> = μ·U:
    /// <c>y_ic = Σ_{j≤c} x_ji U_jc − (μU)_c</c>, <c>dst_i = Σ_c y_ic²</c>. The E-step's Mahalanobis distance
    /// with U the precision Cholesky factor (Σ⁻¹ = U·Uᵀ), vectorized over points with FMA.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UpperTriangularSquaredNorms(ReadOnlySpan<double> x, int ldx, int count, int d,
        ReadOnlySpan<double> u, ReadOnlySpan<double> muU, Span<double> dst)
    {
        if (u.Length < d * d || muU.Length < d || dst.Length < count || (count > 0 && x.Length < (d - 1) * ldx + count))
            throw new ArgumentException("DoubleLinalg.UpperTriangularSquaredNorms: span too small for d, count and ldx");
        ref double rx = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref double ru = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(u);
        ref double rd = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 12; i += 12)
            {
                Vector256<double> m0 = default, m1 = default, m2 = default;
                int c = 0;
                // two columns at a time: six independent FMA chains hide the FMA latency
                for (; c + 2 <= d; c += 2)
                {
                    var b0 = Vector256.Create(-muU[c]); var b1 = Vector256.Create(-muU[c + 1]);
                    Vector256<double> a0 = b0, a1 = b0, a2 = b0, e0 = b1, e1 = b1, e2 = b1;
                    for (int j = 0; j <= c; j++)
                    {
                        var p = Vector256.Create(Unsafe.Add(ref ru, j * d + c));
                        var q = Vector256.Create(Unsafe.Add(ref ru, j * d + c + 1));
                        nuint o = (nuint)(j * ldx + i);
                        var x0 = Vector256.LoadUnsafe(ref rx, o);
                        var x1 = Vector256.LoadUnsafe(ref rx, o + 4);
                        var x2 = Vector256.LoadUnsafe(ref rx, o + 8);
                        a0 = Fma(x0, p, a0); a1 = Fma(x1, p, a1); a2 = Fma(x2, p, a2);
                        e0 = Fma(x0, q, e0); e1 = Fma(x1, q, e1); e2 = Fma(x2, q, e2);
                    }
                    {
                        var q = Vector256.Create(Unsafe.Add(ref ru, (c + 1) * d + c + 1));
                        nuint o = (nuint)((c + 1) * ldx + i);
                        e0 = Fma(Vector256.LoadUnsafe(ref rx, o), q, e0);
                        e1 = Fma(Vector256.LoadUnsafe(ref rx, o + 4), q, e1);
                        e2 = Fma(Vector256.LoadUnsafe(ref rx, o + 8), q, e2);
                    }
                    m0 = Fma(a0, a0, m0); m1 = Fma(a1, a1, m1); m2 = Fma(a2, a2, m2);
                    m0 = Fma(e0, e0, m0); m1 = Fma(e1, e1, m1); m2 = Fma(e2, e2, m2);
                }
                for (; c < d; c++)
                {
                    var b = Vector256.Create(-muU[c]);
                    Vector256<double> a0 = b, a1 = b, a2 = b;
                    for (int j = 0; j <= c; j++)
                    {
                        var p = Vector256.Create(Unsafe.Add(ref ru, j * d + c));
                        nuint o = (nuint)(j * ldx + i);
                        a0 = Fma(Vector256.LoadUnsafe(ref rx, o), p, a0);
                        a1 = Fma(Vector256.LoadUnsafe(ref rx, o + 4), p, a1);
                        a2 = Fma(Vector256.LoadUnsafe(ref rx, o + 8), p, a2);
                    }
                    m0 = Fma(a0, a0, m0); m1 = Fma(a1, a1, m1); m2 = Fma(a2, a2, m2);
                }
                m0.StoreUnsafe(ref rd, (nuint)i);
                m1.StoreUnsafe(ref rd, (nuint)i + 4);
                m2.StoreUnsafe(ref rd, (nuint)i + 8);
            }
        }
        for (; i < count; i++)
        {
            double m = 0;
            for (int c = 0; c < d; c++)
            {
                double a = -muU[c];
                for (int j = 0; j <= c; j++) a += Unsafe.Add(ref rx, j * ldx + i) * Unsafe.Add(ref ru, j * d + c);
                m += a * a;
            }
            Unsafe.Add(ref rd, i) = m;
        }
    }

    /// <summary>
    /// Squared norms for a diagonal factor: <c>dst_i = Σ_j ((x_ji − μ_j)·s_j)²</c> over points stored column-wise.
    /// </summary>
    public static void DiagonalSquaredNorms(ReadOnlySpan<double> x, int ldx, int count, int d,
        ReadOnlySpan<double> scale, ReadOnlySpan<double> mu, Span<double> dst)
    {
        dst[..count].Clear();
        for (int j = 0; j < d; j++)
        {
            var xj = x.Slice(j * ldx, count);
            double s = scale[j], m = mu[j];
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vs = Vector256.Create(s); var vm = Vector256.Create(m);
                ref double rx = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(xj);
                ref double rd = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
                for (; i <= count - 4; i += 4)
                {
                    var t = (Vector256.LoadUnsafe(ref rx, (nuint)i) - vm) * vs;
                    Fma(t, t, Vector256.LoadUnsafe(ref rd, (nuint)i)).StoreUnsafe(ref rd, (nuint)i);
                }
            }
            for (; i < count; i++) { double t = (xj[i] - m) * s; dst[i] += t * t; }
        }
    }
}
