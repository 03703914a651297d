using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>2-D convolution (cross-correlation, as torch.nn.functional.conv2d) with the same stride, padding and dilation on both axes.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Conv2d(x, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>
    /// 2-D convolution, x [N, Cin, H, W] ⋆ W [Cout, Cin/groups, kh, kw] (+ b [Cout]) → y [N, Cout, OH, OW] with
    /// y[n, o, i, j] = b[o] + Σ_{c, u, v} W[o, c, u, v] · x[n, g·Cin/groups + c, i·s − p + u·d, j·s − p + v·d]
    /// (zero outside the image), OH = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1.
    /// Each image (and group) is unfolded by im2col into col [Cin/groups·kh·kw, OH·OW] and multiplied: y = W·col.
    /// Backward: ∂W += ∂y·colᵀ, ∂x = col2im(Wᵀ·∂y), ∂b = Σ ∂y. A 1×1 kernel with stride 1 and no padding skips im2col.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation, int groups = 1)
    {
        var geo = ConvArgs.Check("Conv2d", x, weight, bias, stride, padding, dilation, groups, transposed: false, (0, 0));
        if (groups == 1) return ConvBatched.Conv2d(x, weight, bias, geo);
        int N = x.shape[0], Cin = x.shape[1], Cout = weight.shape[0];
        int cinG = Cin / groups, coutG = Cout / groups;
        int K = geo.Rows, L = geo.Cols, HW = geo.H * geo.W;
        bool direct = geo.IsPointwise;
        var y = TensorScope.Zeroed(N * Cout * L);
        var xd = x.data; var wd = weight.data; var bd = bias?.data;
        double flops = 2.0 * N * Cout * K * L;
        int workers = ImageBatch.Workers(N, flops, (long)coutG * K * L);

        ImageBatch.For(N, workers, (n0, n1, _) =>
        {
            float[]? col = direct ? null : ImageBatch.Rent(K * L);
            try
            {
                for (int n = n0; n < n1; n++)
                {
                    var yn = y.AsSpan(n * Cout * L, Cout * L);
                    if (bd != null) for (int o = 0; o < Cout; o++) yn.Slice(o * L, L).Fill(bd[o]);
                    for (int g = 0; g < groups; g++)
                    {
                        var xg = xd.AsSpan((n * Cin + g * cinG) * HW, cinG * HW);
                        ReadOnlySpan<float> c;
                        if (direct) c = xg;
                        else { Im2Col.Unfold(geo, xg, col); c = col.AsSpan(0, K * L); }
                        Gemm.Sgemm(false, false, coutG, L, K, wd.AsSpan(g * coutG * K, coutG * K), K, c, L,
                            yn.Slice(g * coutG * L, coutG * L), L, beta: bd != null ? 1f : 0f);
                    }
                }
            }
            finally { ImageBatch.Return(col); }
        });

        var result = new Tensor(y, N, Cout, geo.OH, geo.OW);
        var inputs = bias != null ? new[] { x, weight, bias } : new[] { x, weight };
        return result.Record("Conv2d", inputs, gy =>
        {
            bool needX = x.TracksGrad, needW = weight.TracksGrad;
            float[]? gx = needX ? TensorScope.Zeroed(x.Size) : null;
            float[]? gw = needW ? TensorScope.Zeroed(weight.Size) : null;
            var gwLocal = new float[]?[workers];
            if (needX || needW)
            {
                ImageBatch.For(N, workers, (n0, n1, w) =>
                {
                    float[]? col = direct || !needW ? null : ImageBatch.Rent(K * L);
                    float[]? dcol = direct || !needX ? null : ImageBatch.Rent(K * L);
                    float[]? acc = null;
                    if (needW) acc = w == 0 ? gw : (gwLocal[w] = TensorScope.Zeroed(weight.Size));
                    try
                    {
                        for (int n = n0; n < n1; n++)
                        {
                            for (int g = 0; g < groups; g++)
                            {
                                var gyg = gy.AsSpan((n * Cout + g * coutG) * L, coutG * L);
                                int xo = (n * Cin + g * cinG) * HW;
                                var wg = wd.AsSpan(g * coutG * K, coutG * K);
                                if (needW)
                                {
                                    ReadOnlySpan<float> c;
                                    if (direct) c = xd.AsSpan(xo, cinG * HW);
                                    else { Im2Col.Unfold(geo, xd.AsSpan(xo, cinG * HW), col); c = col.AsSpan(0, K * L); }
                                    Gemm.Sgemm(false, true, coutG, K, L, gyg, L, c, L, acc.AsSpan(g * coutG * K, coutG * K), K, beta: 1f);
                                }
                                if (needX)
                                {
                                    if (direct)
                                        Gemm.Sgemm(true, false, K, L, coutG, wg, K, gyg, L, gx.AsSpan(xo, cinG * HW), L);
                                    else
                                    {
                                        Gemm.Sgemm(true, false, K, L, coutG, wg, K, gyg, L, dcol.AsSpan(0, K * L), L);
                                        Im2Col.Fold(geo, dcol.AsSpan(0, K * L), gx.AsSpan(xo, cinG * HW));
                                    }
                                }
                            }
                        }
                    }
                    finally { ImageBatch.Return(col); ImageBatch.Return(dcol); }
                });
            }
            ConvArgs.AccumulateGrads(x, gx, weight, gw, gwLocal, bias, gy, N, Cout, L);
        });
    }
}
