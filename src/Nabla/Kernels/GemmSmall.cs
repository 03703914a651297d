using System.Numerics.Tensors;

namespace Nabla.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Direct loop for small problems (no packing, no threads). Rows of C are either built as sums of
    /// β-scaled rows of op(B) (axpy form, when op(B) has contiguous rows of useful length) or element by
    /// element as dot products cᵢⱼ = Σₚ op(A)ᵢₚ·op(B)ₚⱼ.
    /// </summary>
    static void SmallGemm(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, float beta)
    {
        // op(A)ᵢₚ = a[i·ais + p·aps]; op(B)ₚⱼ = b[p·bps + j·bjs]
        long ais = transA ? 1 : lda, aps = transA ? lda : 1;
        long bps = transB ? 1 : ldb, bjs = transB ? ldb : 1;
        if (!transB && n >= 8)
        {
            for (int i = 0; i < m; i++)
            {
                var crow = new Span<float>(c + i * (long)ldc, n);
                if (beta == 0f) crow.Clear(); else if (beta != 1f) TensorPrimitives.Multiply(crow, beta, crow);
                float* ai = a + i * ais;
                for (int p = 0; p < k; p++)
                {
                    float av = ai[p * aps];
                    if (av != 0f) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b + p * bps, n), av, crow, crow);
                }
            }
            return;
        }
        for (int i = 0; i < m; i++)
        {
            float* ai = a + i * ais;
            float* ci = c + i * (long)ldc;
            for (int j = 0; j < n; j++)
            {
                float* bj = b + j * bjs;
                float s;
                if (aps == 1 && bps == 1) s = TensorPrimitives.Dot(new ReadOnlySpan<float>(ai, k), new ReadOnlySpan<float>(bj, k));
                else
                {
                    s = 0f;
                    for (int p = 0; p < k; p++) s += ai[p * aps] * bj[p * bps];
                }
                ci[j] = beta == 0f ? s : beta == 1f ? ci[j] + s : beta * ci[j] + s;
            }
        }
    }
}
