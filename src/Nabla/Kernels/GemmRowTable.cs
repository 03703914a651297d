namespace Nabla.Kernels;

/// <summary>A row-major [m×k] matrix A packed once for <see cref="Gemm.SgemmRowTable"/> with one micro-kernel's tile.</summary>
public sealed class RowTablePackedA
{
    internal RowTablePackedA(float[] data, GemmKernel kernel, int m, int k) { Data = data; Kernel = kernel; M = m; K = k; }
    internal float[] Data { get; }
    /// <summary>The kernel whose tile the panels have (the product must use the same one).</summary>
    public GemmKernel Kernel { get; }
    public int M { get; }
    public int K { get; }
}

public static unsafe partial class Gemm
{
    /// <summary>Whether <see cref="SgemmRowTable"/> runs with the current <see cref="Kernel"/> (AVX-512 or AVX2).</summary>
    internal static bool RowTableSupported => Kernel is GemmKernel.Avx512 or GemmKernel.Avx2;

    /// <summary>
    /// A row-major [m×k] matrix A packed once, block by block, in the order <see cref="SgemmRowTable"/> reads it with the
    /// current <see cref="Kernel"/>, so that many products with the same A (a convolution's weights, image after image)
    /// pack it only once.
    /// </summary>
    internal static RowTablePackedA PackRowTableA(int m, int k, ReadOnlySpan<float> a, int lda)
    {
        if (m <= 0 || k <= 0) throw new ArgumentOutOfRangeException(nameof(m), $"PackRowTableA: sizes must be positive, got m={m}, k={k}");
        var kernel = Kernel;
        if (!RowTableSupported) throw new PlatformNotSupportedException($"PackRowTableA: the {kernel} kernel has no row-table product");
        int MR = Tile(kernel).MR;
        var (kcMax, mcMax) = RowTableBlocks(kernel, m, k);
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
        return new RowTablePackedA(packed, kernel, m, k);
    }

    static (int kcMax, int mcMax) RowTableBlocks(GemmKernel kernel, int m, int k)
    {
        var (KC, MC) = Blocks(kernel);
        return (CeilDiv(k, CeilDiv(k, KC)), Math.Min(MC, RoundUp(m, Tile(kernel).MR)));
    }

    /// <summary>
    /// C[m×n] (row stride <paramref name="ldc"/>) = A · B, with A given packed by <see cref="PackRowTableA"/> and B by a
    /// row table: B[p, j] = b[off[p] + j], every row read in place (never packed). Every b + off[p] must be readable for
    /// RoundUp(n, 32) floats (the last micro-panel's columns past n are computed and dropped). A product of at least
    /// <see cref="ParallelThresholds.RowTableWork"/> splits its columns over the <see cref="WorkerPool"/> (one image at batch 1
    /// uses every core); called from inside a pool job it runs on the calling thread.
    /// </summary>
    /// <remarks>With <paramref name="wholeTiles"/>, C is scratch with room for whole micro-tiles — <see cref="RowTableGridRows"/>
    /// rows and ldc ≥ <see cref="RowTableGridColumns"/> — and every tile is stored whole (the rows and columns past m and n
    /// get values that are never read), so no partial tile goes through a temporary.</remarks>
    internal static void SgemmRowTable(int n, RowTablePackedA packedA, float* b, int* off, float* c, int ldc, bool wholeTiles = false)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"SgemmRowTable: n must be positive, got {n}");
        int NR = Tile(packedA.Kernel).NR, threads = WorkerPool.Threads;
        long work = (long)packedA.M * n * packedA.K;
        int parts = threads > 1 && work >= ParallelThresholds.RowTableWork ? Math.Min(2 * threads, CeilDiv(n, NR)) : 1;
        if (wholeTiles && ldc < RowTableGridColumns(n)) throw new ArgumentException($"SgemmRowTable: whole tiles need ldc ≥ {RowTableGridColumns(n)}, got {ldc}");
        if (parts <= 1) { RowTableColumns(0, n, packedA, b, off, c, ldc, wholeTiles); return; }
        int panels = CeilDiv(n, NR);
        nint pb = (nint)b, po = (nint)off, pc = (nint)c;
        WorkerPool.For(parts, part =>
        {
            int j0 = (int)((long)panels * part / parts) * NR, j1 = Math.Min(n, (int)((long)panels * (part + 1) / parts) * NR);
            if (j1 > j0) RowTableColumns(j0, j1, packedA, (float*)pb, (int*)po, (float*)pc, ldc, wholeTiles);
        });
    }

    /// <summary>Rows of a whole-tile C for <paramref name="m"/> rows of A: m rounded up to 24 (a multiple of every kernel's tile height).</summary>
    internal static int RowTableGridRows(int m) => RoundUp(m, 24);

    /// <summary>Row stride of a whole-tile C for <paramref name="n"/> columns: n rounded up to 32 (a multiple of every tile width).</summary>
    internal static int RowTableGridColumns(int n) => RoundUp(n, 32);

    /// <summary>Columns [j0, j1) of <see cref="SgemmRowTable"/>'s product on the calling thread (j0 a multiple of NR).</summary>
    static void RowTableColumns(int j0, int j1, RowTablePackedA packedA, float* b, int* off, float* c, int ldc, bool wholeTiles)
    {
        int m = packedA.M, k = packedA.K;
        var kernel = packedA.Kernel;
        var (MR, NR) = Tile(kernel);
        var (kcMax, mcMax) = RowTableBlocks(kernel, m, k);
        bool v512 = kernel == GemmKernel.Avx512;
        fixed (float* pp = packedA.Data)
        {
            float* ap = pp;
            for (int ic = 0; ic < m; ic += mcMax)
            {
                int mc = Math.Min(mcMax, m - ic);
                for (int pc = 0; pc < k; pc += kcMax)
                {
                    int kc = Math.Min(kcMax, k - pc), mode = pc == 0 ? Store : Accumulate;
                    for (int jr = j0; jr < j1; jr += NR)
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            float* a = ap + (long)ir * kc, cc = c + (long)(ic + ir) * ldc + jr;
                            int real = Math.Min(MR, mc - ir), mr = wholeTiles ? MR : real, nr = wholeTiles ? NR : Math.Min(NR, j1 - jr);
                            if (v512) Kernel512(kc, a, b + jr, off + pc, cc, ldc, mr, nr, mode, 0f);
                            else KernelAvxRows(kc, a, b + jr, off + pc, cc, ldc, real, mr, nr, mode, 0f);
                        }
                    ap += (long)RoundUp(mc, MR) * kc;
                }
            }
        }
    }
}
