using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Micro-tile: MR rows × NR columns of C held in registers.</summary>
    internal const int MR = 6, NR = 16;

    /// <summary>Cache blocks: kc (shared dimension, a B micro-panel kc×NR sits in L1), mc (an A block mc×kc in L2), nc (a B block kc×nc in L3).</summary>
    internal static readonly int KC = EnvInt("NABLA_GEMM_KC", 512), MC = EnvInt("NABLA_GEMM_MC", 144) / MR * MR, NC = EnvInt("NABLA_GEMM_NC", 4096) / NR * NR;

    static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    static readonly bool UseAvx = Avx.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated;

    static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Single-threaded packed product of the whole given problem (one thread's share of a split).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackedGemm(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, float beta)
    {
        if (m <= 0 || n <= 0) return;
        // even kc blocks (k = 513 gives 257 + 256, not 512 + 1)
        int kBlocks = (k + KC - 1) / KC, kcMax = (k + kBlocks - 1) / kBlocks;
        int ncMax = Math.Min(NC, RoundUp(n, NR)), mcMax = Math.Min(MC, RoundUp(m, MR));
        var buffers = PackBuffers.Current;
        float* bp = buffers.B((nuint)kcMax * (nuint)ncMax);
        float* ap = buffers.A((nuint)kcMax * (nuint)mcMax);
        bool avx = UseAvx;
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                PackB(transB, b, ldb, pc, jc, kc, nc, bp);
                int mode = pc > 0 || beta == 1f ? Accumulate : beta == 0f ? Store : ScaleAccumulate;
                for (int ic = 0; ic < m; ic += MC)
                {
                    int mc = Math.Min(MC, m - ic);
                    PackA(transA, a, lda, ic, pc, mc, kc, ap);
                    for (int jr = 0; jr < nc; jr += NR)
                    {
                        int nr = Math.Min(NR, nc - jr);
                        float* bpanel = bp + (long)jr * kc;
                        float* cblock = c + (long)ic * ldc + jc + jr;
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int mr = Math.Min(MR, mc - ir);
                            if (avx) KernelAvx(kc, ap + (long)ir * kc, bpanel, cblock + (long)ir * ldc, ldc, mr, nr, mode, beta);
                            else KernelPortable(kc, ap + (long)ir * kc, bpanel, cblock + (long)ir * ldc, ldc, mr, nr, mode, beta);
                        }
                    }
                }
            }
        }
    }
}
