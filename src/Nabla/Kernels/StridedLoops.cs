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

    /// <summary>One run of n outputs: the operation is chosen once, then the run is one call of its operator struct.</summary>
    static void Run(BinaryOp op, ReadOnlySpan<float> a, int oa, int sa, ReadOnlySpan<float> b, int ob, int sb, Span<float> o)
    {
        switch (op)
        {
            case BinaryOp.Add: Run<AddOperator>(a, oa, sa, b, ob, sb, o); break;
            case BinaryOp.Sub: Run<SubtractOperator>(a, oa, sa, b, ob, sb, o); break;
            case BinaryOp.Mul: Run<MultiplyOperator>(a, oa, sa, b, ob, sb, o); break;
            case BinaryOp.Div: Run<DivideOperator>(a, oa, sa, b, ob, sb, o); break;
            case BinaryOp.Pow: Run<PowOperator>(a, oa, sa, b, ob, sb, o); break;
            case BinaryOp.Max: Run<MaxOperator>(a, oa, sa, b, ob, sb, o); break;
            default: Run<MinOperator>(a, oa, sa, b, ob, sb, o); break;
        }
    }

    /// <summary>The loop shape, written once: vector∘vector, vector∘scalar, scalar∘vector or scalar∘scalar (a fill).</summary>
    static void Run<TOp>(ReadOnlySpan<float> a, int oa, int sa, ReadOnlySpan<float> b, int ob, int sb, Span<float> o)
        where TOp : struct, IBinaryOperator
    {
        int n = o.Length;
        if (sa != 0 && sb != 0) TOp.Invoke(a.Slice(oa, n), b.Slice(ob, n), o);
        else if (sa != 0) TOp.Invoke(a.Slice(oa, n), b[ob], o);
        else if (sb != 0) TOp.Invoke(a[oa], b.Slice(ob, n), o);
        else o.Fill(TOp.Invoke(a[oa], b[ob]));
    }

    /// <summary>A binary operation in its four forms (the operator-struct pattern of TensorPrimitives).</summary>
    interface IBinaryOperator
    {
        static abstract void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> o);
        static abstract void Invoke(ReadOnlySpan<float> x, float y, Span<float> o);
        static abstract void Invoke(float x, ReadOnlySpan<float> y, Span<float> o);
        static abstract float Invoke(float x, float y);
    }

    readonly struct AddOperator : IBinaryOperator
    {
        public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Add(x, y, o);
        public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> o) => TensorPrimitives.Add(x, y, o);
        public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Add(y, x, o);
        public static float Invoke(float x, float y) => x + y;
    }

    readonly struct SubtractOperator : IBinaryOperator
    {
        public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Subtract(x, y, o);
        public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> o) => TensorPrimitives.Subtract(x, y, o);
        public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Subtract(x, y, o);
        public static float Invoke(float x, float y) => x - y;
    }

    readonly struct MultiplyOperator : IBinaryOperator
    {
        public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Multiply(x, y, o);
        public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> o) => TensorPrimitives.Multiply(x, y, o);
        public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Multiply(y, x, o);
        public static float Invoke(float x, float y) => x * y;
    }

    readonly struct DivideOperator : IBinaryOperator
    {
        public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Divide(x, y, o);
        public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> o) => TensorPrimitives.Divide(x, y, o);
        public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Divide(x, y, o);
        public static float Invoke(float x, float y) => x / y;
    }

    readonly struct PowOperator : IBinaryOperator
    {
        public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Pow(x, y, o);
        public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> o) => TensorPrimitives.Pow(x, y, o);
        public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Pow(x, y, o);
        public static float Invoke(float x, float y) => MathF.Pow(x, y);
    }

    /// <summary>NaN-propagating, as torch.maximum.</summary>
    readonly struct MaxOperator : IBinaryOperator
    {
        public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Max(x, y, o);
        public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> o) => TensorPrimitives.Max(x, y, o);
        public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Max(y, x, o);
        public static float Invoke(float x, float y) => MathF.Max(x, y);
    }

    readonly struct MinOperator : IBinaryOperator
    {
        public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Min(x, y, o);
        public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> o) => TensorPrimitives.Min(x, y, o);
        public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> o) => TensorPrimitives.Min(y, x, o);
        public static float Invoke(float x, float y) => MathF.Min(x, y);
    }

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
