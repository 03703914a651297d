namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>Elements start, start+step, … below end along an axis (negative start/end count from the end, clamped as Python slices).</summary>
    public Tensor Slice(int axis, int start, int end, int step = 1)
    {
        int ax = ShapeMath.NormalizeAxis(axis, shape, "Slice");
        if (step <= 0) throw new ArgumentException($"Slice: step must be positive, got {step}");
        int len = shape[ax];
        int s = Math.Clamp(start < 0 ? start + len : start, 0, len);
        int e = Math.Clamp(end < 0 ? end + len : end, 0, len);
        int count = e > s ? (e - s + step - 1) / step : 0;
        var (outer, _, inner) = Split(ax);
        var outShape = (int[])shape.Clone(); outShape[ax] = count;
        var o = new Tensor(TensorScope.Zeroed(outer * count * inner), outShape);
        for (int p = 0; p < outer; p++)
            for (int k = 0; k < count; k++)
                data.AsSpan((p * len + s + k * step) * inner, inner).CopyTo(o.data.AsSpan((p * count + k) * inner, inner));
        var x = this;
        return o.Record("Slice", new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            for (int p = 0; p < outer; p++)
                for (int k = 0; k < count; k++)
                    gy.AsSpan((p * count + k) * inner, inner).CopyTo(gx.AsSpan((p * len + s + k * step) * inner, inner));
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>Rows (or slices along <paramref name="axis"/>) picked by integer indices, repeats allowed; gradients of repeats add up.</summary>
    public Tensor IndexSelect(int axis, ReadOnlySpan<int> indices)
    {
        int ax = ShapeMath.NormalizeAxis(axis, shape, "IndexSelect");
        var (outer, len, inner) = Split(ax);
        var idx = indices.ToArray();
        foreach (var i in idx)
            if ((uint)i >= (uint)len) throw new IndexOutOfRangeException($"IndexSelect: index {i} is out of range for axis {ax} of shape {ShapeMath.Format(shape)}");
        var outShape = (int[])shape.Clone(); outShape[ax] = idx.Length;
        var o = new Tensor(TensorScope.Zeroed(outer * idx.Length * inner), outShape);
        for (int p = 0; p < outer; p++)
            for (int k = 0; k < idx.Length; k++)
                data.AsSpan((p * len + idx[k]) * inner, inner).CopyTo(o.data.AsSpan((p * idx.Length + k) * inner, inner));
        var x = this;
        return o.Record("IndexSelect", new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            for (int p = 0; p < outer; p++)
                for (int k = 0; k < idx.Length; k++)
                {
                    var dst = gx.AsSpan((p * len + idx[k]) * inner, inner);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, gy.AsSpan((p * idx.Length + k) * inner, inner), dst);
                }
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>
    /// torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] (for axis 1), index has this tensor's rank and holds integers.
    /// The gradient scatters-adds back. Picks e.g. the logit of each label.
    /// </summary>
    public Tensor Gather(int axis, Tensor index)
    {
        int ax = ShapeMath.NormalizeAxis(axis, shape, "Gather");
        if (index.Rank != Rank) throw new ArgumentException($"Gather: index of shape {ShapeMath.Format(index.shape)} must have the rank of input {ShapeMath.Format(shape)}");
        for (int d = 0; d < Rank; d++)
            if (d != ax && index.shape[d] > shape[d]) throw new ArgumentException($"Gather: index shape {ShapeMath.Format(index.shape)} exceeds input {ShapeMath.Format(shape)} at dimension {d}");
        var ist = ShapeMath.Strides(index.shape); var xst = ShapeMath.Strides(shape);
        var src = new int[index.Size];
        for (int n = 0; n < index.Size; n++)
        {
            int rem = n, off = 0;
            for (int d = 0; d < Rank; d++)
            {
                int c = rem / ist[d]; rem %= ist[d];
                if (d == ax)
                {
                    float f = index.data[n];
                    int k = (int)f;
                    if (k != f || (uint)k >= (uint)shape[ax]) throw new IndexOutOfRangeException($"Gather: index value {f} is out of range for axis {ax} of shape {ShapeMath.Format(shape)}");
                    c = k;
                }
                off += c * xst[d];
            }
            src[n] = off;
        }
        var o = new Tensor(TensorScope.Zeroed(index.Size), index.shape);
        for (int n = 0; n < src.Length; n++) o.data[n] = data[src[n]];
        var x = this;
        return o.Record("Gather", new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            for (int n = 0; n < src.Length; n++) gx[src[n]] += gy[n];
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>where(cond, a, b): a where cond ≠ 0, else b, all broadcast together. Gradients flow to the chosen side.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        var s = ShapeMath.Broadcast(ShapeMath.Broadcast(condition.shape, a.shape, "Where"), b.shape, "Where");
        var c = Materialize(condition, s); var av = Materialize(a, s); var bv = Materialize(b, s);
        var o = new Tensor(TensorScope.Zeroed(c.Length), s);
        for (int i = 0; i < c.Length; i++) o.data[i] = c[i] != 0 ? av[i] : bv[i];
        return o.Record("Where", new[] { a, b }, gy =>
        {
            if (a.TracksGrad) { var g = TensorScope.Zeroed(gy.Length); for (int i = 0; i < g.Length; i++) g[i] = c[i] != 0 ? gy[i] : 0f; a.AccumulateGrad(SumToShape(g, s, a.shape)); }
            if (b.TracksGrad) { var g = TensorScope.Zeroed(gy.Length); for (int i = 0; i < g.Length; i++) g[i] = c[i] != 0 ? 0f : gy[i]; b.AccumulateGrad(SumToShape(g, s, b.shape)); }
        });
    }

    /// <summary>This tensor with <paramref name="value"/> wherever <paramref name="mask"/> ≠ 0.</summary>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        var s = ShapeMath.Broadcast(shape, mask.shape, "MaskedFill");
        if (!s.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"MaskedFill: mask of shape {ShapeMath.Format(mask.shape)} does not broadcast to the tensor's shape {ShapeMath.Format(shape)}");
        return Where(mask, Scalar(value), this);
    }

    static Tensor Compare(Tensor a, Tensor b, Func<float, float, bool> f, string op)
    {
        var s = ShapeMath.Broadcast(a.shape, b.shape, op);
        var av = Materialize(a, s); var bv = Materialize(b, s);
        var o = new Tensor(TensorScope.Zeroed(av.Length), s);
        for (int i = 0; i < av.Length; i++) o.data[i] = f(av[i], bv[i]) ? 1f : 0f;
        return o;
    }

    /// <summary>1 where a &gt; b else 0 (broadcast; no gradient).</summary>
    public Tensor Gt(Tensor other) => Compare(this, other, static (x, y) => x > y, "Gt");
    public Tensor Lt(Tensor other) => Compare(this, other, static (x, y) => x < y, "Lt");
    public Tensor Ge(Tensor other) => Compare(this, other, static (x, y) => x >= y, "Ge");
    public Tensor Le(Tensor other) => Compare(this, other, static (x, y) => x <= y, "Le");
    public Tensor Eq(Tensor other) => Compare(this, other, static (x, y) => x == y, "Eq");
    public Tensor Gt(float v) => Gt(Scalar(v));
    public Tensor Lt(float v) => Lt(Scalar(v));
    public Tensor Eq(float v) => Eq(Scalar(v));
    public Tensor Ne(Tensor other) => Compare(this, other, static (x, y) => x != y, "Ne");
    public Tensor Ne(float v) => Ne(Scalar(v));
    public Tensor Ge(float v) => Ge(Scalar(v));
    public Tensor Le(float v) => Le(Scalar(v));
}
