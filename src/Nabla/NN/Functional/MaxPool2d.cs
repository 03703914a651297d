using Nabla.Kernels;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>Max pooling with a square window (see the tuple overload).</summary>
    public static Tensor MaxPool2d(Tensor x, int kernelSize, int? stride = null, int padding = 0, int dilation = 1)
        => MaxPool2d(x, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation));

    /// <summary>
    /// Max pooling (torch.nn.functional.max_pool2d, ceil_mode = false) of x [N, C, H, W]:
    /// y[n, c, i, j] = max_{u, v} x[n, c, i·s − p + u·d, j·s − p + v·d] over taps inside the image (padding is −∞),
    /// OH = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1, stride defaults to the kernel size. The gradient goes to the arg-max.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, (int h, int w) kernelSize, (int h, int w)? stride, (int h, int w) padding, (int h, int w) dilation)
    {
        var s = stride ?? kernelSize;
        var geo = PoolArgs.Check("MaxPool2d", x, kernelSize, s, padding, dilation);
        int planes = x.shape[0] * x.shape[1], HW = geo.H * geo.W, L = geo.Cols;
        var y = TensorScope.Zeroed(planes * L);
        var arg = new int[planes * L];
        var xd = x.data;
        int workers = ImageBatch.Workers(planes, (double)planes * L * geo.KH * geo.KW * 4);
        ImageBatch.For(planes, workers, (p0, p1, _) =>
        {
            for (int p = p0; p < p1; p++) Pool2d.MaxForward(geo, xd.AsSpan(p * HW, HW), y.AsSpan(p * L, L), arg.AsSpan(p * L, L));
        });
        return new Tensor(y, x.shape[0], x.shape[1], geo.OH, geo.OW).Record("MaxPool2d", new[] { x }, gy =>
        {
            if (!x.TracksGrad) return;
            var gx = TensorScope.Zeroed(x.Size);
            ImageBatch.For(planes, workers, (p0, p1, _) =>
            {
                for (int p = p0; p < p1; p++) Pool2d.MaxBackward(gy.AsSpan(p * L, L), arg.AsSpan(p * L, L), gx.AsSpan(p * HW, HW));
            });
            x.AccumulateGrad(gx);
        });
    }
}
