using System.Numerics.Tensors;

namespace Nabla.Kernels;

/// <summary>
/// Single-precision general matrix multiply, row-major: C = op(A)·op(B) + β·C, where op(X) = Xᵀ when the
/// matching flag is set. op(A) is m×k, op(B) is k×n, C is m×n; lda/ldb/ldc are row strides of the stored matrices.
/// </summary>
public static class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta = 0f)
    {
        if (m == 0 || n == 0) return;
        for (int i = 0; i < m; i++)
        {
            var crow = c.Slice(i * ldc, n);
            if (beta == 0f) crow.Clear(); else if (beta != 1f) TensorPrimitives.Multiply(crow, beta, crow);
        }
        if (k == 0) return;
        // reference path: materialize transposes, then i-k-j rows with vector FMA
        float[]? at = null, bt = null;
        if (transA) { at = new float[m * k]; for (int p = 0; p < k; p++) for (int i = 0; i < m; i++) at[i * k + p] = a[p * lda + i]; a = at; lda = k; }
        if (transB) { bt = new float[k * n]; for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) bt[p * n + j] = b[j * ldb + p]; b = bt; ldb = n; }
        for (int i = 0; i < m; i++)
        {
            var crow = c.Slice(i * ldc, n);
            for (int p = 0; p < k; p++)
            {
                float av = a[i * lda + p];
                if (av != 0f) TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), av, crow, crow);
            }
        }
    }
}
