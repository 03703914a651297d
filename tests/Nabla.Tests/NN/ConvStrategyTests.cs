using Nabla.Kernels;
using Nabla.NN;
using Nabla.Tests.Support;

namespace Nabla.Tests;

/// <summary>
/// Each convolution strategy against the im2col reference, per GEMM kernel, on batches big enough to be split over the
/// threads and into several chunks (10 images of 12×24×24: over the 2·10⁶-flop batch threshold), forward and backward.
/// </summary>
[Collection(KernelSelection.Name)]
public class ConvStrategyTests
{
    static (float[] y, float[] gx, float[] gw, float[] gb) Run(int k, int stride, int padding, int groups, bool transposed)
    {
        var gen = new Generator(11);
        int n = 10, cin = 12, cout = 8, hw = 24;
        var x = Tensor.Randn(gen, n, cin, hw, hw); x.RequiresGrad = true;
        var w = (transposed ? Tensor.Randn(gen, cin, cout / groups, k, k) : Tensor.Randn(gen, cout, cin / groups, k, k)) * 0.2f;
        w = w.Detach(); w.RequiresGrad = true;
        var b = Tensor.Randn(gen, cout).Detach(); b.RequiresGrad = true;
        var y = transposed ? Functional.ConvTranspose2d(x, w, b, stride, padding, groups: groups) : Functional.Conv2d(x, w, b, stride, padding, groups: groups);
        var gy = Tensor.Randn(gen, y.Shape);
        (y * gy).Sum().Backward();
        return (y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray());
    }

    static void Close(float[] want, float[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4f * (1 + Math.Abs(want[i])), $"{what}[{i}]: {got[i]} vs {want[i]}");
    }

    static void AgainstIm2Col(GemmKernel kernel) => KernelSelection.With(kernel, () =>
    {
        foreach (var (k, s, p, groups, transposed) in new[] { (3, 1, 1, 1, false), (3, 2, 1, 1, false), (1, 1, 0, 1, false), (5, 1, 2, 1, false),
                     (3, 1, 1, 4, false), (4, 2, 1, 1, true), (3, 1, 1, 2, true) })
        {
            var previous = Functional.ConvAlgorithm;
            (float[] y, float[] gx, float[] gw, float[] gb) want;
            try { Functional.ConvAlgorithm = ConvAlgorithm.Im2Col; want = Run(k, s, p, groups, transposed); }
            finally { Functional.ConvAlgorithm = previous; }
            var got = Run(k, s, p, groups, transposed);
            string what = $"{kernel} k={k} s={s} p={p} groups={groups} transposed={transposed}";
            Close(want.y, got.y, what + " y"); Close(want.gx, got.gx, what + " ∂x");
            Close(want.gw, got.gw, what + " ∂W"); Close(want.gb, got.gb, what + " ∂b");
        }
    });

    /// <summary>Strided forward passes over the input's stride phases (and their ∂x) against im2col: odd sizes, no
    /// padding, padding beyond a phase, unequal strides, stride 3, dilation with stride, a kernel smaller than the stride.</summary>
    static void StridedAgainstIm2Col(GemmKernel kernel) => KernelSelection.With(kernel, () =>
    {
        foreach (var (kh, kw, sh, sw, ph, pw, dh, dw, hw) in new[] { (3, 3, 2, 2, 0, 0, 1, 1, 23), (5, 5, 2, 2, 2, 2, 1, 1, 24), (3, 3, 3, 3, 1, 1, 1, 1, 23),
                     (3, 3, 2, 1, 1, 1, 1, 1, 21), (3, 5, 1, 2, 1, 2, 1, 1, 22), (3, 3, 2, 2, 2, 2, 2, 2, 24), (1, 1, 2, 2, 0, 0, 1, 1, 23), (2, 2, 3, 3, 1, 0, 1, 1, 25) })
        {
            (float[] y, float[] gx, float[] gw, float[] gb) RunOne()
            {
                var gen = new Generator(5);
                var x = Tensor.Randn(gen, 3, 5, hw, hw + 1); x.RequiresGrad = true;
                var w = (Tensor.Randn(gen, 7, 5, kh, kw) * 0.2f).Detach(); w.RequiresGrad = true;
                var b = Tensor.Randn(gen, 7).Detach(); b.RequiresGrad = true;
                var y = Functional.Conv2d(x, w, b, (sh, sw), (ph, pw), (dh, dw));
                (y * Tensor.Randn(gen, y.Shape)).Sum().Backward();
                return (y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray());
            }
            var previous = Functional.ConvAlgorithm;
            (float[] y, float[] gx, float[] gw, float[] gb) want;
            try { Functional.ConvAlgorithm = ConvAlgorithm.Im2Col; want = RunOne(); }
            finally { Functional.ConvAlgorithm = previous; }
            var got = RunOne();
            string what = $"{kernel} k=({kh},{kw}) s=({sh},{sw}) p=({ph},{pw}) d=({dh},{dw}) {hw}×{hw + 1}";
            Close(want.y, got.y, what + " y"); Close(want.gx, got.gx, what + " ∂x");
            Close(want.gw, got.gw, what + " ∂W"); Close(want.gb, got.gb, what + " ∂b");
        }
    });

