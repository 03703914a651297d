using Nabla.Kernels;

namespace Nabla.NN;

/// <summary>Interpolation kernels of <see cref="Functional.Interpolate(Tensor, ValueTuple{int, int}?, ValueTuple{double, double}?, InterpolationMode, bool)"/>.</summary>
public enum InterpolationMode
{
    /// <summary>PyTorch's legacy 'nearest': source index ⌊dst·scale⌋.</summary>
    Nearest,
    /// <summary>Linear along each axis (2 taps).</summary>
    Bilinear,
    /// <summary>Keys' cubic convolution with A = −0.75 along each axis (4 taps, indices clamped to the border).</summary>
    Bicubic,
}

public static partial class Functional
{
    /// <summary>Resamples x [N, C, H, W] by one scale factor on both axes (see the main overload).</summary>
    public static Tensor Interpolate(Tensor x, double scaleFactor, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
        => Interpolate(x, null, (scaleFactor, scaleFactor), mode, alignCorners);

    /// <summary>
    /// Resamples x [N, C, H, W] to a given size or by a scale factor, as torch.nn.functional.interpolate
    /// (recompute_scale_factor unset). Output size: <paramref name="size"/>, or ⌊H·scale⌋ × ⌊W·scale⌋.
    /// Coordinate map per axis, for output index i: with align_corners, src = i·(In − 1)/(Out − 1); otherwise
    /// src = (i + ½)·r − ½ with r = 1/scale when a scale factor was given, else In/Out (clamped at 0 for bilinear).
    /// Nearest reads ⌊i·r⌋ (PyTorch's legacy rule, exact copies for Out = In and Out = 2·In); bilinear blends
    /// ⌊src⌋ and ⌊src⌋ + 1; bicubic uses the four neighbours of ⌊src⌋ with Keys' weights (A = −0.75), indices clamped
    /// to the border. The op is linear in x, so the backward pass applies the transposed weights.
    /// </summary>
    public static Tensor Interpolate(Tensor x, (int h, int w)? size = null, (double h, double w)? scaleFactor = null,
        InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        if (x.Rank != 4) throw new ArgumentException($"Interpolate: input must be 4-D [N, C, H, W], got {ShapeMath.Format(x.shape)}");
        if ((size == null) == (scaleFactor == null)) throw new ArgumentException($"Interpolate: give exactly one of size and scaleFactor (input {ShapeMath.Format(x.shape)})");
        if (alignCorners && mode == InterpolationMode.Nearest)
            throw new ArgumentException("Interpolate: alignCorners only applies to Bilinear and Bicubic modes, not Nearest");
        int H = x.shape[2], W = x.shape[3];
        if (H <= 0 || W <= 0) throw new ArgumentException($"Interpolate: input {ShapeMath.Format(x.shape)} has an empty plane");
        int oh, ow; double? sh = null, sw = null;
        if (size is (int a, int b))
        {
            if (a <= 0 || b <= 0) throw new ArgumentException($"Interpolate: size must be positive, got ({a}, {b}) for input {ShapeMath.Format(x.shape)}");
            (oh, ow) = (a, b);
        }
        else
        {
            var (fa, fb) = scaleFactor!.Value;
            if (!(fa > 0) || !(fb > 0) || double.IsInfinity(fa) || double.IsInfinity(fb))
                throw new ArgumentException($"Interpolate: scale factor must be positive and finite, got ({fa}, {fb})");
            oh = (int)Math.Floor(H * fa); ow = (int)Math.Floor(W * fb);
            if (oh <= 0 || ow <= 0) throw new ArgumentException($"Interpolate: scale factor ({fa}, {fb}) gives an empty output {oh}×{ow} for input {ShapeMath.Format(x.shape)}");
            (sh, sw) = (fa, fb);
        }
        var (idxH, wH, tH) = Taps(H, oh, sh, mode, alignCorners);
        var (idxW, wW, tW) = Taps(W, ow, sw, mode, alignCorners);

        int planes = x.shape[0] * x.shape[1], HW = H * W, L = oh * ow;
        var y = TensorScope.Zeroed(planes * L);
        var xd = x.data;
        int workers = ImageBatch.Workers(planes, 2.0 * planes * (H * ow * tW + L * tH));
        ImageBatch.For(planes, workers, (p0, p1, _) =>
        {
            var tmp = ImageBatch.Rent(H * ow);
            try
            {
                for (int p = p0; p < p1; p++)
                    Resample.Forward(xd.AsSpan(p * HW, HW), H, W, y.AsSpan(p * L, L), oh, ow, idxH, wH, tH, idxW, wW, tW, tmp);
            }
            finally { ImageBatch.Return(tmp); }
        });
        return new Tensor(y, x.shape[0], x.shape[1], oh, ow).Record("Interpolate", new[] { x }, gy =>
        {
            if (!x.TracksGrad) return;
            var gx = TensorScope.Zeroed(x.Size);
            ImageBatch.For(planes, workers, (p0, p1, _) =>
            {
                var tmp = ImageBatch.Rent(H * ow);
                try
                {
                    for (int p = p0; p < p1; p++)
                        Resample.Backward(gy.AsSpan(p * L, L), H, W, gx.AsSpan(p * HW, HW), oh, ow, idxH, wH, tH, idxW, wW, tW, tmp);
                }
                finally { ImageBatch.Return(tmp); }
            });
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>
    /// Source indices and weights along one axis, computed in float as PyTorch's CPU kernels
    /// (area_pixel_compute_scale / area_pixel_compute_source_index / guard_index_and_lambda).
    /// </summary>
    internal static (int[] idx, float[] w, int taps) Taps(int inN, int outN, double? scale, InterpolationMode mode, bool alignCorners)
    {
        // compute_scales_value: 1/scale when a scale factor was given, else In/Out
        float ratio = scale is double s && s > 0 ? (float)(1.0 / s) : (float)inN / outN;
        if (mode == InterpolationMode.Nearest)
        {
            var idx = new int[outN]; var w = new float[outN];
            for (int i = 0; i < outN; i++)
            {
                idx[i] = outN == inN ? i : outN == 2 * inN ? i >> 1 : Math.Min((int)MathF.Floor(i * ratio), inN - 1);
                w[i] = 1f;
            }
            return (idx, w, 1);
        }
        if (alignCorners) ratio = outN > 1 ? (float)(inN - 1) / (outN - 1) : 0f;
        bool cubic = mode == InterpolationMode.Bicubic;
        int taps = cubic ? 4 : 2;
        var ix = new int[outN * taps]; var wt = new float[outN * taps];
        for (int i = 0; i < outN; i++)
        {
            if (!cubic && outN == inN) { ix[2 * i] = ix[2 * i + 1] = i; wt[2 * i] = 1f; wt[2 * i + 1] = 0f; continue; }
            float real = alignCorners ? ratio * i : ratio * (i + 0.5f) - 0.5f;
            if (!cubic && real < 0f) real = 0f;
            int i0 = Math.Min((int)MathF.Floor(real), inN - 1);
            float lambda = Math.Clamp(real - i0, 0f, 1f);
            if (!cubic)
            {
                ix[2 * i] = i0; ix[2 * i + 1] = i0 + (i0 < inN - 1 ? 1 : 0);
                wt[2 * i] = 1f - lambda; wt[2 * i + 1] = lambda;
            }
            else
            {
                const float A = -0.75f;
                static float Cc1(float t) => ((A + 2) * t - (A + 3)) * t * t + 1;          // |t| ≤ 1
                static float Cc2(float t) => ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;    // 1 < |t| < 2
                wt[4 * i] = Cc2(lambda + 1f);
                wt[4 * i + 1] = Cc1(lambda);
                wt[4 * i + 2] = Cc1(1f - lambda);
                wt[4 * i + 3] = Cc2(2f - lambda);
                for (int t = 0; t < 4; t++) ix[4 * i + t] = Math.Clamp(i0 - 1 + t, 0, inN - 1);
            }
        }
        return (ix, wt, taps);
    }
}
