using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla;

public sealed partial class Tensor
{
    // ------------------------------------------------------------------ broadcast binary ops
    /// <summary>
    /// z = a ∘ b under NumPy broadcasting. The gradient of a broadcast input is the output gradient summed back
    /// over the broadcast dimensions (<see cref="SumToShape"/>), the one rule every binary op shares.
    /// </summary>
    static Tensor BinaryOp(Tensor a, Tensor b, BinaryOp op, string name)
    {
        var oShape = ShapeMath.Broadcast(a.shape, b.shape, name);
        var o = new Tensor(TensorScope.Uninit(ShapeMath.Size(oShape)), oShape);   // every element written below
        StridedLoops.Binary(op, a.data, ShapeMath.BroadcastStrides(a.shape, oShape), b.data, ShapeMath.BroadcastStrides(b.shape, oShape), o.data, oShape);
        return o.Record(name, new[] { a, b }, gy => BinaryBackward(op, a, b, o, gy));
    }

    /// <summary>g·(some broadcast operand) materialized at the output shape.</summary>
    static float[] Combine(float[] g, int[] gShape, Tensor t, BinaryOp op)
    {
        var r = TensorScope.Uninit(g.Length);   // every element written below
        StridedLoops.Binary(op, g, StridedLoops.ContiguousStrides(gShape), t.data, ShapeMath.BroadcastStrides(t.shape, gShape), r, gShape);
        return r;
    }

