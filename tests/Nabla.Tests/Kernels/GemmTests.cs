using Nabla.Kernels;

namespace Nabla.Tests;

public class GemmTests
{
    /// <summary>Stored matrices with padded strides, a naive double reference, and a relative-error check.</summary>
    internal static void CheckCase(bool transA, bool transB, int m, int n, int k, float beta, int pad = 0, int seed = 1)
    {
        var rng = new Random(seed * 7919 + m * 31 + n * 17 + k);
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + 2 * pad, ldc = n + 3 * pad;
        var a = Fill(rng, Math.Max(0, aRows * lda));
        var b = Fill(rng, Math.Max(0, bRows * ldb));
        var c = Fill(rng, Math.Max(0, m * ldc));
        if (beta == 0f) for (int i = 0; i < c.Length; i++) c[i] = float.NaN;  // β = 0 must not read C
        var c0 = (float[])c.Clone();

        Gemm.Sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta);

        // op(A) rows and op(B) columns as contiguous doubles
        var oa = new double[m * k]; var ob = new double[n * k];
        for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) oa[i * k + p] = transA ? a[p * lda + i] : a[i * lda + p];
        for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) ob[j * k + p] = transB ? b[j * ldb + p] : b[p * ldb + j];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, mag = 0;
                for (int p = 0, ia = i * k, jb = j * k; p < k; p++)
                {
                    double xy = oa[ia + p] * ob[jb + p];
                    s += xy; mag += Math.Abs(xy);
                }
                if (beta != 0f) { s += beta * (double)c0[i * ldc + j]; mag += Math.Abs(beta * (double)c0[i * ldc + j]); }
                double got = c[i * ldc + j];
                double tol = 1e-5 * (mag + 1) * Math.Sqrt(k + 1);
                Assert.True(Math.Abs(got - s) <= tol,
                    $"transA={transA} transB={transB} m={m} n={n} k={k} beta={beta} pad={pad}: C[{i},{j}] = {got}, expected {s}");
            }
        // padding between rows of C is untouched
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
                Assert.Equal(c0[i * ldc + j], c[i * ldc + j]);
    }

    static float[] Fill(Random rng, int len)
    {
        var x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    public static IEnumerable<object[]> Transposes() =>
        new[] { (false, false), (false, true), (true, false), (true, true) }.Select(t => new object[] { t.Item1, t.Item2 });

    [Theory, MemberData(nameof(Transposes))]
    public void SmallAndOddShapes(bool transA, bool transB)
    {
        int[][] shapes =
        {
            new[] { 1, 1, 1 }, new[] { 1, 7, 3 }, new[] { 5, 1, 9 }, new[] { 3, 4, 1 }, new[] { 2, 17, 5 },
            new[] { 7, 9, 33 }, new[] { 1, 40, 20 }, new[] { 40, 1, 20 }, new[] { 13, 17, 11 }, new[] { 1, 1, 500 },
        };
        foreach (var s in shapes)
            foreach (float beta in new[] { 0f, 1f, -0.5f })
                CheckCase(transA, transB, s[0], s[1], s[2], beta, pad: 0);
    }

    [Theory, MemberData(nameof(Transposes))]
    public void PackedPathEdgesAndStrides(bool transA, bool transB)
    {
        // above the small-problem threshold; sizes that are not multiples of the 6×16 (AVX2, portable) or 8×32 (AVX-512) tile,
        // strided storage, k not a multiple of the 8-column transposes
        int[][] shapes =
        {
            new[] { 37, 45, 29 }, new[] { 6, 16, 512 }, new[] { 7, 17, 513 }, new[] { 1, 300, 200 }, new[] { 300, 1, 200 },
            new[] { 65, 33, 1 }, new[] { 50, 70, 40 }, new[] { 2, 1000, 30 }, new[] { 130, 5, 77 },
            new[] { 12, 32, 300 }, new[] { 13, 33, 257 }, new[] { 23, 63, 19 }, new[] { 25, 95, 260 }, new[] { 11, 31, 9 },
        };
        foreach (var s in shapes)
            foreach (float beta in new[] { 0f, 1f, 2.5f })
                CheckCase(transA, transB, s[0], s[1], s[2], beta, pad: 3);
    }

    [Theory, MemberData(nameof(Transposes))]
    public void LargeThreadedProduct(bool transA, bool transB)
    {
        if (!transA && !transB) CheckCase(transA, transB, 300, 257, 513, 0f, pad: 1);
        else CheckCase(transA, transB, 150, 129, 260, -1f, pad: 1);
        CheckCase(transA, transB, 97, 211, 130, 0.75f, pad: 0);
    }

    [Fact]
    public void WideShortProductSplitsColumns()
    {
        CheckCase(false, false, 4, 2000, 200, 0f);
        CheckCase(true, true, 3, 1500, 300, 1f, pad: 2);
    }

    [Fact]
    public void EmptySizes()
    {
        // k = 0: C = β·C
        var c = new float[] { 1, 2, 3, 4, 5, 6 };
        Gemm.Sgemm(false, false, 2, 3, 0, ReadOnlySpan<float>.Empty, 0, ReadOnlySpan<float>.Empty, 3, c, 3, beta: 2f);
        Assert.Equal(new float[] { 2, 4, 6, 8, 10, 12 }, c);
        Gemm.Sgemm(true, true, 2, 3, 0, ReadOnlySpan<float>.Empty, 2, ReadOnlySpan<float>.Empty, 0, c, 3);
        Assert.All(c, v => Assert.Equal(0f, v));
        // m = 0 or n = 0: nothing is written
        var d = new float[] { 7 };
        Gemm.Sgemm(false, false, 0, 1, 4, ReadOnlySpan<float>.Empty, 4, new float[4], 1, d, 1);
        Gemm.Sgemm(false, false, 1, 0, 4, new float[4], 4, ReadOnlySpan<float>.Empty, 0, d, 0);
        Assert.Equal(7f, d[0]);
    }

    [Fact]
    public void RepeatedCallsAndConcurrentCallersAgree()
    {
        const int n = 120;
        var rng = new Random(5);
        var a = Fill(rng, n * n); var b = Fill(rng, n * n);
        var expected = new float[n * n];
        Gemm.Sgemm(false, false, n, n, n, a, n, b, n, expected, n);
        Parallel.For(0, 8, _ =>
        {
            var c = new float[n * n];
            for (int r = 0; r < 5; r++)
            {
                Gemm.Sgemm(false, false, n, n, n, a, n, b, n, c, n);
                Assert.Equal(expected, c);
            }
        });
    }

    [Fact]
    public void ArgumentErrors()
    {
        var x = new float[12];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 2, 2, x, 2, x, 2, x, 2));
        Assert.Contains("Sgemm", e.Message);
        var lda = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, x, 2, x, 2, x, 2));
        Assert.Contains("lda", lda.Message);
        Assert.Contains("Sgemm", lda.Message);
        Assert.Contains("ldb", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, 2, 3, 2, x, 2, x, 1, x, 3)).Message);
        Assert.Contains("ldc", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 3, 2, x, 2, x, 3, x, 2)).Message);
        // buffers too short for the given shape and strides
        Assert.Contains("a has", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 2, 4, x, 4, x, 2, new float[8], 2)).Message);
        Assert.Contains("b has", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(true, false, 2, 2, 7, new float[14], 2, x, 2, x, 2)).Message);
        Assert.Contains("c has", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 4, 2, x, 2, new float[8], 4, new float[11], 4)).Message);
    }
}
