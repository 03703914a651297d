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
    public static double AccumulateWeightedScatter(ReadOnlySpan<double> x, int ldx, int count, int d,
        ReadOnlySpan<double> w, ReadOnlySpan<double> center, Span<double> sum, Span<double> acc, bool diagonalOnly, Span<double> scratch)
    {
        var diff = scratch[..(d * count)];
        var wdiff = scratch.Slice(d * count, d * count);
        double wsum = 0;
        for (int i = 0; i < count; i++) wsum += w[i];
        for (int j = 0; j < d; j++)
        {
            var xj = x.Slice(j * ldx, count);
            var dj = diff.Slice(j * count, count);
            var wdj = wdiff.Slice(j * count, count);
            double cj = center[j];
            System.Numerics.Tensors.TensorPrimitives.Subtract(xj, cj, dj);
            System.Numerics.Tensors.TensorPrimitives.Multiply(dj, w[..count], wdj);
            sum[j] += System.Numerics.Tensors.TensorPrimitives.Sum(wdj);
        }
        if (diagonalOnly)
        {
            for (int j = 0; j < d; j++)
                acc[j * d + j] += Dot(wdiff.Slice(j * count, count), diff.Slice(j * count, count));
            return wsum;
        }
        for (int j = 0; j < d; j++)
        {
            var wdj = wdiff.Slice(j * count, count);
            int l = j;
            for (; l + 4 <= d; l += 4)
            {
                Dot4(wdj, diff.Slice(l * count, count), diff.Slice((l + 1) * count, count), diff.Slice((l + 2) * count, count),
                    diff.Slice((l + 3) * count, count), out double a0, out double a1, out double a2, out double a3);
                acc[j * d + l] += a0; acc[j * d + l + 1] += a1; acc[j * d + l + 2] += a2; acc[j * d + l + 3] += a3;
            }
            for (; l < d; l++) acc[j * d + l] += Dot(wdj, diff.Slice(l * count, count));
        }
        return wsum;
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
        ref double rx = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 12; i += 12)
            {
                Vector256<double> m0 = default, m1 = default, m2 = default;
                for (int c = 0; c < d; c++)
                {
                    var b = Vector256.Create(-muU[c]);
                    Vector256<double> a0 = b, a1 = b, a2 = b;
                    for (int j = 0; j <= c; j++)
                    {
                        var p = Vector256.Create(u[j * d + c]);
                        nuint o = (nuint)(j * ldx + i);
                        a0 = Fma(Vector256.LoadUnsafe(ref rx, o), p, a0);
                        a1 = Fma(Vector256.LoadUnsafe(ref rx, o + 4), p, a1);
                        a2 = Fma(Vector256.LoadUnsafe(ref rx, o + 8), p, a2);
                    }
                    m0 = Fma(a0, a0, m0); m1 = Fma(a1, a1, m1); m2 = Fma(a2, a2, m2);
                }
                m0.StoreUnsafe(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst), (nuint)i);
                m1.StoreUnsafe(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst), (nuint)i + 4);
                m2.StoreUnsafe(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst), (nuint)i + 8);
            }
        }
        for (; i < count; i++)
        {
            double m = 0;
            for (int c = 0; c < d; c++)
            {
                double a = -muU[c];
                for (int j = 0; j <= c; j++) a += x[j * ldx + i] * u[j * d + c];
                m += a * a;
            }
            dst[i] = m;
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
