using Nabla.Kernels;
using Nabla.Tests.Support;
using Xunit;

namespace Nabla.Tests;

[Collection(KernelSelection.Name)]
public class Im2ColTests
{
    static ConvGeometry Geo(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) =>
        new(c, h, w, kh, kw, sh, sw, ph, pw, dh, dw,
            ConvGeometry.OutSize(h, kh, sh, ph, dh), ConvGeometry.OutSize(w, kw, sw, pw, dw));

    public static TheoryData<int[]> Geometries => new()
    {
        // "same"-width stride-1 shapes take the block-copy path; the others the row-by-row one
        new[] { 2, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1 }, new[] { 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1 },
        new[] { 2, 6, 5, 3, 3, 1, 1, 2, 2, 2, 2 }, new[] { 1, 3, 6, 1, 5, 1, 1, 0, 2, 1, 1 },
        new[] { 1, 5, 2, 3, 3, 1, 1, 3, 1, 1, 1 }, new[] { 3, 2, 1, 3, 3, 1, 1, 1, 1, 1, 1 },
        new[] { 1, 4, 3, 5, 7, 1, 1, 2, 3, 1, 1 }, new[] { 2, 7, 8, 3, 3, 2, 2, 1, 1, 1, 1 },
        new[] { 1, 6, 6, 2, 2, 1, 1, 0, 0, 1, 1 }, new[] { 1, 5, 9, 3, 3, 1, 2, 1, 0, 1, 2 },
        // stride 2 along rows long enough for the vector gathers / scatter-adds (and their scalar tails)
        // 360 rows and (below) 150 output channels: several k and m blocks in the implicit GEMM
        new[] { 40, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1 },
        new[] { 2, 5, 40, 3, 3, 2, 2, 1, 1, 1, 1 }, new[] { 1, 4, 37, 4, 4, 1, 2, 1, 1, 1, 1 }, new[] { 2, 6, 64, 3, 5, 2, 2, 0, 2, 1, 2 },
    };

    [Theory, MemberData(nameof(Geometries))]
    public void UnfoldMatchesDefinitionAndFoldIsItsAdjoint(int[] a)
    {
        var g = Geo(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
        var gen = new Generator(5);
        var x = new float[g.C * g.H * g.W]; gen.FillNormal(x);
        int ld = g.Cols + 3;  // side-by-side blocks: rows farther apart than OH·OW
        var col = new float[g.Rows * ld];
        Array.Fill(col, float.NaN);
        Im2Col.Unfold(g, x, col, ld);
        for (int c = 0; c < g.C; c++)
            for (int ki = 0; ki < g.KH; ki++)
                for (int kj = 0; kj < g.KW; kj++)
                    for (int oh = 0; oh < g.OH; oh++)
                        for (int ow = 0; ow < g.OW; ow++)
                        {
                            int ih = oh * g.SH - g.PH + ki * g.DH, iw = ow * g.SW - g.PW + kj * g.DW;
                            float want = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? x[(c * g.H + ih) * g.W + iw] : 0f;
                            Assert.Equal(want, col[((c * g.KH + ki) * g.KW + kj) * ld + oh * g.OW + ow]);
                        }

        // ⟨Unfold(x), y⟩ = ⟨x, Fold(y)⟩ for any y, in double precision
        var y = new float[g.Rows * ld]; gen.FillNormal(y);
        var fy = new float[x.Length];
        Im2Col.Fold(g, y, fy, ld);
        double lhs = 0, rhs = 0;
        for (int r = 0; r < g.Rows; r++) for (int j = 0; j < g.Cols; j++) lhs += (double)col[r * ld + j] * y[r * ld + j];
        for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * fy[i];
        Assert.Equal(lhs, rhs, 4);
    }

    /// <summary>The stride-1 geometries: those the implicit GEMM computes.</summary>
    public static TheoryData<int[]> StrideOne()
    {
        var d = new TheoryData<int[]>();
        foreach (object[] row in (IEnumerable<object[]>)Geometries)
            if (row[0] is int[] a && a[5] == 1 && a[6] == 1) d.Add(a);
        return d;
    }

    [KernelTheory(GemmKernel.Avx512), MemberData(nameof(StrideOne))]
    public void ImplicitConvAvx512MatchesIm2ColTimesWeights(int[] a) => KernelSelection.With(GemmKernel.Avx512, () => ImplicitConvMatches(a));

    [KernelTheory(GemmKernel.Avx2), MemberData(nameof(StrideOne))]
    public void ImplicitConvAvx2MatchesIm2ColTimesWeights(int[] a) => KernelSelection.With(GemmKernel.Avx2, () => ImplicitConvMatches(a));

    [KernelFact(GemmKernel.Portable)]
    public void PortableKernelHasNoImplicitConv() => KernelSelection.With(GemmKernel.Portable, () =>
    {
        var g = Geo(2, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1);
        Assert.False(ImplicitConv.Supports(g));
        Assert.Throws<PlatformNotSupportedException>(() => ImplicitConv.PackWeights(g, new float[g.Rows], 1));
    });

    static void ImplicitConvMatches(int[] a)
    {
        var g = Geo(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
        Assert.True(ImplicitConv.Supports(g));
        var gen = new Generator(6);
        foreach (int cout in g.C >= 40 ? new[] { 150 } : new[] { 1, 13, 32 })
        {
            var x = new float[g.C * g.H * g.W]; gen.FillNormal(x);
            var w = new float[cout * g.Rows]; gen.FillNormal(w);
            var bias = new float[cout]; gen.FillNormal(bias);
            var col = new float[g.Rows * g.Cols];
            Im2Col.Unfold(g, x, col);
            var want = new float[cout * g.Cols];
            Gemm.Sgemm(false, false, cout, g.Cols, g.Rows, w, g.Rows, col, g.Cols, want, g.Cols);
            for (int o = 0; o < cout; o++) for (int j = 0; j < g.Cols; j++) want[o * g.Cols + j] += bias[o];
            var y = new float[cout * g.Cols];
            var padded = new float[ImplicitConv.PaddedLength(g)]; Array.Fill(padded, float.NaN);
            var grid = new float[ImplicitConv.GridLength(g, cout)];
            ImplicitConv.Forward(g, x, ImplicitConv.PackWeights(g, w, cout), cout, bias, y, padded, grid, ImplicitConv.Offsets(g));
            for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(want[i] - y[i]) <= 1e-4f * (1 + Math.Abs(want[i])), $"cout {cout} at {i}: {y[i]} vs {want[i]}");
        }
    }
}
