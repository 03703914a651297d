using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>Transposed 2-D convolution with the same stride, padding, output padding and dilation on both axes.</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int outputPadding = 0,
        int dilation = 1, int groups = 1)
        => ConvTranspose2d(x, weight, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), (dilation, dilation), groups);

    /// <summary>
    /// Transposed 2-D convolution (torch.nn.functional.conv_transpose2d), x [N, Cin, H, W], W [Cin, Cout/groups, kh, kw]
    /// → y [N, Cout, OH, OW], OH = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1.
    /// As in the notes, every input pixel x[n, c, i, j] scatters a copy of the whole kernel, scaled by its value,
    /// onto the output at (i·s − p + u·d, j·s − p + v·d) for each tap (u, v), and overlapping copies are summed:
    /// y[n, o, i·s − p + u·d, j·s − p + v·d] += x[n, c, i, j] · W[c, o, u, v] (+ b[o]); taps falling outside are dropped.
    /// That scatter is computed exactly as a GEMM and a fold: per image and group, col = Wᵀ·x
    /// (col [Cout/groups·kh·kw, H·W]: each column holds one input pixel times the whole kernel) then y = col2im(col),
    /// which sums the overlaps. It is the adjoint of Conv2d with the same weight. Backward: col = im2col(∂y),
    /// ∂x = W·col, ∂W += x·colᵀ, ∂b = Σ ∂y. output_padding only enlarges the output (those rows/columns get the bias).
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, (int h, int w) stride, (int h, int w) padding,
        (int h, int w) outputPadding, (int h, int w) dilation, int groups = 1)
    {
        var geo = ConvArgs.Check("ConvTranspose2d", x, weight, bias, stride, padding, dilation, groups, transposed: true, outputPadding);
        if (groups == 1) return ConvBatched.ConvTranspose2d(x, weight, bias, geo);
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
            bool needX = x.TracksGrad, needW = weight.TracksGrad;
            float[]? gx = needX ? TensorScope.Zeroed(x.Size) : null;
            float[]? gw = needW ? TensorScope.Zeroed(weight.Size) : null;
            var gwLocal = new float[]?[workers];
            if (needX || needW)
            {
                ImageBatch.For(N, workers, (n0, n1, w) =>
                {
                    float[]? col = direct ? null : ImageBatch.Rent(K * HWin);
                    float[]? acc = null;
                    if (needW) acc = w == 0 ? gw : (gwLocal[w] = TensorScope.Zeroed(weight.Size));
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
            ConvArgs.AccumulateGrads(x, gx, weight, gw, gwLocal, bias, gy, N, Cout, OHW);
        });
    }
}
