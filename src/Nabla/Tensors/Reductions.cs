using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla;

public sealed partial class Tensor
{
    int[] ReducedShape(int[] axes, bool keepDim, string op, out int[] keptShape)
    {
        var reduce = new bool[shape.Length];
        foreach (var a in axes)
        {
            int n = ShapeMath.NormalizeAxis(a, shape, op);
            if (reduce[n]) throw new ArgumentException($"{op}: axis {a} is given twice for shape {ShapeMath.Format(shape)}");
            reduce[n] = true;
        }
        keptShape = new int[shape.Length];
        var outList = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            keptShape[i] = reduce[i] ? 1 : shape[i];
            if (!reduce[i] || keepDim) outList.Add(keptShape[i]);
        }
        return outList.ToArray();
    }

    static int[] AllAxes(int rank) { var a = new int[rank]; for (int i = 0; i < rank; i++) a[i] = i; return a; }

    /// <summary>Σ over all elements (a scalar).</summary>
    public Tensor Sum() => Sum(AllAxes(Rank), false);

    /// <summary>Σ along one axis.</summary>
    public Tensor Sum(int axis, bool keepDim = false) => Sum(new[] { axis }, keepDim);

    /// <summary>Σ over <paramref name="axes"/>; the gradient is gy broadcast back over the summed axes.</summary>
    public Tensor Sum(int[] axes, bool keepDim = false)
    {
        var outShape = ReducedShape(axes, keepDim, "Sum", out var kept);
        var o = new Tensor(TensorScope.Zeroed(ShapeMath.Size(outShape)), outShape);
        StridedLoops.SumInto(data, shape, o.data, ShapeMath.BroadcastStrides(kept, shape));
        var x = this;
        return o.Record("Sum", new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            StridedLoops.Expand(gy, ShapeMath.BroadcastStrides(kept, x.shape), gx, x.shape);
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>Arithmetic mean of all elements.</summary>
    public Tensor Mean() => Mean(AllAxes(Rank), false);
    public Tensor Mean(int axis, bool keepDim = false) => Mean(new[] { axis }, keepDim);
    public Tensor Mean(int[] axes, bool keepDim = false)
    {
        ReducedShape(axes, keepDim, "Mean", out _);   // validates the axes under this op's name
        var s = Sum(axes, keepDim);
        int n = s.Size == 0 ? 0 : Size / s.Size;
        return s / n;
    }

    /// <summary>Variance Σ(x − x̄)²/(n − correction) over <paramref name="axes"/>; correction 1 (unbiased) by default, as torch.var.</summary>
    public Tensor Var(int[] axes, bool keepDim = false, int correction = 1)
    {
        ReducedShape(axes, keepDim, "Var", out _);
        var m = Mean(axes, true);
        var d = this - m;
        var ss = (d * d).Sum(axes, keepDim);
        int n = ss.Size == 0 ? 0 : Size / ss.Size;
        return ss / Math.Max(n - correction, 0);
    }
    public Tensor Var(int axis, bool keepDim = false, int correction = 1) => Var(new[] { axis }, keepDim, correction);
    /// <summary>Unbiased variance of all elements (for another correction over all axes, pass every axis).</summary>
    public Tensor Var() => Var(AllAxes(Rank), false, 1);   // no Var(int correction) overload: x.Var(0) means axis 0, as torch

    /// <summary>Sizes of the dims before, along and after <paramref name="axis"/>.</summary>
    (int outer, int len, int inner) Split(int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[axis], inner);
    }

    int[] AxisOutShape(int axis, bool keepDim)
    {
        var l = new List<int>(shape);
        if (keepDim) l[axis] = 1; else l.RemoveAt(axis);
        return l.ToArray();
    }

    Tensor ExtremumAlong(int axis, bool keepDim, bool max, string op, out int[] argIdx)
    {
        axis = ShapeMath.NormalizeAxis(axis, shape, op);
        var (outer, len, inner) = Split(axis);
        if (len == 0) throw new ArgumentException($"{op}: axis {axis} of shape {ShapeMath.Format(shape)} is empty");
        var o = new Tensor(TensorScope.Zeroed(outer * inner), AxisOutShape(axis, keepDim));
        var idx = new int[outer * inner];
        for (int p = 0; p < outer; p++)
            for (int q = 0; q < inner; q++)
            {
                int bi = 0; float bv = data[p * len * inner + q];
                for (int k = 1; k < len; k++)
                {
                    float v = data[(p * len + k) * inner + q];
                    if (float.IsNaN(bv)) break;
                    if (float.IsNaN(v) || (max ? v > bv : v < bv)) { bv = v; bi = k; }
                }
                o.data[p * inner + q] = bv; idx[p * inner + q] = bi;
            }
        argIdx = idx;
        var x = this;
        return o.Record(op, new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            for (int p = 0; p < outer; p++)
                for (int q = 0; q < inner; q++)
                    gx[(p * len + idx[p * inner + q]) * inner + q] = gy[p * inner + q];
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>Maximum along an axis; the gradient goes to the first maximal element (as torch.max(dim)).</summary>
    public Tensor Max(int axis, bool keepDim = false) => ExtremumAlong(axis, keepDim, true, "Max", out _);
    /// <summary>Minimum along an axis; the gradient goes to the first minimal element.</summary>
    public Tensor Min(int axis, bool keepDim = false) => ExtremumAlong(axis, keepDim, false, "Min", out _);
    /// <summary>Maximum of all elements; ties share the gradient evenly (as torch.max() without a dim).</summary>
    public Tensor Max() => ExtremumAll(true, "Max");
    /// <summary>Minimum of all elements; ties share the gradient evenly.</summary>
    public Tensor Min() => ExtremumAll(false, "Min");

    Tensor ExtremumAll(bool max, string op)
    {
        if (Size == 0) throw new ArgumentException($"{op}: tensor of shape {ShapeMath.Format(shape)} is empty");
        float best = max ? TensorPrimitives.Max(data) : TensorPrimitives.Min(data);   // NaN propagates
        var o = Scalar(best);
        var x = this;
        return o.Record(op, new[] { this }, gy =>
        {   // gy spread evenly over the elements equal to the result (NaNs when it is NaN)
            bool nan = float.IsNaN(best);
            int count = 0;
            foreach (var v in x.data) if (nan ? float.IsNaN(v) : v == best) count++;
            var gx = TensorScope.Zeroed(x.Size);
            float share = gy[0] / count;
            for (int i = 0; i < gx.Length; i++) if (nan ? float.IsNaN(x.data[i]) : x.data[i] == best) gx[i] = share;
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>Standard deviation √Var over <paramref name="axes"/> (unbiased by default, as torch.std).</summary>
    public Tensor Std(int[] axes, bool keepDim = false, int correction = 1) => Var(axes, keepDim, correction).Sqrt();
    public Tensor Std(int axis, bool keepDim = false, int correction = 1) => Var(axis, keepDim, correction).Sqrt();
    public Tensor Std() => Var().Sqrt();

    /// <summary>Index of the first maximum along an axis, as a tensor of (integral) floats; not differentiable.</summary>
    public Tensor ArgMax(int axis, bool keepDim = false)
    {
        using var _ = NoGrad();
        ExtremumAlong(axis, keepDim, true, "ArgMax", out var idx);
        axis = ShapeMath.NormalizeAxis(axis, shape, "ArgMax");
        var o = new Tensor(TensorScope.Zeroed(idx.Length), AxisOutShape(axis, keepDim));
        for (int i = 0; i < idx.Length; i++) o.data[i] = idx[i];
        return o;
    }

    /// <summary>Index of the first minimum along an axis.</summary>
    public Tensor ArgMin(int axis, bool keepDim = false)
    {
        using var _ = NoGrad();
        ExtremumAlong(axis, keepDim, false, "ArgMin", out var idx);
        axis = ShapeMath.NormalizeAxis(axis, shape, "ArgMin");
        var o = new Tensor(TensorScope.Zeroed(idx.Length), AxisOutShape(axis, keepDim));
        for (int i = 0; i < idx.Length; i++) o.data[i] = idx[i];
        return o;
    }

    /// <summary>log Σ exp(x) along an axis, computed stably as m + log Σ exp(x − m); d/dx = softmax(x).</summary>
    public Tensor LogSumExp(int axis, bool keepDim = false)
    {
        axis = ShapeMath.NormalizeAxis(axis, shape, "LogSumExp");
        var (outer, len, inner) = Split(axis);
        var o = new Tensor(TensorScope.Zeroed(outer * inner), AxisOutShape(axis, keepDim));
        SoftmaxKernel.LogSumExp(data, outer, len, inner, o.data);
        var x = this;
        return o.Record("LogSumExp", new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            for (int p = 0; p < outer; p++)
                for (int k = 0; k < len; k++)
                    for (int q = 0; q < inner; q++)
                    {
                        int i = (p * len + k) * inner + q;
                        gx[i] = gy[p * inner + q] * MathF.Exp(x.data[i] - o.data[p * inner + q]);
                    }
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>softmax(x)_i = exp(x_i − LSE(x)); backward gx = y ⊙ (gy − Σ gy ⊙ y).</summary>
    public Tensor Softmax(int axis)
    {
        axis = ShapeMath.NormalizeAxis(axis, shape, "Softmax");
        var (outer, len, inner) = Split(axis);
        var y = new Tensor(TensorScope.Zeroed(Size), shape);
        SoftmaxKernel.Softmax(data, outer, len, inner, y.data, log: false);
        var x = this;
        return y.Record("Softmax", new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            SoftmaxKernel.SoftmaxBackward(y.data, gy, outer, len, inner, gx, log: false);
            x.AccumulateGrad(gx);
        });
    }

    /// <summary>log softmax(x) = x − LSE(x); backward gx = gy − softmax ⊙ Σ gy.</summary>
    public Tensor LogSoftmax(int axis)
    {
        axis = ShapeMath.NormalizeAxis(axis, shape, "LogSoftmax");
        var (outer, len, inner) = Split(axis);
        var y = new Tensor(TensorScope.Zeroed(Size), shape);
        SoftmaxKernel.Softmax(data, outer, len, inner, y.data, log: true);
        var x = this;
        return y.Record("LogSoftmax", new[] { this }, gy =>
        {
            var gx = TensorScope.Zeroed(x.Size);
            SoftmaxKernel.SoftmaxBackward(y.data, gy, outer, len, inner, gx, log: true);
            x.AccumulateGrad(gx);
        });
    }
}
