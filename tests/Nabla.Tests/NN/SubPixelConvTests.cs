using Nabla.Kernels;
using Nabla.NN;
using Nabla.Tests.Support;

namespace Nabla.Tests;

/// <summary>
/// Transposed convolutions (forward) and strided convolutions (∂x) computed as sub-pixel row-table products against the
/// im2col/col2im reference, on geometries that give every kind of residue class: taps of unequal count per phase
/// (k = 3, s = 2), a phase without taps (k = 1, s = 2), padding beyond a sub-kernel (k = 5, s = 3, p = 4), output
/// padding, odd sizes, non-square strides, stride 1, and one image large enough for its products to be split over the
/// threads.
/// </summary>
[Collection(KernelSelection.Name)]
public class SubPixelConvTests
{
    static readonly (int cin, int cout, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oph, int opw, int n)[] Cases =
    {
        (5, 3, 7, 7, 4, 4, 2, 2, 1, 1, 0, 0, 3),
        (4, 6, 6, 5, 3, 3, 2, 2, 1, 1, 1, 0, 2),
        (3, 2, 5, 6, 1, 1, 2, 2, 0, 0, 1, 1, 2),
        (2, 3, 4, 5, 5, 5, 3, 3, 4, 2, 2, 1, 2),
        (3, 4, 5, 4, 3, 2, 1, 2, 1, 0, 0, 1, 3),
        (3, 3, 6, 6, 3, 3, 1, 1, 1, 1, 0, 0, 2),
        (2, 2, 9, 9, 2, 2, 2, 2, 0, 0, 0, 0, 5),
        (64, 32, 14, 14, 4, 4, 2, 2, 1, 1, 0, 0, 1),   // one image, 4 phases of 32×(14·15+14)×256: split over the threads
    };

    static (float[] y, float[] gx, float[] gw, float[] gb) Transposed((int cin, int cout, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oph, int opw, int n) c)
    {
        var gen = new Generator(7);
        var x = Tensor.Randn(gen, c.n, c.cin, c.h, c.w); x.RequiresGrad = true;
        var wt = (Tensor.Randn(gen, c.cin, c.cout, c.kh, c.kw) * 0.3f).Detach(); wt.RequiresGrad = true;
        var b = Tensor.Randn(gen, c.cout).Detach(); b.RequiresGrad = true;
        var y = Functional.ConvTranspose2d(x, wt, b, (c.sh, c.sw), (c.ph, c.pw), (c.oph, c.opw), (1, 1));
        var gy = Tensor.Randn(gen, y.Shape);
        (y * gy).Sum().Backward();
        return (y.ToArray(), x.Grad!.ToArray(), wt.Grad!.ToArray(), b.Grad!.ToArray());
    }

    /// <summary>A strided convolution whose input is the transposed case's output size: its ∂x is the sub-pixel adjoint.</summary>
    static (float[] y, float[] gx, float[] gw) Strided((int cin, int cout, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oph, int opw, int n) c)
    {
        var gen = new Generator(9);
        int H = (c.h - 1) * c.sh - 2 * c.ph + c.kh + c.oph, W = (c.w - 1) * c.sw - 2 * c.pw + c.kw + c.opw;
        var x = Tensor.Randn(gen, c.n, c.cout, H, W); x.RequiresGrad = true;
        var wt = (Tensor.Randn(gen, c.cin, c.cout, c.kh, c.kw) * 0.3f).Detach(); wt.RequiresGrad = true;
        var y = Functional.Conv2d(x, wt, null, (c.sh, c.sw), (c.ph, c.pw), (1, 1));
        var gy = Tensor.Randn(gen, y.Shape);
        (y * gy).Sum().Backward();
        return (y.ToArray(), x.Grad!.ToArray(), wt.Grad!.ToArray());
    }

    static void Close(float[] want, float[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 2e-4f * (1 + Math.Abs(want[i])), $"{what}[{i}]: {got[i]} vs {want[i]}");
    }

    static T Im2Col<T>(Func<T> f)
    {
        var previous = Functional.ConvAlgorithm;
        try { Functional.ConvAlgorithm = ConvAlgorithm.Im2Col; return f(); }
        finally { Functional.ConvAlgorithm = previous; }
    }

    static void AgainstFold(GemmKernel kernel, int threads) => KernelSelection.With(kernel, () => KernelSelection.WithThreads(threads, () =>
    {
        foreach (var c in Cases)
        {
            string what = $"{kernel}/{threads}t {c}";
            var geo = new ConvGeometry(c.cout, (c.h - 1) * c.sh - 2 * c.ph + c.kh + c.oph, (c.w - 1) * c.sw - 2 * c.pw + c.kw + c.opw,
                c.kh, c.kw, c.sh, c.sw, c.ph, c.pw, 1, 1, c.h, c.w);
            Assert.Equal(ConvStrategyKind.ImplicitGemm, ConvStrategy.Choose(geo, 1, transposed: true));
            var want = Im2Col(() => Transposed(c));
            var got = Transposed(c);
            Close(want.y, got.y, what + " transposed y"); Close(want.gx, got.gx, what + " transposed ∂x");
            Close(want.gw, got.gw, what + " transposed ∂W"); Close(want.gb, got.gb, what + " transposed ∂b");
            var sWant = Im2Col(() => Strided(c));
            var sGot = Strided(c);
            Close(sWant.y, sGot.y, what + " strided y"); Close(sWant.gx, sGot.gx, what + " strided ∂x"); Close(sWant.gw, sGot.gw, what + " strided ∂W");
        }
    }));

    [KernelFact(GemmKernel.Avx2)] public void Avx2SubPixelMatchesFold() { AgainstFold(GemmKernel.Avx2, 1); AgainstFold(GemmKernel.Avx2, 2); }
    [KernelFact(GemmKernel.Avx512)] public void Avx512SubPixelMatchesFold() { AgainstFold(GemmKernel.Avx512, 1); AgainstFold(GemmKernel.Avx512, 2); }

    [KernelFact(GemmKernel.Avx2)]
    public void PlanRejectsBadInput() => KernelSelection.With(GemmKernel.Avx2, () =>
    {
        var g = new ConvGeometry(2, 8, 8, 4, 4, 2, 2, 1, 1, 1, 1, 4, 4);
        Assert.Contains("dilation 1", Assert.Throws<ArgumentException>(() => new SubPixelConv(g with { DH = 2 }, new float[64], 2)).Message);
        Assert.Contains("weights", Assert.Throws<ArgumentException>(() => new SubPixelConv(g, new float[10], 2)).Message);
        var plan = new SubPixelConv(g, new float[64], 2);
        Assert.Contains("shorter", Assert.Throws<ArgumentException>(() => plan.Apply(new float[32], new float[10], default, new float[plan.PaddedLength], new float[plan.GridLength])).Message);
    });
}