    [KernelFact(GemmKernel.Avx512)] public void Avx512StridedForwardMatchesIm2Col() => StridedAgainstIm2Col(GemmKernel.Avx512);
    [KernelFact(GemmKernel.Avx2)] public void Avx2StridedForwardMatchesIm2Col() => StridedAgainstIm2Col(GemmKernel.Avx2);

    [KernelFact(GemmKernel.Avx512)] public void Avx512StrategiesMatchIm2Col() => AgainstIm2Col(GemmKernel.Avx512);
    [KernelFact(GemmKernel.Avx2)] public void Avx2StrategiesMatchIm2Col() => AgainstIm2Col(GemmKernel.Avx2);
    [KernelFact(GemmKernel.Portable)] public void PortableStrategiesMatchIm2Col() => AgainstIm2Col(GemmKernel.Portable);

    [KernelFact(GemmKernel.Avx2)]
    public void ChoiceAndReason() => KernelSelection.With(GemmKernel.Avx2, () =>
    {
        var same = new ConvGeometry(8, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 28, 28);
        var strided = same with { SH = 2, SW = 2, OH = 14, OW = 14 };
        var pointwise = same with { KH = 1, KW = 1, PH = 0, PW = 0 };
        Assert.Equal(ConvStrategyKind.ImplicitGemm, ConvStrategy.Choose(same, 1, transposed: false));
        Assert.Contains("implicit GEMM", ConvStrategy.Explain(same, 1, false));
        Assert.Equal(ConvStrategyKind.ImplicitGemm, ConvStrategy.Choose(strided, 1, false));
        Assert.Contains("stride (2, 2) forward over the input's 4 stride phases, ∂x as 4 stride-1 sub-pixel products", ConvStrategy.Explain(strided, 1, false));
        Assert.Equal(ConvStrategyKind.ImplicitGemm, ConvStrategy.Choose(strided with { DH = 2, DW = 2 }, 1, false));
        Assert.Contains("∂x by the col2im fold (dilation > 1)", ConvStrategy.Explain(strided with { DH = 2, DW = 2 }, 1, false));
        Assert.Equal(ConvStrategyKind.Im2Col, ConvStrategy.Choose(pointwise, 1, false));
        Assert.Equal(ConvStrategyKind.Grouped, ConvStrategy.Choose(same, 4, false));
        Assert.Equal(ConvStrategyKind.ImplicitGemm, ConvStrategy.Choose(strided, 1, transposed: true));
        Assert.Contains("4 stride-1 sub-pixel products", ConvStrategy.Explain(strided, 1, true));
        Assert.Equal(ConvStrategyKind.Im2Col, ConvStrategy.Choose(strided with { DH = 2, DW = 2 }, 1, transposed: true));
        Assert.Contains("col2im fold", ConvStrategy.Explain(strided with { DH = 2, DW = 2 }, 1, true));
        KernelSelection.With(GemmKernel.Portable, () =>
        {
            Assert.Equal(ConvStrategyKind.Im2Col, ConvStrategy.Choose(same, 1, false));
            Assert.Contains("no row-table product", ConvStrategy.Explain(same, 1, false));
        });
    });
}
