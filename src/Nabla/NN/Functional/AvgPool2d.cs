using Nabla.Kernels;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>Average pooling with a square window (see the tuple overload).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true)
        => AvgPool2d(x, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), countIncludePad);

    /// <summary>
    /// Average pooling (torch.nn.functional.avg_pool2d, ceil_mode = false) of x [N, C, H, W]: the mean of each
    /// k×k window (stride defaults to k). Zero padding counts in the divisor when <paramref name="countIncludePad"/>
    /// (PyTorch's default), otherwise only the image pixels in the window do. Backward spreads ∂y evenly over the window.
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, (int h, int w) kernelSize, (int h, int w)? stride, (int h, int w) padding, bool countIncludePad = true)
    {
        var s = stride ?? kernelSize;
        var geo = PoolArgs.Check("AvgPool2d", x, kernelSize, s, padding, (1, 1));
        int planes = x.shape[0] * x.shape[1], HW = geo.H * geo.W, L = geo.Cols;
        var y = TensorScope.Zeroed(planes * L);
        var xd = x.data;
        int workers = ImageBatch.Workers(planes, (double)planes * L * geo.KH * geo.KW * 2);
        ImageBatch.For(planes, workers, (p0, p1, _) =>
        {
            for (int p = p0; p < p1; p++) Pool2d.AvgForward(geo, countIncludePad, xd.AsSpan(p * HW, HW), y.AsSpan(p * L, L));
        });
        return new Tensor(y, x.shape[0], x.shape[1], geo.OH, geo.OW).Record("AvgPool2d", new[] { x }, gy =>
        {
            if (!x.TracksGrad) return;
            var gx = TensorScope.Zeroed(x.Size);
            ImageBatch.For(planes, workers, (p0, p1, _) =>
            {
                for (int p = p0; p < p1; p++) Pool2d.AvgBackward(geo, countIncludePad, gy.AsSpan(p * L, L), gx.AsSpan(p * HW, HW));
            });
            x.AccumulateGrad(gx);
        });
    }
}
