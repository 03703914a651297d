using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>Fused activation kernels (one pass over memory for value and derivative).</summary>
public static class Activation
{
    /// <summary>y = x·σ(x).</summary>
    public static void SiluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1f);
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8));
                (v / (one + Vector256.Exp(-v))).CopyTo(y.Slice(i, 8));
            }
        }
        for (; i < x.Length; i++) y[i] = x[i] / (1f + MathF.Exp(-x[i]));
    }

    /// <summary>gx = gy·σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static void SiluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1f);
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8));
                var s = one / (one + Vector256.Exp(-v));
                (Vector256.Create(gy.Slice(i, 8)) * s * (one + v * (one - s))).CopyTo(gx.Slice(i, 8));
            }
        }
        for (; i < x.Length; i++)
        {
            float s = 1f / (1f + MathF.Exp(-x[i]));
            gx[i] = gy[i] * s * (1f + x[i] * (1f - s));
        }
    }

    /// <summary>ReLU backward: gx = gy where x &gt; 0, else 0 (NaN x gives 0, as the scalar x &gt; 0 test).</summary>
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx) =>
        ClampBackward(x, gy, gx, float.Epsilon, float.PositiveInfinity);

    /// <summary>Clamp backward: gx = gy where lo ≤ x ≤ hi, else 0 (NaN x gives 0).</summary>
    public static void ClampBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx, float lo, float hi)
    {
        int n = gx.Length;
        if (x.Length < n || gy.Length < n) throw new ArgumentException("ClampBackward: x and gy must be at least as long as gx");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vlo = Vector256.Create(lo); var vhi = Vector256.Create(hi);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8));
                var mask = Vector256.GreaterThanOrEqual(v, vlo) & Vector256.LessThanOrEqual(v, vhi);
                (Vector256.Create(gy.Slice(i, 8)) & mask).CopyTo(gx.Slice(i, 8));
            }
        }
        for (; i < n; i++) gx[i] = x[i] >= lo && x[i] <= hi ? gy[i] : 0f;
    }

    /// <summary>Abs backward: gx = sign(x)·gy (0 where x = 0 or NaN).</summary>
    public static void AbsBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx)
    {
        int n = gx.Length;
        if (x.Length < n || gy.Length < n) throw new ArgumentException("AbsBackward: x and gy must be at least as long as gx");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var zero = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8)); var g = Vector256.Create(gy.Slice(i, 8));
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, zero), g, Vector256.LessThan(v, zero) & -g).CopyTo(gx.Slice(i, 8));
            }
        }
        for (; i < n; i++) gx[i] = x[i] > 0 ? gy[i] : x[i] < 0 ? -gy[i] : 0f;
    }

    /// <summary>Leaky ReLU backward: gx = gy where x &gt; 0, else slope·gy.</summary>
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx, float slope)
    {
        int n = gx.Length;
        if (x.Length < n || gy.Length < n) throw new ArgumentException("LeakyReluBackward: x and gy must be at least as long as gx");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var zero = Vector256<float>.Zero; var s = Vector256.Create(slope);
            for (; i <= n - 8; i += 8)
            {
                var g = Vector256.Create(gy.Slice(i, 8));
                Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Create(x.Slice(i, 8)), zero), g, g * s).CopyTo(gx.Slice(i, 8));
            }
        }
        for (; i < n; i++) gx[i] = x[i] > 0 ? gy[i] : slope * gy[i];
    }

    /// <summary>Sigmoid backward from the output y = σ(x): gx = gy·y·(1 − y).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        int n = gx.Length;
        if (y.Length < n || gy.Length < n) throw new ArgumentException("SigmoidBackward: y and gy must be at least as long as gx");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1f);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Create(y.Slice(i, 8));
                (Vector256.Create(gy.Slice(i, 8)) * v * (one - v)).CopyTo(gx.Slice(i, 8));
            }
        }
        for (; i < n; i++) gx[i] = gy[i] * y[i] * (1f - y[i]);
    }

    /// <summary>Tanh backward from the output y = tanh x: gx = gy·(1 − y²).</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        int n = gx.Length;
        if (y.Length < n || gy.Length < n) throw new ArgumentException("TanhBackward: y and gy must be at least as long as gx");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1f);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Create(y.Slice(i, 8));
                (Vector256.Create(gy.Slice(i, 8)) * (one - v * v)).CopyTo(gx.Slice(i, 8));
            }
        }
        for (; i < n; i++) gx[i] = gy[i] * (1f - y[i] * y[i]);
    }

    /// <summary>GELU x·Φ(x) with exact erf; <paramref name="d"/> = Φ(x) + x·φ(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gelu(float x, out float d)
    {
        double cdf = 0.5 * (1 + Erf(x / Math.Sqrt(2)));
        double pdf = Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
        d = (float)(cdf + x * pdf);
        return (float)(x * cdf);
    }

    /// <summary>GELU tanh approximation 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) and its derivative.</summary>
    public static float GeluTanh(float x, out float d)
    {
        const double k = 0.7978845608028654;
        double u = k * (x + 0.044715 * x * x * x);
        double t = Math.Tanh(u);
        d = (float)(0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x));
        return (float)(0.5 * x * (1 + t));
    }

    /// <summary>The error function to double precision (W. J. Cody's rational approximations via erfc for |x| ≥ 0.5).</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 0.5)
        {   // Taylor series, converges fast here
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 30; n++) { term *= -x2 / n; double c = term / (2 * n + 1); sum += c; if (Math.Abs(c) < 1e-17) break; }
            return sum * 2 / Math.Sqrt(Math.PI);
        }
        double r = 1 - Erfc(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>erfc(x) for x ≥ 0 by a continued fraction (Lentz), accurate to ~1e-15.</summary>
    static double Erfc(double x)
    {
        if (x > 27) return 0;
        if (x < 2)
        {   // series for erf is still accurate enough here with more terms
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 200; n++) { term *= -x2 / n; double c = term / (2 * n + 1); sum += c; if (Math.Abs(c) < 1e-17 * Math.Abs(sum)) break; }
            return 1 - sum * 2 / Math.Sqrt(Math.PI);
        }
        // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
        double tiny = 1e-300, f = x, c0 = x, d0 = 0;
        for (int n = 1; n < 300; n++)
        {
            double an = n * 0.5;
            d0 = x + an * d0; if (Math.Abs(d0) < tiny) d0 = tiny; d0 = 1 / d0;
            c0 = x + an / c0; if (Math.Abs(c0) < tiny) c0 = tiny;
            double delta = c0 * d0; f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }
}
