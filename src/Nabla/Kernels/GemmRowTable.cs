namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Whether <see cref="SgemmRowTable"/> can run with the current <see cref="Kernel"/> (it needs the AVX-512 one).</summary>
    internal static bool RowTableSupported => Kernel == GemmKernel.Avx512;

    // row-table products always use the AVX-512 kernel's tile and blocks
    const int MR = 8, NR = 32;

    /// <summary>
    /// A row-major [m×k] matrix A packed once, block by block, in the order <see cref="SgemmRowTable"/> reads it, so that
    /// many products with the same A (a convolution's weights, image after image) pack it only once.
    /// </summary>
    internal static float[] PackRowTableA(int m, int k, ReadOnlySpan<float> a, int lda)
    {
        if (m <= 0 || k <= 0) throw new ArgumentOutOfRangeException(nameof(m), $"PackRowTableA: sizes must be positive, got m={m}, k={k}");
        var (kcMax, mcMax) = RowTableBlocks(m, k);
        long size = 8;  // slack for PackA's 8-float column stores
        for (int ic = 0; ic < m; ic += mcMax)
            for (int pc = 0; pc < k; pc += kcMax) size += (long)RoundUp(Math.Min(mcMax, m - ic), MR) * Math.Min(kcMax, k - pc);
        var packed = new float[size];
        fixed (float* pa = a, pp = packed)
        {
            float* dst = pp;
            for (int ic = 0; ic < m; ic += mcMax)
                for (int pc = 0; pc < k; pc += kcMax)
                {
                    int mc = Math.Min(mcMax, m - ic), kc = Math.Min(kcMax, k - pc);
                    PackA(false, pa, lda, ic, pc, mc, kc, dst, MR);
                    dst += (long)RoundUp(mc, MR) * kc;
                }
        }
        return packed;
    }

    static (int kcMax, int mcMax) RowTableBlocks(int m, int k)
    {
        var (KC, MC) = Blocks(GemmKernel.Avx512);
        return (CeilDiv(k, CeilDiv(k, KC)), Math.Min(MC, RoundUp(m, MR)));
    }

    /// <summary>
    /// C[m×n] (row stride <paramref name="ldc"/>) = A · B on the calling thread, with A given packed by
    /// <see cref="PackRowTableA"/> and B by a row table: B[p, j] = b[off[p] + j], every row read in place (never packed).
    /// Every b + off[p] must be readable for RoundUp(n, 32) floats (the last micro-panel's columns past n are computed
    /// and dropped).
    /// </summary>
    internal static void SgemmRowTable(int m, int n, int k, float[] packedA, float* b, int* off, float* c, int ldc)
    {
        if (!NablaSettings.IsSupported(GemmKernel.Avx512)) throw new PlatformNotSupportedException("SgemmRowTable needs the AVX-512 micro-kernel, which this CPU does not run");
        if (m <= 0 || n <= 0 || k <= 0) throw new ArgumentOutOfRangeException(nameof(m), $"SgemmRowTable: sizes must be positive, got m={m}, n={n}, k={k}");
        var (kcMax, mcMax) = RowTableBlocks(m, k);
        fixed (float* pp = packedA)
        {
            float* ap = pp;
            for (int ic = 0; ic < m; ic += mcMax)
            {
                int mc = Math.Min(mcMax, m - ic);
                for (int pc = 0; pc < k; pc += kcMax)
                {
                    int kc = Math.Min(kcMax, k - pc), mode = pc == 0 ? Store : Accumulate;
                    for (int jr = 0; jr < n; jr += NR)
                        for (int ir = 0; ir < mc; ir += MR)
                            Kernel512(kc, ap + (long)ir * kc, b + jr, off + pc, c + (long)(ic + ir) * ldc + jr, ldc,
                                Math.Min(MR, mc - ir), Math.Min(NR, n - jr), mode, 0f);
                    ap += (long)RoundUp(mc, MR) * kc;
                }
            }
        }
    }
}
