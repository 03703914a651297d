namespace Nabla.Kernels;

/// <summary>Softmax, log-softmax and log-sum-exp along the middle axis of an [outer, len, inner] buffer, in the stable max-shifted form.</summary>
public static class SoftmaxKernel
{
    public static void LogSumExp(ReadOnlySpan<float> x, int outer, int len, int inner, Span<float> o)
    {
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
            {
                int b = p * len * inner + q;
                float m = float.NegativeInfinity;
                for (int k = 0; k < len; k++) m = MathF.Max(m, x[b + k * inner]);
                if (float.IsNegativeInfinity(m)) { o[p * inner + q] = m; continue; }
                double s = 0;
                for (int k = 0; k < len; k++) s += MathF.Exp(x[b + k * inner] - m);
                o[p * inner + q] = m + (float)Math.Log(s);
            }
    }

    public static void Softmax(ReadOnlySpan<float> x, int outer, int len, int inner, Span<float> y, bool log)
    {
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
            {
                int b = p * len * inner + q;
                float m = float.NegativeInfinity;
                for (int k = 0; k < len; k++) m = MathF.Max(m, x[b + k * inner]);
                double s = 0;
                for (int k = 0; k < len; k++) s += MathF.Exp(x[b + k * inner] - m);
                float lse = m + (float)Math.Log(s);
                if (log) for (int k = 0; k < len; k++) y[b + k * inner] = x[b + k * inner] - lse;
                else { float inv = (float)(1 / s); for (int k = 0; k < len; k++) y[b + k * inner] = MathF.Exp(x[b + k * inner] - m) * inv; }
            }
    }

    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> gy, int outer, int len, int inner, Span<float> gx, bool log)
    {
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
            {
                int b = p * len * inner + q;
                double s = 0;
                if (log)
                {
                    for (int k = 0; k < len; k++) s += gy[b + k * inner];
                    for (int k = 0; k < len; k++) { int i = b + k * inner; gx[i] = gy[i] - MathF.Exp(y[i]) * (float)s; }
                }
                else
                {
                    for (int k = 0; k < len; k++) { int i = b + k * inner; s += gy[i] * y[i]; }
                    for (int k = 0; k < len; k++) { int i = b + k * inner; gx[i] = y[i] * (gy[i] - (float)s); }
                }
            }
    }
}
