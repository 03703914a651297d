using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// The AVX2 tile for a 6-row A micro-panel with <paramref name="realRows"/> rows that hold data (the rest of the
    /// panel is zero padding): the 6×16 kernel, or a 4×16 or 2×16 one that reads the same packed layout (6 values per p)
    /// but skips the padding's FMAs. A 32-channel convolution's last panel has 2 real rows, so the 6-row kernel spent a
    /// ninth of its FMAs on zeros; the output convolution (1 channel) five sixths. <paramref name="mr"/> rows are stored
    /// (a whole-tile store may pass more than <paramref name="realRows"/>; at most the short kernel's height is written).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void KernelAvxRows(int kc, float* ap, float* b, int* off, float* c, int ldc, int realRows, int mr, int nr, int mode, float beta)
    {
        if (realRows <= 2) KernelAvx2Rows(kc, ap, b, off, c, ldc, Math.Min(mr, 2), nr, mode, beta);
        else if (realRows <= 4) KernelAvx4Rows(kc, ap, b, off, c, ldc, Math.Min(mr, 4), nr, mode, beta);
        else KernelAvx(kc, ap, b, off, c, ldc, mr, nr, mode, beta);
    }

    /// <summary>4×16 AVX2 tile over a 6-row packed micro-panel (rows 0–3 read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void KernelAvx4Rows(int kc, float* ap, float* b, int* off, float* c, int ldc, int mr, int nr, int mode, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* bp; Vector256<float> b0, b1, a0;
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            bp = b + off[p];
            b0 = Avx.LoadVector256(bp); b1 = Avx.LoadVector256(bp + 8);
            a0 = Avx.BroadcastScalarToVector256(ap + 0); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Avx.BroadcastScalarToVector256(ap + 1); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            a0 = Avx.BroadcastScalarToVector256(ap + 2); c20 = Fma.MultiplyAdd(a0, b0, c20); c21 = Fma.MultiplyAdd(a0, b1, c21);
            a0 = Avx.BroadcastScalarToVector256(ap + 3); c30 = Fma.MultiplyAdd(a0, b0, c30); c31 = Fma.MultiplyAdd(a0, b1, c31);
            bp = b + off[p + 1];
            b0 = Avx.LoadVector256(bp); b1 = Avx.LoadVector256(bp + 8);
            a0 = Avx.BroadcastScalarToVector256(ap + 6); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Avx.BroadcastScalarToVector256(ap + 7); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            a0 = Avx.BroadcastScalarToVector256(ap + 8); c20 = Fma.MultiplyAdd(a0, b0, c20); c21 = Fma.MultiplyAdd(a0, b1, c21);
            a0 = Avx.BroadcastScalarToVector256(ap + 9); c30 = Fma.MultiplyAdd(a0, b0, c30); c31 = Fma.MultiplyAdd(a0, b1, c31);
            ap += 12;
        }
        if (p < kc)
        {
            bp = b + off[p];
            b0 = Avx.LoadVector256(bp); b1 = Avx.LoadVector256(bp + 8);
            a0 = Avx.BroadcastScalarToVector256(ap + 0); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Avx.BroadcastScalarToVector256(ap + 1); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            a0 = Avx.BroadcastScalarToVector256(ap + 2); c20 = Fma.MultiplyAdd(a0, b0, c20); c21 = Fma.MultiplyAdd(a0, b1, c21);
            a0 = Avx.BroadcastScalarToVector256(ap + 3); c30 = Fma.MultiplyAdd(a0, b0, c30); c31 = Fma.MultiplyAdd(a0, b1, c31);
        }
        if (mr == 4 && nr == 16)
        {
            var vb = Vector256.Create(beta);
            Put(c, c00, c01, mode, vb); c += ldc;
            Put(c, c10, c11, mode, vb); c += ldc;
            Put(c, c20, c21, mode, vb); c += ldc;
            Put(c, c30, c31, mode, vb);
        }
        else
        {
            float* t = stackalloc float[4 * 16];
            Avx.Store(t, c00); Avx.Store(t + 8, c01); Avx.Store(t + 16, c10); Avx.Store(t + 24, c11);
            Avx.Store(t + 32, c20); Avx.Store(t + 40, c21); Avx.Store(t + 48, c30); Avx.Store(t + 56, c31);
            PutPartial(t, 16, c, ldc, mr, nr, mode, beta);
        }
    }

    /// <summary>2×16 AVX2 tile over a 6-row packed micro-panel (rows 0–1 read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void KernelAvx2Rows(int kc, float* ap, float* b, int* off, float* c, int ldc, int mr, int nr, int mode, float beta)
    {
        // two accumulator sets (even and odd p), so the FMA chains are 4 deep instead of 2
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> d00 = default, d01 = default, d10 = default, d11 = default;
        float* bp; Vector256<float> b0, b1, a0;
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            bp = b + off[p];
            b0 = Avx.LoadVector256(bp); b1 = Avx.LoadVector256(bp + 8);
            a0 = Avx.BroadcastScalarToVector256(ap + 0); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Avx.BroadcastScalarToVector256(ap + 1); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            bp = b + off[p + 1];
            b0 = Avx.LoadVector256(bp); b1 = Avx.LoadVector256(bp + 8);
            a0 = Avx.BroadcastScalarToVector256(ap + 6); d00 = Fma.MultiplyAdd(a0, b0, d00); d01 = Fma.MultiplyAdd(a0, b1, d01);
            a0 = Avx.BroadcastScalarToVector256(ap + 7); d10 = Fma.MultiplyAdd(a0, b0, d10); d11 = Fma.MultiplyAdd(a0, b1, d11);
            ap += 12;
        }
        if (p < kc)
        {
            bp = b + off[p];
            b0 = Avx.LoadVector256(bp); b1 = Avx.LoadVector256(bp + 8);
            a0 = Avx.BroadcastScalarToVector256(ap + 0); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Avx.BroadcastScalarToVector256(ap + 1); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
        }
        c00 = Avx.Add(c00, d00); c01 = Avx.Add(c01, d01); c10 = Avx.Add(c10, d10); c11 = Avx.Add(c11, d11);
        if (mr == 2 && nr == 16)
        {
            var vb = Vector256.Create(beta);
            Put(c, c00, c01, mode, vb); c += ldc;
            Put(c, c10, c11, mode, vb);
        }
        else
        {
            float* t = stackalloc float[2 * 16];
            Avx.Store(t, c00); Avx.Store(t + 8, c01); Avx.Store(t + 16, c10); Avx.Store(t + 24, c11);
            PutPartial(t, 16, c, ldc, mr, nr, mode, beta);
        }
    }
}
