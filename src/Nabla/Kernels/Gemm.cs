using System.Runtime.CompilerServices;

namespace Nabla.Kernels;

/// <summary>
/// Single-precision general matrix multiply, row-major: C = op(A)·op(B) + β·C, where op(X) = Xᵀ when the
/// matching flag is set. op(A) is m×k, op(B) is k×n, C is m×n; lda/ldb/ldc are row strides of the stored matrices.
/// </summary>
/// <remarks>
/// BLIS-style: op(B) is packed into kc×nc blocks of NR-wide micro-panels, op(A) into mc×kc blocks of MR-high
/// micro-panels (transposes are absorbed by the packing), and a register-blocked micro-kernel computes each MR×NR
/// tile of C: 8×32 with AVX-512 (16 Vector512 accumulators), else 6×16 with AVX2/FMA (12 Vector256 accumulators)
/// or portable Vector128 code — see <see cref="Kernel"/>. With AVX-512 a non-transposed op(B) of a product with few rows is read in place.
/// Large problems split the rows of C (or, when C is short, its columns) over the calling thread and persistent
/// workers of the <see cref="WorkerPool"/>, each packing its own panels. Small problems take a direct loop without packing.
/// </remarks>
[SkipLocalsInit]
public static unsafe partial class Gemm
{
    static GemmKernel kernel = NablaSettings.Current.GemmKernel;

    /// <summary>
    /// The micro-kernel products use (default: <c>NABLA_GEMM_KERNEL</c>, else the widest the CPU runs natively). Setting
    /// one the CPU cannot run throws <see cref="PlatformNotSupportedException"/>. Products already running keep theirs.
    /// </summary>
    public static GemmKernel Kernel
    {
        get => kernel;
        set
        {
            if (!Enum.IsDefined(value)) throw new ArgumentOutOfRangeException(nameof(value), $"Gemm.Kernel: unknown kernel {value}");
            if (!NablaSettings.IsSupported(value)) throw new PlatformNotSupportedException($"Gemm.Kernel: this CPU does not run the {value} micro-kernel");
            kernel = value;
        }
    }

    /// <summary>C = op(A)·op(B) + β·C (row-major). With β = 0, C is overwritten (its old values are never read).</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, float beta = 0f)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0) { ScaleC(m, n, pc, ldc, beta); return; }
            long work = (long)m * n * k;
            if (work < ParallelThresholds.SmallGemmWork) SmallGemm(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
            else if (work < ParallelThresholds.GemmWork || WorkerPool.Threads == 1) PackedGemm(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
            else
            {
                var plan = MakePlan(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta, WorkerPool.Threads);
                if (!WorkerPool.TryRun(&RunTasks, &plan, plan.Total - 1, "Sgemm")) PackedGemm(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
            }
        }
    }

    static void Validate(bool transA, bool transB, int m, int n, int k, int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"Sgemm: sizes must be non-negative, got m={m}, n={n}, k={k}.");
        // stored shapes: A is m×k (k×m when transposed), B is k×n (n×k), C is m×n
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        Check("a", "lda", aRows, aCols, aLen, lda, transA);
        Check("b", "ldb", bRows, bCols, bLen, ldb, transB);
        Check("c", "ldc", m, n, cLen, ldc, false);

        static void Check(string name, string ldName, int rows, int cols, int len, int ld, bool trans)
        {
            if (rows == 0 || cols == 0) return;
            if (ld < cols)
                throw new ArgumentException($"Sgemm: {ldName}={ld} is smaller than the {cols} columns of the stored {rows}×{cols} matrix {name}{(trans ? " (transposed)" : "")}.", ldName);
            long need = (long)(rows - 1) * ld + cols;
            if (len < need)
                throw new ArgumentException($"Sgemm: {name} has {len} elements, but a {rows}×{cols} matrix with row stride {ld} needs {need}.", name);
        }
    }

    /// <summary>C = β·C for k = 0 (β = 0 writes zeros).</summary>
    static void ScaleC(int m, int n, float* c, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }
}
