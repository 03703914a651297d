using System.Numerics.Tensors;

namespace Nabla.Kernels;

/// <summary>Elementwise binary operations that broadcast by strides (0 on a broadcast dimension).</summary>
public enum BinaryOp { Add, Sub, Mul, Div, Pow, Max, Min }

/// <summary>
/// Broadcast loops over contiguous buffers: dimensions are coalesced so that the innermost run is as long as
/// possible, then each run is one vector call (vector∘vector, vector∘scalar or scalar∘vector).
/// </summary>
public static class StridedLoops
{
    /// <summary>Drops size-1 dimensions and merges neighbours that are contiguous for every stride set.</summary>
    public static (int[] shape, int[][] strides) Coalesce(int[] shape, params int[][] strides)
    {
        var s = new List<int>();
        var st = new List<int>[strides.Length];
        for (int k = 0; k < strides.Length; k++) st[k] = new List<int>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            if (s.Count > 0)
            {
                int last = s.Count - 1;
                bool merge = true;
                for (int k = 0; k < strides.Length && merge; k++)
                    merge = st[k][last] == strides[k][d] * shape[d];
                if (merge)
                {
                    s[last] *= shape[d];
                    for (int k = 0; k < strides.Length; k++) st[k][last] = strides[k][d];
                    continue;
                }
            }
            s.Add(shape[d]);
            for (int k = 0; k < strides.Length; k++) st[k].Add(strides[k][d]);
        }
        if (s.Count == 0) { s.Add(1); for (int k = 0; k < strides.Length; k++) st[k].Add(0); }
        var outStrides = new int[strides.Length][];
        for (int k = 0; k < strides.Length; k++) outStrides[k] = st[k].ToArray();
        return (s.ToArray(), outStrides);
    }

    /// <summary>o = a ∘ b, with contiguous a and b broadcast to o's shape through their strides (0 on broadcast dims).</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, int[] aStrides, ReadOnlySpan<float> b, int[] bStrides, Span<float> o, int[] oShape)
    {
        if (o.Length == 0) return;
        var (shape, st) = Coalesce(oShape, aStrides, bStrides, ContiguousStrides(oShape));
        int r = shape.Length, n = shape[r - 1];
        int sa = st[0][r - 1], sb = st[1][r - 1];
        if (sa > 1 || sb > 1) throw new ArgumentException("StridedLoops.Binary: operands must be contiguous buffers seen through broadcast strides (innermost stride 0 or 1)");
        var idx = new int[r];
        int offA = 0, offB = 0, offO = 0;
        int outer = o.Length / n;
        for (int it = 0; it < outer; it++)
        {
            Run(op, a, offA, sa, b, offB, sb, o.Slice(offO, n));
            offO += n;
            for (int d = r - 2; d >= 0; d--)
            {
                offA += st[0][d]; offB += st[1][d];
                if (++idx[d] < shape[d]) break;
                offA -= st[0][d] * shape[d]; offB -= st[1][d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    static void Run(BinaryOp op, ReadOnlySpan<float> a, int oa, int sa, ReadOnlySpan<float> b, int ob, int sb, Span<float> o)
    {
        int n = o.Length;
        if (sa != 0 && sb != 0)
        {
            var x = a.Slice(oa, n); var y = b.Slice(ob, n);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, y, o); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, o); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, y, o); break;
                case BinaryOp.Div: TensorPrimitives.Divide(x, y, o); break;
                case BinaryOp.Pow: TensorPrimitives.Pow(x, y, o); break;
                case BinaryOp.Max: TensorPrimitives.Max(x, y, o); break;
                case BinaryOp.Min: TensorPrimitives.Min(x, y, o); break;
            }
        }
        else if (sa != 0)
        {
            var x = a.Slice(oa, n); float y = b[ob];
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, y, o); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, o); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, y, o); break;
                case BinaryOp.Div: TensorPrimitives.Divide(x, y, o); break;
                case BinaryOp.Pow: TensorPrimitives.Pow(x, y, o); break;
                case BinaryOp.Max: TensorPrimitives.Max(x, y, o); break;
                case BinaryOp.Min: TensorPrimitives.Min(x, y, o); break;
            }
        }
        else if (sb != 0)
        {
            float x = a[oa]; var y = b.Slice(ob, n);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(y, x, o); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, o); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(y, x, o); break;
                case BinaryOp.Div: TensorPrimitives.Divide(x, y, o); break;
                case BinaryOp.Pow: TensorPrimitives.Pow(x, y, o); break;
                case BinaryOp.Max: TensorPrimitives.Max(y, x, o); break;
                case BinaryOp.Min: TensorPrimitives.Min(y, x, o); break;
            }
        }
        else o.Fill(Scalar(op, a[oa], b[ob]));
    }

    static float Scalar(BinaryOp op, float x, float y) => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        BinaryOp.Div => x / y,
        BinaryOp.Pow => MathF.Pow(x, y),
        BinaryOp.Max => MathF.Max(x, y),   // NaN-propagating, as torch.maximum
        _ => MathF.Min(x, y),
    };

    /// <summary>o += sum of g over the dimensions where o's strides are 0 (o seen through g's shape).</summary>
    public static void SumInto(ReadOnlySpan<float> g, int[] gShape, Span<float> o, int[] oStrides)
    {
        if (g.Length == 0) return;
        var (shape, st) = Coalesce(gShape, oStrides, ContiguousStrides(gShape));
        int r = shape.Length, n = shape[r - 1];
        int so = st[0][r - 1];
        if (so > 1) throw new ArgumentException("StridedLoops.SumInto: o must be seen through broadcast strides (innermost stride 0 or 1)");
        var idx = new int[r];
        int offO = 0, offG = 0, outer = g.Length / n;
        for (int it = 0; it < outer; it++)
        {
            var run = g.Slice(offG, n);
            if (so == 0) o[offO] += TensorPrimitives.Sum(run);
            else { var dst = o.Slice(offO, n); TensorPrimitives.Add(dst, run, dst); }
            offG += n;
            for (int d = r - 2; d >= 0; d--)
            {
                offO += st[0][d];
                if (++idx[d] < shape[d]) break;
                offO -= st[0][d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>o = a seen through arbitrary non-negative strides (broadcast: 0 on broadcast dims; permutation: permuted strides), o contiguous.</summary>
    public static void Expand(ReadOnlySpan<float> a, int[] aStrides, Span<float> o, int[] oShape)
    {
        if (o.Length == 0) return;
        var (shape, st) = Coalesce(oShape, aStrides);
        int r = shape.Length, n = shape[r - 1], sa = st[0][r - 1];
        var idx = new int[r];
        int offA = 0, offO = 0, outer = o.Length / n;
        for (int it = 0; it < outer; it++)
        {
            if (sa == 0) o.Slice(offO, n).Fill(a[offA]);
            else if (sa == 1) a.Slice(offA, n).CopyTo(o.Slice(offO, n));
            else
            {   // a strided gather (permutations): the innermost source stride is not 1
                var dst = o.Slice(offO, n);
                for (int j = 0, src = offA; j < dst.Length; j++, src += sa) dst[j] = a[src];
            }
            offO += n;
            for (int d = r - 2; d >= 0; d--)
            {
                offA += st[0][d];
                if (++idx[d] < shape[d]) break;
                offA -= st[0][d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>Row-major strides of a shape.</summary>
    public static int[] ContiguousStrides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }
}
