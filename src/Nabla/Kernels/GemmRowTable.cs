namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Whether <see cref="SgemmRowTable"/> can run here (it needs the AVX-512 micro-kernel).</summary>
    internal static bool RowTableSupported => Use512;

    /// <summary>
    /// C[m×n] (row stride <paramref name="ldc"/>) = A · B on the calling thread, with A row-major [m×k] and B given by a
    /// row table: B[p, j] = b[off[p] + j], every row read in place (never packed). Every b + off[p] must be readable
    /// for RoundUp(n, 32) floats (the last micro-panel's columns past n are computed and dropped).
    /// </summary>
    internal static void SgemmRowTable(int m, int n, int k, float* a, int lda, float* b, int* off, float* c, int ldc)
    {
        if (!Use512) throw new PlatformNotSupportedException("SgemmRowTable needs AVX-512");
        if (m <= 0 || n <= 0 || k <= 0) throw new ArgumentOutOfRangeException(nameof(m), $"SgemmRowTable: sizes must be positive, got m={m}, n={n}, k={k}");
        int kcMax = CeilDiv(k, CeilDiv(k, KC)), mcMax = Math.Min(MC, RoundUp(m, MR));
        float* ap = PackBuffers.Current.A((nuint)kcMax * (nuint)mcMax + 8);
        for (int ic = 0; ic < m; ic += mcMax)
        {
            int mc = Math.Min(mcMax, m - ic);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc), mode = pc == 0 ? Store : Accumulate;
                PackA(false, a, lda, ic, pc, mc, kc, ap);
                for (int jr = 0; jr < n; jr += NR)
                    for (int ir = 0; ir < mc; ir += MR)
                        Kernel512(kc, ap + (long)ir * kc, b + jr, off + pc, c + (long)(ic + ir) * ldc + jr, ldc,
                            Math.Min(MR, mc - ir), Math.Min(NR, n - jr), mode, 0f);
            }
        }
    }
}
