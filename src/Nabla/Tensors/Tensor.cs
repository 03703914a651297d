using System.Globalization;
using System.Text;

namespace Nabla;

/// <summary>
/// A dense, row-major, contiguous float32 tensor with an optional autograd node.
/// Ops return new tensors; when gradients are enabled and an input requires a gradient, the output records
/// how to send its gradient back (see <see cref="Backward"/>).
/// </summary>
public sealed partial class Tensor
{
    internal readonly float[] data;
    internal readonly int[] shape;

    /// <summary>Creates a tensor over <paramref name="data"/> (not copied) with the given shape.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        int n = ShapeMath.Size(shape);
        if (n != data.Length)
            throw new ArgumentException($"Tensor: {data.Length} values cannot have shape {ShapeMath.Format(shape)} ({n} elements)");
        this.data = data;
        this.shape = (int[])shape.Clone();
    }

    /// <summary>The dimensions, outermost first.</summary>
    public int[] Shape => (int[])shape.Clone();
    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;
    /// <summary>Number of elements.</summary>
    public int Size => data.Length;
    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Dim(int axis) => shape[ShapeMath.NormalizeAxis(axis, shape, "Dim")];

    /// <summary>The storage, row-major. Writing to it bypasses autograd: do so only outside recorded graphs.</summary>
    public Span<float> Data => data;
    /// <summary>A copy of the values.</summary>
    public float[] ToArray() => (float[])data.Clone();
    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (data.Length != 1) throw new InvalidOperationException($"Item: tensor of shape {ShapeMath.Format(shape)} has {data.Length} elements, not 1");
        return data[0];
    }

    /// <summary>Element at a full index (negative indices count from the end).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => data[Offset(index)];
        set => data[Offset(index)] = value;
    }

    int Offset(int[] index)
    {
        if (index.Length != shape.Length)
            throw new ArgumentException($"indexer: {index.Length} indices for a tensor of shape {ShapeMath.Format(shape)}");
        int off = 0;
        for (int i = 0; i < index.Length; i++)
        {
            int k = index[i] < 0 ? index[i] + shape[i] : index[i];
            if ((uint)k >= (uint)shape[i])
                throw new IndexOutOfRangeException($"indexer: index {index[i]} is out of range for dimension {i} of shape {ShapeMath.Format(shape)}");
            off = off * shape[i] + k;
        }
        return off;
    }

    // ------------------------------------------------------------------ creation
    public static Tensor Zeros(params int[] shape) => new(new float[ShapeMath.Size(shape)], shape);
    public static Tensor Ones(params int[] shape) => Full(1f, shape);
    public static Tensor Full(float value, params int[] shape)
    {
        var d = new float[ShapeMath.Size(shape)];
        Array.Fill(d, value);
        return new Tensor(d, shape);
    }
    public static Tensor Scalar(float value) => new(new[] { value });
    public static Tensor ZerosLike(Tensor t) => Zeros(t.shape);
    public static Tensor OnesLike(Tensor t) => Ones(t.shape);

    /// <summary>A copy of <paramref name="values"/> with the given shape (1-D when no shape is given).</summary>
    public static Tensor FromArray(float[] values, params int[] shape)
        => new((float[])values.Clone(), shape.Length == 0 ? new[] { values.Length } : shape);

    /// <summary>A tensor from a rectangular 2-D array.</summary>
    public static Tensor FromArray(float[,] values)
    {
        int r = values.GetLength(0), c = values.GetLength(1);
        var d = new float[r * c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) d[i * c + j] = values[i, j];
        return new Tensor(d, r, c);
    }

    /// <summary>
    /// Values start, start+step, … below end (above it for a negative step). Computed in double from the decimal
    /// values the floats print as, so Arange(0, 0.3f, 0.1f) has 3 elements, as torch.arange(0, 0.3, 0.1).
    /// </summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || !float.IsFinite(step) || !float.IsFinite(start) || !float.IsFinite(end))
            throw new ArgumentException($"Arange: start {start}, end {end} and step {step} must be finite and step non-zero");
        double s = Decimal(start), e = Decimal(end), h = Decimal(step);
        double count = Math.Ceiling((e - s) / h);
        if (count > Array.MaxLength) throw new ArgumentException($"Arange: {count} elements is too many");
        long n = Math.Max(0, (long)count);
        var d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float)(s + i * h);
        return new Tensor(d, (int)n);
    }

    static double Decimal(float v) => double.Parse(v.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor Linspace(float start, float end, int steps)
    {
        if (steps < 0) throw new ArgumentException($"Linspace: steps must be non-negative, got {steps}");
        var d = new float[steps];
        double h = steps > 1 ? (end - (double)start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++) d[i] = (float)(start + i * h);
        if (steps > 1) d[^1] = end;
        return new Tensor(d, steps);
    }

    /// <summary>Uniform [0, 1) values from <paramref name="gen"/>.</summary>
    public static Tensor Rand(Generator gen, params int[] shape) { var t = Zeros(shape); gen.FillUniform(t.data, 0f, 1f); return t; }
    /// <summary>Uniform [low, high) values.</summary>
    public static Tensor Uniform(Generator gen, float low, float high, params int[] shape) { var t = Zeros(shape); gen.FillUniform(t.data, low, high); return t; }
    /// <summary>Standard normal values.</summary>
    public static Tensor Randn(Generator gen, params int[] shape) { var t = Zeros(shape); gen.FillNormal(t.data, 0f, 1f); return t; }

    /// <summary>As <see cref="Randn"/>, for noise consumed within the current step: its storage belongs to the open
    /// <see cref="TensorScope"/>, if any (the same values as Randn).</summary>
    internal static Tensor RandnTemp(Generator gen, int[] shape)
    {
        var t = new Tensor(TensorScope.Uninit(ShapeMath.Size(shape)), shape);
        gen.FillNormal(t.data, 0f, 1f);
        return t;
    }
    /// <summary>Integers uniform in [low, high), stored as floats (labels, indices).</summary>
    public static Tensor Randint(Generator gen, int low, int high, params int[] shape)
    {
        var t = Zeros(shape);
        var tmp = new int[t.Size];
        gen.FillInt(tmp, low, high);
        for (int i = 0; i < tmp.Length; i++) t.data[i] = tmp[i];
        return t;
    }

    /// <summary>A deep copy that records a gradient edge (as torch's clone()).</summary>
    public Tensor Clone() => Unary.Apply(this, "Clone", static (x, y) => x.CopyTo(y), static (x, y, gy, gx) => gy.CopyTo(gx));

    // ------------------------------------------------------------------ printing
    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        if (data.Length > 1000) sb.Append("<").Append(data.Length).Append(" values>");
        else if (shape.Length == 0) sb.Append(Fmt(data[0]));
        else Append(sb, 0, 0, 7);
        sb.Append(", shape=").Append(ShapeMath.Format(shape));
        if (RequiresGrad) sb.Append(", requires_grad=True");
        else if (node != null) sb.Append(", grad_fn=").Append(node.Op);
        return sb.Append(')').ToString();
    }

    /// <summary>Up to 4 decimals; scientific notation for tiny or huge magnitudes; nan/inf spelled as PyTorch.</summary>
    static string Fmt(float v)
    {
        if (float.IsNaN(v)) return "nan";
        if (float.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        float a = MathF.Abs(v);
        if (a != 0 && (a < 1e-4f || a >= 1e6f)) return v.ToString("0.####e+00", CultureInfo.InvariantCulture);
        return v.ToString("0.####", CultureInfo.InvariantCulture);
    }

    void Append(StringBuilder sb, int dim, int offset, int indent)
    {
        int n = shape[dim];
        int stride = 1;
        for (int i = dim + 1; i < shape.Length; i++) stride *= shape[i];
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (i > 0) { sb.Append(','); if (dim < shape.Length - 1) sb.Append('\n').Append(' ', indent + dim + 1); else sb.Append(' '); }
            if (dim == shape.Length - 1) sb.Append(Fmt(data[offset + i]));
            else Append(sb, dim + 1, offset + i * stride, indent);
        }
        sb.Append(']');
    }
}
