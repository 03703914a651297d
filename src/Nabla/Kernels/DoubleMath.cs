using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>Vectorized elementwise double-precision functions for hot loops (log-sum-exp of the mixture E-step).</summary>
public static class DoubleMath
{
    const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10, InvLn2 = 1.44269504088896338700e+00;
    /// <summary>Inputs below this give exactly 0 (true value &lt; 1e-304, far below any term it is summed with here).</summary>
    const double Low = -700.0, High = 709.782712893384;

    /// <summary>
    /// y = exp(x) elementwise, ≈ 1 ulp: x = k ln 2 + r with |r| ≤ ½ ln 2, exp(r) by its degree-13 Taylor polynomial
    /// (Horner, FMA), times 2^k built in the exponent bits. x &lt; −700 gives 0, x &gt; ln(double.MaxValue) gives +∞; NaN stays NaN.
    /// </summary>
    public static void Exp(ReadOnlySpan<double> x, Span<double> y)
    {
        if (y.Length < x.Length) throw new ArgumentException($"DoubleMath.Exp: destination of {y.Length} < source of {x.Length}");
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double rx = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref double ry = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            for (; i <= n - 4; i += 4)
                Exp(Vector256.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++) y[i] = x[i] < Low ? 0.0 : Math.Exp(x[i]);
    }

    /// <summary>
    /// Column-wise softmax with log-sum-exp over a rows×count block (row r at a[r·ld …]): for each column i,
    /// m = max_r a_ri, s = Σ_r exp(a_ri − m), a_ri ← exp(a_ri − m)/s and lse_i = m + ln s. The E-step's
    /// responsibilities r_ik and log p(x_i), vectorized over columns (points).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxColumns(Span<double> a, int rows, int ld, int count, Span<double> lse)
    {
        if (rows < 1 || a.Length < (rows - 1) * ld + count || lse.Length < count)
            throw new ArgumentException("DoubleMath.SoftmaxColumns: span too small for rows, ld and count");
        ref double ra = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 4; i += 4)
            {
                var m = Vector256.LoadUnsafe(ref ra, (nuint)i);
                for (int r = 1; r < rows; r++) m = Vector256.Max(m, Vector256.LoadUnsafe(ref ra, (nuint)(r * ld + i)));
                var s = Vector256<double>.Zero;
                for (int r = 0; r < rows; r++)
                {
                    var e = Exp(Vector256.LoadUnsafe(ref ra, (nuint)(r * ld + i)) - m);
                    e.StoreUnsafe(ref ra, (nuint)(r * ld + i));
                    s += e;
                }
                var inv = Vector256.Create(1.0) / s;
                for (int r = 0; r < rows; r++)
                    (Vector256.LoadUnsafe(ref ra, (nuint)(r * ld + i)) * inv).StoreUnsafe(ref ra, (nuint)(r * ld + i));
                for (int t = 0; t < 4; t++) lse[i + t] = m.GetElement(t) + Math.Log(s.GetElement(t));
            }
        }
        for (; i < count; i++)
        {
            double m = a[i];
            for (int r = 1; r < rows; r++) m = Math.Max(m, a[r * ld + i]);
            double s = 0;
            for (int r = 0; r < rows; r++) { double e = Math.Exp(a[r * ld + i] - m); a[r * ld + i] = e; s += e; }
            double inv = 1.0 / s;
            for (int r = 0; r < rows; r++) a[r * ld + i] *= inv;
            lse[i] = m + Math.Log(s);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<double> Exp(Vector256<double> x)
    {
        var nan = Vector256.Equals(x, x);  // false for NaN lanes
        var under = Vector256.LessThan(x, Vector256.Create(Low));
        var over = Vector256.GreaterThan(x, Vector256.Create(High));
        var xc = Vector256.Min(Vector256.Max(x, Vector256.Create(Low)), Vector256.Create(High));
        var k = Vector256.Round(xc * Vector256.Create(InvLn2));
        var r = DoubleLinalg.Fma(k, Vector256.Create(-Ln2Hi), xc);
        r = DoubleLinalg.Fma(k, Vector256.Create(-Ln2Lo), r);
        // Taylor: 1 + r + r²/2! + … + r¹³/13!
        var p = Vector256.Create(1.0 / 6227020800.0);
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 479001600.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 39916800.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 3628800.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 362880.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 40320.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 5040.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 720.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 120.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 24.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0 / 6.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(0.5));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0));
        p = DoubleLinalg.Fma(p, r, Vector256.Create(1.0));
        // 2^k for k in [−1010, 1023]: split in two factors so that k < −1022 (subnormal results) stays exact
        var k1 = Vector256.Floor(k * Vector256.Create(0.5));
        var k2 = k - k1;
        var s1 = Vector256.ShiftLeft(Vector256.ConvertToInt64(k1) + Vector256.Create(1023L), 52).AsDouble();
        var s2 = Vector256.ShiftLeft(Vector256.ConvertToInt64(k2) + Vector256.Create(1023L), 52).AsDouble();
        var res = p * s1 * s2;
        res = Vector256.ConditionalSelect(under, Vector256<double>.Zero, res);
        res = Vector256.ConditionalSelect(over, Vector256.Create(double.PositiveInfinity), res);
        return Vector256.ConditionalSelect(nan, res, x);
    }
}
