using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// AVX-512 micro-kernel: an 8×32 tile of C = Σₚ Ã[:, p] ⊗ B̃[p, :] in 16 Vector512 accumulators (two per row),
    /// one broadcast of A per row and two loads of B per p; written by <paramref name="mode"/> as <see cref="KernelAvx"/>.
    /// Row p of B̃ starts at b + off[p]: p·32 for a packed micro-panel, p·ldb for an unpacked op(B) read in place, or any
    /// row table (an implicit im2col: row (c, ki, kj) of a convolution's column matrix is the padded image shifted).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel512(int kc, float* ap, float* b, int* off, float* c, int ldc, int mr, int nr, int mode, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            float* bp = b + off[p];
            var b0 = Avx512F.LoadVector512(bp);
            var b1 = Avx512F.LoadVector512(bp + 16);
            var a0 = Vector512.Create(ap[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(ap[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(ap[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(ap[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(ap[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(ap[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(ap[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(ap[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            ap += 8;
        }
        if (nr == 32)
        {
            // whole rows: vector stores for the first mr rows
            var vb = Vector512.Create(beta);
            Put512(c, c00, c01, mode, vb); if (mr == 1) return; c += ldc;
            Put512(c, c10, c11, mode, vb); if (mr == 2) return; c += ldc;
            Put512(c, c20, c21, mode, vb); if (mr == 3) return; c += ldc;
            Put512(c, c30, c31, mode, vb); if (mr == 4) return; c += ldc;
            Put512(c, c40, c41, mode, vb); if (mr == 5) return; c += ldc;
            Put512(c, c50, c51, mode, vb); if (mr == 6) return; c += ldc;
            Put512(c, c60, c61, mode, vb); if (mr == 7) return; c += ldc;
            Put512(c, c70, c71, mode, vb);
        }
        else
        {
            float* t = stackalloc float[8 * 32];
            Vector512.Store(c00, t + 0); Vector512.Store(c01, t + 16);
            Vector512.Store(c10, t + 32); Vector512.Store(c11, t + 48);
            Vector512.Store(c20, t + 64); Vector512.Store(c21, t + 80);
            Vector512.Store(c30, t + 96); Vector512.Store(c31, t + 112);
            Vector512.Store(c40, t + 128); Vector512.Store(c41, t + 144);
            Vector512.Store(c50, t + 160); Vector512.Store(c51, t + 176);
            Vector512.Store(c60, t + 192); Vector512.Store(c61, t + 208);
            Vector512.Store(c70, t + 224); Vector512.Store(c71, t + 240);
            PutPartial(t, 32, c, ldc, mr, nr, mode, beta);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Put512(float* c, Vector512<float> t0, Vector512<float> t1, int mode, Vector512<float> beta)
    {
        if (mode == Accumulate)
        {
            t0 += Vector512.Load(c);
            t1 += Vector512.Load(c + 16);
        }
        else if (mode == ScaleAccumulate)
        {
            t0 = Avx512F.FusedMultiplyAdd(beta, Vector512.Load(c), t0);
            t1 = Avx512F.FusedMultiplyAdd(beta, Vector512.Load(c + 16), t1);
        }
        Vector512.Store(t0, c);
        Vector512.Store(t1, c + 16);
    }
}
