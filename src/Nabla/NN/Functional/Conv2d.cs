using Nabla.Kernels;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>The convolution algorithm (default <c>NABLA_CONV</c>, else <see cref="Kernels.ConvAlgorithm.Auto"/>): Im2Col forces
    /// the im2col strategy everywhere (a reference to test the faster ones against).</summary>
    public static ConvAlgorithm ConvAlgorithm { get; set; } = NablaSettings.Current.Conv;

    /// <summary>2-D convolution (cross-correlation, as torch.nn.functional.conv2d) with the same stride, padding and dilation on both axes.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Conv2d(x, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>
    /// 2-D convolution, x [N, Cin, H, W] ⋆ W [Cout, Cin/groups, kh, kw] (+ b [Cout]) → y [N, Cout, OH, OW] with
    /// y[n, o, i, j] = b[o] + Σ_{c, u, v} W[o, c, u, v] · x[n, g·Cin/groups + c, i·s − p + u·d, j·s − p + v·d]
    /// (zero outside the image), OH = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1.
    /// As a product y = W·col with col = im2col(x) [Cin/groups·kh·kw, OH·OW]; backward ∂W += ∂y·colᵀ, ∂x = col2im(Wᵀ·∂y),
    /// ∂b = Σ ∂y. <see cref="ConvStrategy.Choose"/> says which algorithm computes it (implicit GEMM, im2col chunks, grouped) and why.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups = 1)
    {
        var geo = ConvArgs.Check("Conv2d", x, weight, bias, stride, padding, dilation, groups, transposed: false, (0, 0));
        var strategy = ConvStrategy.Choose(geo, groups, transposed: false);
        return strategy switch
        {
            ConvStrategyKind.ImplicitGemm => ImplicitGemmConv.Instance.Conv2d(x, weight, bias, geo),
            ConvStrategyKind.Im2Col => Im2ColConv.Instance.Conv2d(x, weight, bias, geo),
            _ => GroupedConv.Conv2d(x, weight, bias, geo, groups),
        };
    }
}
