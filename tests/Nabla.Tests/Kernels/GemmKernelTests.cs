using Nabla.Kernels;
using Nabla.Tests.Support;

namespace Nabla.Tests;

/// <summary>
/// Every GEMM micro-kernel against a double-precision reference, in the same run: the AVX-512, AVX2 and portable
/// paths each take the small, packed (edge tiles, strides, k blocks), threaded and column-split products. A kernel this
/// CPU does not run is reported as skipped.
/// </summary>
[Collection(KernelSelection.Name)]
public class GemmKernelTests
{
    static void AllProducts(GemmKernel kernel) => KernelSelection.With(kernel, () =>
    {
        Assert.Equal(kernel, Gemm.Kernel);
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            foreach (var s in new[] { new[] { 7, 9, 33 }, new[] { 13, 17, 11 }, new[] { 1, 1, 500 } })
                GemmTests.CheckCase(ta, tb, s[0], s[1], s[2], -0.5f);
            foreach (var s in new[] { new[] { 37, 45, 29 }, new[] { 7, 17, 513 }, new[] { 1, 300, 200 }, new[] { 13, 33, 257 }, new[] { 25, 95, 260 } })
                foreach (float beta in new[] { 0f, 1f, 2.5f })
                    GemmTests.CheckCase(ta, tb, s[0], s[1], s[2], beta, pad: 3);
            GemmTests.CheckCase(ta, tb, 150, 129, 260, 0.75f, pad: 1);   // threaded: m·n·k above 96³
        }
        GemmTests.CheckCase(false, false, 32, 40, 50, 0.5f);               // last A panel 2 rows (the 2-row AVX2 tile)
        GemmTests.CheckCase(true, false, 10, 33, 70, 1f);                  // last A panel 4 rows
        GemmTests.CheckCase(false, false, 4, 2000, 200, 0f);               // few rows: columns split between threads
        GemmTests.CheckCase(true, true, 3, 1500, 300, 1f, pad: 2);
    });

    [KernelFact(GemmKernel.Avx512)] public void Avx512Kernel() => AllProducts(GemmKernel.Avx512);
    [KernelFact(GemmKernel.Avx2)] public void Avx2Kernel() => AllProducts(GemmKernel.Avx2);
    [KernelFact(GemmKernel.Portable)] public void PortableKernel() => AllProducts(GemmKernel.Portable);

    [Fact]
    public void SettingsChooseTheKernelAndReportBadValues()
    {
        var env = new Dictionary<string, string?> { ["NABLA_GEMM_KERNEL"] = "Portable", ["NABLA_THREADS"] = "3", ["NABLA_CONV"] = "im2col" };
        var s = NablaSettings.FromEnvironment(n => env.GetValueOrDefault(n));
        Assert.Equal(GemmKernel.Portable, s.GemmKernel);
        Assert.Equal(3, s.Threads);
        Assert.Equal(ConvAlgorithm.Im2Col, s.Conv);
        var warnings = new StringWriter();
        env = new() { ["NABLA_GEMM_KERNEL"] = "sse9", ["NABLA_THREADS"] = "zero", ["NABLA_CONV_CHUNK"] = "-5" };
        s = NablaSettings.FromEnvironment(n => env.GetValueOrDefault(n), warnings);
        Assert.Equal(NablaSettings.BestKernel, s.GemmKernel);
        Assert.Equal(new NablaSettings().Threads, s.Threads);
        Assert.Contains("NABLA_GEMM_KERNEL='sse9'", warnings.ToString());
        Assert.Contains("NABLA_THREADS='zero'", warnings.ToString());
        Assert.Contains("NABLA_CONV_CHUNK='-5'", warnings.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkerPool.Threads = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Kernel = (GemmKernel)42);
    }

    [Fact]
    public void OneThreadRunsEverythingOnTheCaller() => KernelSelection.WithThreads(1, () =>
    {
        int caller = Environment.CurrentManagedThreadId, others = 0;
        WorkerPool.For(64, _ => { if (Environment.CurrentManagedThreadId != caller) Interlocked.Increment(ref others); });
        Assert.Equal(0, others);
        GemmTests.CheckCase(false, false, 150, 129, 260, 0f);
    });

    /// <summary>The row-table product (a convolution's B rows read through offsets) for every row count of the last A
    /// micro-panel — the 6-row tile and the 4- and 2-row ones that skip its zero padding — stored partially and as whole
    /// tiles, against a double-precision reference.</summary>
    static unsafe void RowTableProducts(GemmKernel kernel) => KernelSelection.With(kernel, () =>
    {
        var rng = new Random(5);
        foreach (int m in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 32, 64 })
            foreach (int k in new[] { 1, 7, 288 })
                foreach (bool whole in new[] { false, true })
                {
                    int n = 37, span = k + n + 64;
                    var a = new float[m * k]; var src = new float[span + 64];
                    for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
                    for (int i = 0; i < src.Length; i++) src[i] = (float)(rng.NextDouble() * 2 - 1);
                    var off = new int[k];
                    for (int p = 0; p < k; p++) off[p] = (p * 7) % (k + 1);
                    int ldc = whole ? Gemm.RowTableGridColumns(n) : n, rows = whole ? Gemm.RowTableGridRows(m) : m;
                    var c = new float[rows * ldc];
                    var packed = Gemm.PackRowTableA(m, k, a, k);
                    fixed (float* pb = src, pc = c)
                    fixed (int* po = off)
                        Gemm.SgemmRowTable(n, packed, pb, po, pc, ldc, whole);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                        {
                            double want = 0;
                            for (int p = 0; p < k; p++) want += (double)a[i * k + p] * src[off[p] + j];
                            Assert.True(Math.Abs(want - c[i * ldc + j]) <= 1e-4 * (1 + Math.Sqrt(k)), $"{kernel} m={m} k={k} whole={whole} C[{i},{j}] = {c[i * ldc + j]}, want {want}");
                        }
                }
    });

    [KernelFact(GemmKernel.Avx512)] public void Avx512RowTableProducts() => RowTableProducts(GemmKernel.Avx512);
    [KernelFact(GemmKernel.Avx2)] public void Avx2RowTableProducts() => RowTableProducts(GemmKernel.Avx2);
}
