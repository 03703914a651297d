namespace Nabla;

/// <summary>y = f(x) elementwise, with its gradient rule gx = f'(x)·gy.</summary>
internal static class Unary
{
    public delegate void Forward(ReadOnlySpan<float> x, Span<float> y);
    public delegate void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx);

    public static Tensor Apply(Tensor x, string op, Forward f, Backward b)
    {
        // every forward/backward rule writes all of its output, so the buffers need no zeroing
        var y = new Tensor(TensorScope.Uninit(x.Size), x.shape);
        f(x.data, y.data);
        return y.Record(op, new[] { x }, gy =>
        {
            var gx = TensorScope.Uninit(x.Size);
            b(x.data, y.data, gy, gx);
            x.AccumulateGrad(gx);
        });
    }
}