    static void BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor o, float[] gy)
    {
        var s = o.shape;
        switch (op)
        {
            case Kernels.BinaryOp.Add:
                if (a.TracksGrad) a.AccumulateGrad(SumToShape(gy, s, a.shape, copy: true));
                if (b.TracksGrad) b.AccumulateGrad(SumToShape(gy, s, b.shape, copy: true));
                break;
            case Kernels.BinaryOp.Sub:
                if (a.TracksGrad) a.AccumulateGrad(SumToShape(gy, s, a.shape, copy: true));
                if (b.TracksGrad) { var g = SumToShape(gy, s, b.shape, copy: true); TensorPrimitives.Negate(g, g); b.AccumulateGrad(g); }
                break;
            case Kernels.BinaryOp.Mul:
                if (a.TracksGrad) a.AccumulateGrad(SumToShape(Combine(gy, s, b, Kernels.BinaryOp.Mul), s, a.shape));
                if (b.TracksGrad) b.AccumulateGrad(SumToShape(Combine(gy, s, a, Kernels.BinaryOp.Mul), s, b.shape));
                break;
            case Kernels.BinaryOp.Div:
                if (a.TracksGrad) a.AccumulateGrad(SumToShape(Combine(gy, s, b, Kernels.BinaryOp.Div), s, a.shape));
                if (b.TracksGrad)
                {   // ∂(a/b)/∂b = −(a/b)/b = −o/b
                    var t = TensorScope.Uninit(gy.Length);
                    TensorPrimitives.Multiply(gy, o.data, t);
                    var g = Combine(t, s, b, Kernels.BinaryOp.Div);
                    TensorPrimitives.Negate(g, g);
                    b.AccumulateGrad(SumToShape(g, s, b.shape));
                }
                break;
            case Kernels.BinaryOp.Pow:
                {
                    var av = Materialize(a, s); var bv = Materialize(b, s);
                    if (a.TracksGrad)
                    {   // ∂a^b/∂a = b·a^(b−1)
                        var g = TensorScope.Zeroed(gy.Length);
                        for (int i = 0; i < g.Length; i++) g[i] = gy[i] * (bv[i] == 0 ? 0f : bv[i] * MathF.Pow(av[i], bv[i] - 1));
                        a.AccumulateGrad(SumToShape(g, s, a.shape));
                    }
                    if (b.TracksGrad)
                    {   // ∂a^b/∂b = a^b·ln a (0 where a = 0 and b ≥ 0, as PyTorch)
                        var g = TensorScope.Zeroed(gy.Length);
                        for (int i = 0; i < g.Length; i++) g[i] = av[i] == 0 && bv[i] >= 0 ? 0f : gy[i] * o.data[i] * MathF.Log(av[i]);
                        b.AccumulateGrad(SumToShape(g, s, b.shape));
                    }
                    break;
                }
            case Kernels.BinaryOp.Max:
            case Kernels.BinaryOp.Min:
                {   // as PyTorch: ties split the gradient evenly; a strictly losing side gets none (with a NaN, both sides get it)
                    var av = Materialize(a, s); var bv = Materialize(b, s);
                    var ga = TensorScope.Zeroed(gy.Length); var gb = TensorScope.Zeroed(gy.Length);
                    bool max = op == Kernels.BinaryOp.Max;
                    for (int i = 0; i < gy.Length; i++)
                    {
                        float x = av[i], y = bv[i];
                        if (x == y) { ga[i] = gb[i] = 0.5f * gy[i]; continue; }
                        bool aLoses = max ? x < y : x > y, bLoses = max ? y < x : y > x;
                        ga[i] = aLoses ? 0f : gy[i];
                        gb[i] = bLoses ? 0f : gy[i];
                    }
                    if (a.TracksGrad) a.AccumulateGrad(SumToShape(ga, s, a.shape));
                    if (b.TracksGrad) b.AccumulateGrad(SumToShape(gb, s, b.shape));
                    break;
                }
        }
    }

    /// <summary>The values of <paramref name="t"/> broadcast to <paramref name="shape"/>, as a fresh array.</summary>
    internal static float[] Materialize(Tensor t, int[] shape)
    {
        var r = TensorScope.Zeroed(ShapeMath.Size(shape));
        StridedLoops.Expand(t.data, ShapeMath.BroadcastStrides(t.shape, shape), r, shape);
        return r;
    }

    /// <summary>Sums <paramref name="g"/> (of shape <paramref name="gShape"/>) over the dimensions broadcast from <paramref name="target"/>.</summary>
    internal static float[] SumToShape(float[] g, int[] gShape, int[] target, bool copy = false)
    {
        if (gShape.AsSpan().SequenceEqual(target)) return copy ? (float[])g.Clone() : g;
        var o = TensorScope.Zeroed(ShapeMath.Size(target));
        StridedLoops.SumInto(g, gShape, o, ShapeMath.BroadcastStrides(target, gShape));
        return o;
    }

    public static Tensor Add(Tensor a, Tensor b) => BinaryOp(a, b, Kernels.BinaryOp.Add, "Add");
    public static Tensor Sub(Tensor a, Tensor b) => BinaryOp(a, b, Kernels.BinaryOp.Sub, "Sub");
    public static Tensor Mul(Tensor a, Tensor b) => BinaryOp(a, b, Kernels.BinaryOp.Mul, "Mul");
    public static Tensor Div(Tensor a, Tensor b) => BinaryOp(a, b, Kernels.BinaryOp.Div, "Div");
    /// <summary>a^b elementwise, broadcast.</summary>
    public static Tensor Pow(Tensor a, Tensor b) => BinaryOp(a, b, Kernels.BinaryOp.Pow, "Pow");
    /// <summary>Elementwise maximum (a NaN propagates, as torch.maximum); ties split the gradient.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => BinaryOp(a, b, Kernels.BinaryOp.Max, "Maximum");
    /// <summary>Elementwise minimum (a NaN propagates, as torch.minimum); ties split the gradient.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => BinaryOp(a, b, Kernels.BinaryOp.Min, "Minimum");

    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);
    public static Tensor operator -(Tensor a) => a.Neg();

    // ------------------------------------------------------------------ tensor–scalar ops
    public static Tensor operator +(Tensor a, float s) => Unary.Apply(a, "AddScalar", (x, y) => TensorPrimitives.Add(x, s, y), static (x, y, gy, gx) => gy.CopyTo(gx));
    public static Tensor operator +(float s, Tensor a) => a + s;
    public static Tensor operator -(Tensor a, float s) => a + (-s);
    public static Tensor operator -(float s, Tensor a) => Unary.Apply(a, "RSubScalar", (x, y) => TensorPrimitives.Subtract(s, x, y), static (x, y, gy, gx) => TensorPrimitives.Negate(gy, gx));
    public static Tensor operator *(Tensor a, float s) => Unary.Apply(a, "MulScalar", (x, y) => TensorPrimitives.Multiply(x, s, y), (x, y, gy, gx) => TensorPrimitives.Multiply(gy, s, gx));
    public static Tensor operator *(float s, Tensor a) => a * s;
    public static Tensor operator /(Tensor a, float s) => Unary.Apply(a, "DivScalar", (x, y) => TensorPrimitives.Divide(x, s, y), (x, y, gy, gx) => TensorPrimitives.Divide(gy, s, gx));
    /// <summary>s/x; d/dx = −s/x².</summary>
    public static Tensor operator /(float s, Tensor a) => Unary.Apply(a, "RDivScalar", (x, y) => TensorPrimitives.Divide(s, x, y),
        (x, y, gy, gx) => { TensorPrimitives.Multiply(x, x, gx); TensorPrimitives.Divide(gy, gx, gx); TensorPrimitives.Multiply(gx, -s, gx); });

    // ------------------------------------------------------------------ unary math
    public Tensor Neg() => Unary.Apply(this, "Neg", static (x, y) => TensorPrimitives.Negate(x, y), static (x, y, gy, gx) => TensorPrimitives.Negate(gy, gx));
    /// <summary>eˣ; d/dx = eˣ.</summary>
    public Tensor Exp() => Unary.Apply(this, "Exp", static (x, y) => TensorPrimitives.Exp(x, y), static (x, y, gy, gx) => TensorPrimitives.Multiply(gy, y, gx));
    /// <summary>ln x; d/dx = 1/x.</summary>
    public Tensor Log() => Unary.Apply(this, "Log", static (x, y) => TensorPrimitives.Log(x, y), static (x, y, gy, gx) => TensorPrimitives.Divide(gy, x, gx));
    /// <summary>√x; d/dx = 1/(2√x).</summary>
    public Tensor Sqrt() => Unary.Apply(this, "Sqrt", static (x, y) => TensorPrimitives.Sqrt(x, y),
        static (x, y, gy, gx) => { TensorPrimitives.Divide(gy, y, gx); TensorPrimitives.Multiply(gx, 0.5f, gx); });
    /// <summary>|x|; d/dx = sign(x) (0 at 0, as PyTorch).</summary>
    public Tensor Abs() => Unary.Apply(this, "Abs", static (x, y) => TensorPrimitives.Abs(x, y),
        static (x, y, gy, gx) => Kernels.Activation.AbsBackward(x, gy, gx));
    /// <summary>x^p for a constant exponent; d/dx = p·x^(p−1).</summary>
    public Tensor Pow(float p) => Unary.Apply(this, "PowScalar", (x, y) => TensorPrimitives.Pow(x, p, y),
        (x, y, gy, gx) => { if (p == 0) { gx.Clear(); return; } TensorPrimitives.Pow(x, p - 1, gx); TensorPrimitives.Multiply(gx, p, gx); TensorPrimitives.Multiply(gx, gy, gx); });
    /// <summary>x²; d/dx = 2x.</summary>
    public Tensor Square() => Unary.Apply(this, "Square", static (x, y) => TensorPrimitives.Multiply(x, x, y),
        static (x, y, gy, gx) => { TensorPrimitives.Multiply(x, gy, gx); TensorPrimitives.Multiply(gx, 2f, gx); });
    /// <summary>min(max(x, lo), hi); the gradient passes where lo ≤ x ≤ hi.</summary>
    public Tensor Clamp(float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} is greater than max {max}");
        return Unary.Apply(this, "Clamp", (x, y) => TensorPrimitives.Clamp(x, min, max, y),
            (x, y, gy, gx) => Kernels.Activation.ClampBackward(x, gy, gx, min, max));
    }
    /// <summary>sin x; d/dx = cos x.</summary>
    public Tensor Sin() => Unary.Apply(this, "Sin", static (x, y) => TensorPrimitives.Sin(x, y),
        static (x, y, gy, gx) => { TensorPrimitives.Cos(x, gx); TensorPrimitives.Multiply(gx, gy, gx); });
    /// <summary>cos x; d/dx = −sin x.</summary>
    public Tensor Cos() => Unary.Apply(this, "Cos", static (x, y) => TensorPrimitives.Cos(x, y),
        static (x, y, gy, gx) => { TensorPrimitives.Sin(x, gx); TensorPrimitives.Multiply(gx, gy, gx); TensorPrimitives.Negate(gx, gx); });
    /// <summary>1/x; d/dx = −1/x² = −y².</summary>
    public Tensor Reciprocal() => Unary.Apply(this, "Reciprocal", static (x, y) => TensorPrimitives.Divide(1f, x, y),
        static (x, y, gy, gx) => { TensorPrimitives.Multiply(y, y, gx); TensorPrimitives.Multiply(gx, gy, gx); TensorPrimitives.Negate(gx, gx); });
    /// <summary>1/√x; d/dx = −½·x^(−3/2) = −½·y³.</summary>
    public Tensor Rsqrt() => Unary.Apply(this, "Rsqrt", static (x, y) => { TensorPrimitives.Sqrt(x, y); TensorPrimitives.Divide(1f, y, y); },
        static (x, y, gy, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] = -0.5f * y[i] * y[i] * y[i] * gy[i]; });
    /// <summary>sign(x) ∈ {−1, 0, 1} (NaN stays NaN); its gradient is zero everywhere, as PyTorch.</summary>
    public Tensor Sign() => Unary.Apply(this, "Sign",
        static (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = x[i] > 0 ? 1f : x[i] < 0 ? -1f : x[i]; },
        static (x, y, gy, gx) => gx.Clear());

    public Tensor Maximum(Tensor other) => Maximum(this, other);
    public Tensor Minimum(Tensor other) => Minimum(this, other);
}
