using System.Numerics.Tensors;

namespace Nabla.Kernels;

/// <summary>
/// Separable 2-D resampling: along each axis, output index o reads input indices idx[o·T + t] with weights
/// w[o·T + t] (T taps: 1 nearest, 2 bilinear, 4 bicubic). The forward pass interpolates rows (along W) into a
/// scratch [H, OW], then combines whole rows (along H) with vector multiply-adds; the backward pass is its transpose.
/// </summary>
public static class Resample
{
    /// <summary>y[oh, ow] = Σ_{a, b} wH[oh, a]·wW[ow, b]·x[idxH[oh, a], idxW[ow, b]]. tmp holds H·OW floats.</summary>
    public static void Forward(ReadOnlySpan<float> x, int h, int w, Span<float> y, int oh, int ow,
        ReadOnlySpan<int> idxH, ReadOnlySpan<float> wH, int tH, ReadOnlySpan<int> idxW, ReadOnlySpan<float> wW, int tW, Span<float> tmp)
    {
        for (int r = 0; r < h; r++)
        {
            var xr = x.Slice(r * w, w);
            var tr = tmp.Slice(r * ow, ow);
            for (int j = 0; j < ow; j++)
            {
                float s = 0;
                for (int t = 0; t < tW; t++) s += wW[j * tW + t] * xr[idxW[j * tW + t]];
                tr[j] = s;
            }
        }
        for (int i = 0; i < oh; i++)
        {
            var yr = y.Slice(i * ow, ow);
            yr.Clear();
            for (int t = 0; t < tH; t++)
            {
                float wt = wH[i * tH + t];
                if (wt != 0f) TensorPrimitives.MultiplyAdd(tmp.Slice(idxH[i * tH + t] * ow, ow), wt, yr, yr);
            }
        }
    }

    /// <summary>The adjoint of <see cref="Forward"/>: gx += ∂y scattered back through the same taps. tmp holds H·OW floats.</summary>
    public static void Backward(ReadOnlySpan<float> gy, int h, int w, Span<float> gx, int oh, int ow,
        ReadOnlySpan<int> idxH, ReadOnlySpan<float> wH, int tH, ReadOnlySpan<int> idxW, ReadOnlySpan<float> wW, int tW, Span<float> tmp)
    {
        tmp = tmp.Slice(0, h * ow);
        tmp.Clear();
        for (int i = 0; i < oh; i++)
        {
            var gr = gy.Slice(i * ow, ow);
            for (int t = 0; t < tH; t++)
            {
                float wt = wH[i * tH + t];
                if (wt == 0f) continue;
                var tr = tmp.Slice(idxH[i * tH + t] * ow, ow);
                TensorPrimitives.MultiplyAdd(gr, wt, tr, tr);
            }
        }
        for (int r = 0; r < h; r++)
        {
            var gxr = gx.Slice(r * w, w);
            var tr = tmp.Slice(r * ow, ow);
            for (int j = 0; j < ow; j++)
            {
                float g = tr[j];
                for (int t = 0; t < tW; t++) gxr[idxW[j * tW + t]] += wW[j * tW + t] * g;
            }
        }
    }
}
