using Nabla.Kernels;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>Adaptive average pooling to a square output (see the tuple overload).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outputSize) => AdaptiveAvgPool2d(x, (outputSize, outputSize));

    /// <summary>
    /// Adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d) of x [N, C, H, W] to [N, C, OH, OW]:
    /// y[n, c, i, j] is the mean of x over rows [⌊i·H/OH⌋, ⌈(i + 1)·H/OH⌉) and columns [⌊j·W/OW⌋, ⌈(j + 1)·W/OW⌉).
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, (int h, int w) outputSize)
    {
        if (x.Rank != 4) throw new ArgumentException($"AdaptiveAvgPool2d: input must be 4-D [N, C, H, W], got {ShapeMath.Format(x.shape)}");
        var (oh, ow) = outputSize;
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"AdaptiveAvgPool2d: output size must be positive, got ({oh}, {ow}) for input {ShapeMath.Format(x.shape)}");
        int H = x.shape[2], W = x.shape[3];
        if (H <= 0 || W <= 0) throw new ArgumentException($"AdaptiveAvgPool2d: input {ShapeMath.Format(x.shape)} has an empty plane");
        int planes = x.shape[0] * x.shape[1], HW = H * W, L = oh * ow;
        var y = TensorScope.Zeroed(planes * L);
        var xd = x.data;
        int workers = ImageBatch.Workers(planes, 2.0 * planes * Math.Max(HW, L));
        ImageBatch.For(planes, workers, (p0, p1, _) =>
        {
            for (int p = p0; p < p1; p++) Pool2d.AdaptiveAvgForward(H, W, oh, ow, xd.AsSpan(p * HW, HW), y.AsSpan(p * L, L));
        });
        return new Tensor(y, x.shape[0], x.shape[1], oh, ow).Record("AdaptiveAvgPool2d", new[] { x }, gy =>
        {
            if (!x.TracksGrad) return;
            var gx = TensorScope.Zeroed(x.Size);
            ImageBatch.For(planes, workers, (p0, p1, _) =>
            {
                for (int p = p0; p < p1; p++) Pool2d.AdaptiveAvgBackward(H, W, oh, ow, gy.AsSpan(p * L, L), gx.AsSpan(p * HW, HW));
            });
            x.AccumulateGrad(gx);
        });
    }
}
