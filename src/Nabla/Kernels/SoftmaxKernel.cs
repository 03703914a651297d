using System.Numerics.Tensors;

namespace Nabla.Kernels;

/// <summary>
/// Softmax, log-softmax and log-sum-exp along the middle axis of an [outer, len, inner] buffer, in the stable
/// max-shifted form: LSE(x) = m + ln Σ exp(x − m), m = max x. The common last-axis case (inner = 1) runs as
/// contiguous vector calls, split over rows when the work is large.
/// </summary>
public static class SoftmaxKernel
{
    static void ForRows(int outer, int len, int inner, Action<int> row)
    {
        if ((long)outer * len * inner >= ParallelThresholds.RowElements && outer > 1) WorkerPool.For(outer, row);
        else for (int p = 0; p < outer; p++) row(p);
    }

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

    public static void Softmax(float[] x, int outer, int len, int inner, float[] y, bool log)
    {
        if (len == 0) return;
        if (inner == 1)
        {
            ForRows(outer, len, inner, p =>
            {
                var xr = x.AsSpan(p * len, len); var yr = y.AsSpan(p * len, len);
                float m = TensorPrimitives.Max(xr);
                TensorPrimitives.Subtract(xr, m, yr);
                TensorPrimitives.Exp(yr, yr);
                float s = TensorPrimitives.Sum(yr);
                if (log) { TensorPrimitives.Subtract(xr, m, yr); TensorPrimitives.Subtract(yr, MathF.Log(s), yr); }   // (x − m) − ln s: exact for large m
                else TensorPrimitives.Multiply(yr, 1f / s, yr);
            });
            return;
        }
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
            {
                int b = p * len * inner + q;
                float m = float.NegativeInfinity;
                for (int k = 0; k < len; k++) m = MathF.Max(m, x[b + k * inner]);
                double s = 0;
                for (int k = 0; k < len; k++) s += MathF.Exp(x[b + k * inner] - m);
                float ls = (float)Math.Log(s);
                if (log) for (int k = 0; k < len; k++) y[b + k * inner] = (x[b + k * inner] - m) - ls;
                else { float inv = (float)(1 / s); for (int k = 0; k < len; k++) y[b + k * inner] = MathF.Exp(x[b + k * inner] - m) * inv; }
            }
    }

    /// <summary>softmax: gx = y ⊙ (gy − Σ gy ⊙ y); log-softmax: gx = gy − exp(y) ⊙ Σ gy.</summary>
    public static void SoftmaxBackward(float[] y, float[] gy, int outer, int len, int inner, float[] gx, bool log)
    {
        if (len == 0) return;
        if (inner == 1)
        {
            ForRows(outer, len, inner, p =>
            {
                var yr = y.AsSpan(p * len, len); var gr = gy.AsSpan(p * len, len); var xr = gx.AsSpan(p * len, len);
                if (log)
                {
                    float s = TensorPrimitives.Sum(gr);
                    TensorPrimitives.Exp(yr, xr);
                    TensorPrimitives.MultiplyAdd(xr, -s, gr, xr);
                }
                else
                {
                    float s = TensorPrimitives.Dot(gr, yr);
                    TensorPrimitives.Subtract(gr, s, xr);
                    TensorPrimitives.Multiply(xr, yr, xr);
                }
            });
            return;
        }
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
