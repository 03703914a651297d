using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>Argument checks for MaxPool2d and AvgPool2d (PyTorch's rules, ceil_mode = false).</summary>
internal static class PoolArgs
{
    public static ConvGeometry Check(string op, Tensor x, (int h, int w) k, (int h, int w) s, (int h, int w) p, (int h, int w) d)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: input must be 4-D [N, C, H, W], got {ShapeMath.Format(x.shape)}");
        if (k.h <= 0 || k.w <= 0) throw new ArgumentException($"{op}: kernel size must be positive, got ({k.h}, {k.w})");
        if (s.h <= 0 || s.w <= 0) throw new ArgumentException($"{op}: stride must be positive, got ({s.h}, {s.w})");
        if (d.h <= 0 || d.w <= 0) throw new ArgumentException($"{op}: dilation must be positive, got ({d.h}, {d.w})");
        if (p.h < 0 || p.w < 0 || p.h > k.h / 2 || p.w > k.w / 2)
            throw new ArgumentException($"{op}: padding ({p.h}, {p.w}) must be non-negative and at most half the kernel size ({k.h}, {k.w})");
        int H = x.shape[2], W = x.shape[3];
        int oh = ConvGeometry.OutSize(H, k.h, s.h, p.h, d.h), ow = ConvGeometry.OutSize(W, k.w, s.w, p.w, d.w);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"{op}: kernel ({k.h}, {k.w}) with dilation ({d.h}, {d.w}) is larger than the padded input {H + 2 * p.h}×{W + 2 * p.w} (input {ShapeMath.Format(x.shape)})");
        return new ConvGeometry(1, H, W, k.h, k.w, s.h, s.w, p.h, p.w, d.h, d.w, oh, ow);
    }
}
