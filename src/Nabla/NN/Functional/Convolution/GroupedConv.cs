using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>
/// The grouped strategy (groups &gt; 1): image by image and group by group, col = im2col(x_g) and y_g = W_g·col
/// (a transposed convolution: col = W_gᵀ·x_g, y_g = col2im(col)), the images split over the cores in contiguous
/// ranges; a 1×1, stride-1 kernel multiplies the image itself. Backward per group: ∂W_g += ∂y_g·colᵀ and
/// ∂x_g = col2im(W_gᵀ·∂y_g) (transposed: col = im2col(∂y_g), ∂x_g = W_g·col, ∂W_g += x_g·colᵀ).
/// </summary>
internal static class GroupedConv
{
    /// <summary>Conv2d with groups &gt; 1.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, int groups)
    {
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
            var grads = new ConvGrads(x, weight, bias, workers);
            bool needX = grads.NeedX, needW = grads.NeedW;
            float[]? gx = grads.Gx;
            if (needX || needW)
            {
                ImageBatch.For(N, workers, (n0, n1, w) =>
                {
                    float[]? col = direct || !needW ? null : ImageBatch.Rent(K * L);
                    float[]? dcol = direct || !needX ? null : ImageBatch.Rent(K * L);
                    float[]? acc = null;
                    if (needW) acc = grads.GwFor(w);
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
            grads.Finish(gy, N, Cout, L);
        });
    }

    /// <summary>ConvTranspose2d with groups &gt; 1.</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, int groups)
    {
        int N = x.shape[0], Cin = x.shape[1], cinG = Cin / groups, coutG = weight.shape[1], Cout = coutG * groups;
        int K = geo.Rows, HWin = geo.Cols, OHW = geo.H * geo.W; // col is [coutG·kh·kw, H·W]; the folded image is the output
        bool direct = geo.IsPointwise && OHW == HWin;
        var y = TensorScope.Zeroed(N * Cout * OHW);
        var xd = x.data; var wd = weight.data; var bd = bias?.data;
        double flops = 2.0 * N * Cin * K * HWin;
        int workers = ImageBatch.Workers(N, flops, (long)cinG * K * HWin);

        ImageBatch.For(N, workers, (n0, n1, _) =>
        {
            float[]? col = direct ? null : ImageBatch.Rent(K * HWin);
            try
            {
                for (int n = n0; n < n1; n++)
                {
                    var yn = y.AsSpan(n * Cout * OHW, Cout * OHW);
                    if (bd != null) for (int o = 0; o < Cout; o++) yn.Slice(o * OHW, OHW).Fill(bd[o]);
                    for (int g = 0; g < groups; g++)
                    {
                        var xg = xd.AsSpan((n * Cin + g * cinG) * HWin, cinG * HWin);
                        var wg = wd.AsSpan(g * cinG * K, cinG * K);          // [cinG, coutG·kh·kw]
                        var yg = yn.Slice(g * coutG * OHW, coutG * OHW);
                        if (direct) Gemm.Sgemm(true, false, K, HWin, cinG, wg, K, xg, HWin, yg, HWin, beta: 1f);
                        else
                        {
                            var c = col.AsSpan(0, K * HWin);
                            Gemm.Sgemm(true, false, K, HWin, cinG, wg, K, xg, HWin, c, HWin);
                            Im2Col.Fold(geo, c, yg);
                        }
                    }
                }
            }
            finally { ImageBatch.Return(col); }
        });

        var result = new Tensor(y, N, Cout, geo.H, geo.W);
        var inputs = bias != null ? new[] { x, weight, bias } : new[] { x, weight };
        return result.Record("ConvTranspose2d", inputs, gy =>
        {
            var grads = new ConvGrads(x, weight, bias, workers);
            bool needX = grads.NeedX, needW = grads.NeedW;
            float[]? gx = grads.Gx;
            if (needX || needW)
            {
                ImageBatch.For(N, workers, (n0, n1, w) =>
                {
                    float[]? col = direct ? null : ImageBatch.Rent(K * HWin);
                    float[]? acc = null;
                    if (needW) acc = grads.GwFor(w);
                    try
                    {
                        for (int n = n0; n < n1; n++)
                        {
                            for (int g = 0; g < groups; g++)
                            {
                                var gyg = gy.AsSpan((n * Cout + g * coutG) * OHW, coutG * OHW);
                                ReadOnlySpan<float> c;
                                if (direct) c = gyg;
                                else { Im2Col.Unfold(geo, gyg, col); c = col.AsSpan(0, K * HWin); }
                                int xo = (n * Cin + g * cinG) * HWin;
                                var wg = wd.AsSpan(g * cinG * K, cinG * K);
                                if (needX) Gemm.Sgemm(false, false, cinG, HWin, K, wg, K, c, HWin, gx.AsSpan(xo, cinG * HWin), HWin);
                                if (needW) Gemm.Sgemm(false, true, cinG, K, HWin, xd.AsSpan(xo, cinG * HWin), HWin, c, HWin, acc.AsSpan(g * cinG * K, cinG * K), K, beta: 1f);
                            }
                        }
                    }
                    finally { ImageBatch.Return(col); }
                });
            }
            grads.Finish(gy, N, Cout, OHW);
        });
    }
}
