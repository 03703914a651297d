namespace Nabla.Kernels;

/// <summary>
/// 2-D pooling over one H×W plane, as PyTorch's CPU kernels (ceil_mode = false): max pooling with the arg-max
/// kept for the backward pass, average pooling with PyTorch's divisor rule, and adaptive average pooling with
/// windows [⌊i·In/Out⌋, ⌈(i + 1)·In/Out⌉).
/// </summary>
public static class Pool2d
{
    /// <summary>
    /// y[oh, ow] = max over taps (ki, kj) inside the image of x[oh·SH − PH + ki·DH, ow·SW − PW + kj·DW];
    /// arg[oh, ow] = the flat index ih·W + iw of the first maximum (NaN wins, as in PyTorch), −1 when no tap is inside.
    /// </summary>
    public static void MaxForward(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<int> arg)
    {
        for (int oh = 0; oh < g.OH; oh++)
        {
            int h0 = oh * g.SH - g.PH;
            for (int ow = 0; ow < g.OW; ow++)
            {
                int w0 = ow * g.SW - g.PW;
                float best = float.NegativeInfinity; int bi = -1;
                for (int ki = 0; ki < g.KH; ki++)
                {
                    int ih = h0 + ki * g.DH;
                    if ((uint)ih >= (uint)g.H) continue;
                    int row = ih * g.W;
                    for (int kj = 0; kj < g.KW; kj++)
                    {
                        int iw = w0 + kj * g.DW;
                        if ((uint)iw >= (uint)g.W) continue;
                        float v = x[row + iw];
                        if (v > best || float.IsNaN(v) || bi < 0) { best = v; bi = row + iw; if (float.IsNaN(v)) goto done; }
                    }
                }
            done:
                y[oh * g.OW + ow] = bi < 0 ? float.NegativeInfinity : best;
                arg[oh * g.OW + ow] = bi;
            }
        }
    }

    /// <summary>gx[arg[o]] += gy[o].</summary>
    public static void MaxBackward(ReadOnlySpan<float> gy, ReadOnlySpan<int> arg, Span<float> gx)
    {
        for (int o = 0; o < gy.Length; o++) if (arg[o] >= 0) gx[arg[o]] += gy[o];
    }

    /// <summary>
    /// The window of output (oh, ow) clipped to the image, and its divisor: the window clipped to the padded image
    /// when <paramref name="countIncludePad"/>, else the number of image pixels in it (PyTorch's rule).
    /// </summary>
    static (int h0, int h1, int w0, int w1, float div) AvgWindow(in ConvGeometry g, int oh, int ow, bool countIncludePad)
    {
        int h0 = oh * g.SH - g.PH, w0 = ow * g.SW - g.PW;
        int h1 = Math.Min(h0 + g.KH, g.H + g.PH), w1 = Math.Min(w0 + g.KW, g.W + g.PW);
        int poolSize = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0); h1 = Math.Min(h1, g.H); w1 = Math.Min(w1, g.W);
        int div = countIncludePad ? poolSize : (h1 - h0) * (w1 - w0);
        return (h0, h1, w0, w1, div);
    }

    /// <summary>y[oh, ow] = Σ_window x / divisor (see <see cref="AvgWindow"/>).</summary>
    public static void AvgForward(in ConvGeometry g, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int oh = 0; oh < g.OH; oh++)
            for (int ow = 0; ow < g.OW; ow++)
            {
                var (h0, h1, w0, w1, div) = AvgWindow(g, oh, ow, countIncludePad);
                float s = 0;
                for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) s += x[ih * g.W + iw];
                y[oh * g.OW + ow] = div > 0 ? s / div : 0f;
            }
    }

    /// <summary>gx[window] += gy[oh, ow] / divisor.</summary>
    public static void AvgBackward(in ConvGeometry g, bool countIncludePad, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int oh = 0; oh < g.OH; oh++)
            for (int ow = 0; ow < g.OW; ow++)
            {
                var (h0, h1, w0, w1, div) = AvgWindow(g, oh, ow, countIncludePad);
                if (div <= 0) continue;
                float v = gy[oh * g.OW + ow] / div;
                for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) gx[ih * g.W + iw] += v;
            }
    }

    /// <summary>Start (inclusive) and end (exclusive) of adaptive window i: ⌊i·n/out⌋ and ⌈(i + 1)·n/out⌉.</summary>
    public static (int start, int end) AdaptiveWindow(int i, int n, int outN)
        => ((int)((long)i * n / outN), (int)(((long)(i + 1) * n + outN - 1) / outN));

    /// <summary>y[oh, ow] = mean of x over the adaptive window (oh, ow).</summary>
    public static void AdaptiveAvgForward(int h, int w, int oh, int ow, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < oh; i++)
        {
            var (h0, h1) = AdaptiveWindow(i, h, oh);
            for (int j = 0; j < ow; j++)
            {
                var (w0, w1) = AdaptiveWindow(j, w, ow);
                float s = 0;
                for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) s += x[ih * w + iw];
                y[i * ow + j] = s / ((h1 - h0) * (w1 - w0));
            }
        }
    }

    /// <summary>gx[window] += gy[oh, ow] / |window|.</summary>
    public static void AdaptiveAvgBackward(int h, int w, int oh, int ow, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < oh; i++)
        {
            var (h0, h1) = AdaptiveWindow(i, h, oh);
            for (int j = 0; j < ow; j++)
            {
                var (w0, w1) = AdaptiveWindow(j, w, ow);
                float v = gy[i * ow + j] / ((h1 - h0) * (w1 - w0));
                for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) gx[ih * w + iw] += v;
            }
        }
    }
}
