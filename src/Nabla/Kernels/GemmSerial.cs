namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// As <see cref="Sgemm"/>, but always on the calling thread (never shares the product with the workers): for callers
    /// that already split independent products over the cores themselves.
    /// </summary>
    public static void SgemmSerial(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta = 0f)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0) { ScaleC(m, n, pc, ldc, beta); return; }
            if ((long)m * n * k < ParallelThresholds.SmallGemmWork) SmallGemm(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
            else PackedGemm(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
        }
    }
}
