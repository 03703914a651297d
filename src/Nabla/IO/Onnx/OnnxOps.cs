namespace Nabla.IO.Onnx;

/// <summary>
/// Typed builders for the ONNX operators the exporters use; each returns the output value with its shape
/// (dimension 0, the batch, is carried along as given).
/// </summary>
public sealed partial class OnnxGraph
{
    static OnnxAttribute A(string n, long v) => OnnxAttribute.Of(n, v);
    static OnnxAttribute A(string n, params long[] v) => OnnxAttribute.Of(n, v);

    /// <summary>A shape-preserving one-input operator (Sin, Cos, Exp, …).</summary>
    public OnnxValue Unary(string opType, OnnxValue x) => Op(opType, opType.ToLowerInvariant(), x.Shape, new[] { x.Name });

    public OnnxValue Relu(OnnxValue x) => Op("Relu", "relu", x.Shape, new[] { x.Name });
    public OnnxValue Sigmoid(OnnxValue x) => Op("Sigmoid", "sigmoid", x.Shape, new[] { x.Name });
    public OnnxValue Tanh(OnnxValue x) => Op("Tanh", "tanh", x.Shape, new[] { x.Name });
    public OnnxValue LeakyRelu(OnnxValue x, float slope) => Op("LeakyRelu", "leaky_relu", x.Shape, new[] { x.Name }, OnnxAttribute.Of("alpha", slope));

    /// <summary>SiLU(x) = x·σ(x) as Sigmoid then Mul.</summary>
    public OnnxValue Silu(OnnxValue x) => Op("Mul", "silu", x.Shape, new[] { x.Name, Sigmoid(x).Name });

    /// <summary>Elementwise a + b (NumPy broadcasting; the result takes a's shape).</summary>
    public OnnxValue Add(OnnxValue a, OnnxValue b) => Op("Add", "add", a.Shape, new[] { a.Name, b.Name });
    public OnnxValue Add(OnnxValue a, string b) => Op("Add", "add", a.Shape, new[] { a.Name, b });
    public OnnxValue Mul(OnnxValue a, string b) => Op("Mul", "mul", a.Shape, new[] { a.Name, b });

    /// <summary>y = x·Wᵀ + b for x [B, in] (Gemm with transB), W [out, in].</summary>
    public OnnxValue Linear(OnnxValue x, string weight, string? bias, int outFeatures)
    {
        var shape = x.Shape[..^1].Append(outFeatures).ToArray();
        if (x.Rank == 2)
            return Op("Gemm", "linear", shape, bias != null ? new[] { x.Name, weight, bias } : new[] { x.Name, weight }, A("transB", 1));
        var wt = Op("Transpose", "weight_t", Array.Empty<int>(), new[] { weight }, A("perm", 1, 0));
        var y = Op("MatMul", "linear", shape, new[] { x.Name, wt.Name });
        return bias != null ? Add(y, bias) : y;
    }

    /// <summary>2-D convolution; weight [Cout, Cin/groups, kh, kw].</summary>
    public OnnxValue Conv(OnnxValue x, string weight, string? bias, int[] outShape, (int h, int w) kernel, (int h, int w) stride,
        (int h, int w) padding, (int h, int w) dilation, int groups) =>
        Op("Conv", "conv", outShape, bias != null ? new[] { x.Name, weight, bias } : new[] { x.Name, weight },
            A("kernel_shape", kernel.h, kernel.w), A("strides", stride.h, stride.w), A("pads", padding.h, padding.w, padding.h, padding.w),
            A("dilations", dilation.h, dilation.w), A("group", groups));

    /// <summary>2-D transposed convolution; weight [Cin, Cout/groups, kh, kw] (PyTorch's layout is ONNX's).</summary>
    public OnnxValue ConvTranspose(OnnxValue x, string weight, string? bias, int[] outShape, (int h, int w) kernel, (int h, int w) stride,
        (int h, int w) padding, (int h, int w) outputPadding, (int h, int w) dilation, int groups) =>
        Op("ConvTranspose", "conv_transpose", outShape, bias != null ? new[] { x.Name, weight, bias } : new[] { x.Name, weight },
            A("kernel_shape", kernel.h, kernel.w), A("strides", stride.h, stride.w), A("pads", padding.h, padding.w, padding.h, padding.w),
            A("output_padding", outputPadding.h, outputPadding.w), A("dilations", dilation.h, dilation.w), A("group", groups));

    /// <summary>Reshape keeping the batch: the target is [0 (= copy the batch), shape[1..]].</summary>
    public OnnxValue Reshape(OnnxValue x, params int[] shape)
    {
        var target = new long[shape.Length];
        target[0] = 0;
        for (int i = 1; i < shape.Length; i++) target[i] = shape[i];
        return Op("Reshape", "reshape", shape, new[] { x.Name, Int64s(target) });
    }

    /// <summary>Concatenation along <paramref name="axis"/> (&gt; 0).</summary>
    public OnnxValue Concat(int axis, params OnnxValue[] xs)
    {
        var shape = (int[])xs[0].Shape.Clone();
        shape[axis] = xs.Sum(v => v.Shape[axis]);
        return Op("Concat", "concat", shape, xs.Select(v => v.Name).ToArray(), A("axis", axis));
    }

    public OnnxValue Transpose(OnnxValue x, params int[] perm) =>
        Op("Transpose", "transpose", perm.Select(p => x.Shape[p]).ToArray(), new[] { x.Name }, A("perm", perm.Select(p => (long)p).ToArray()));

    /// <summary>Batched matrix product of [.., m, k] and [.., k, n].</summary>
    public OnnxValue MatMul(OnnxValue a, OnnxValue b) => Op("MatMul", "matmul", a.Shape[..^1].Append(b.Shape[^1]).ToArray(), new[] { a.Name, b.Name });

    public OnnxValue Softmax(OnnxValue x, int axis) => Op("Softmax", "softmax", x.Shape, new[] { x.Name }, A("axis", axis));

    /// <summary>x[…, start:end, …] along <paramref name="axis"/>.</summary>
    public OnnxValue Slice(OnnxValue x, int axis, int start, int end)
    {
        var shape = (int[])x.Shape.Clone(); shape[axis] = end - start;
        return Op("Slice", "slice", shape, new[] { x.Name, Int64s(start), Int64s(end), Int64s(axis) });
    }

    public OnnxValue Unsqueeze(OnnxValue x, params int[] axes)
    {
        var shape = x.Shape.ToList();
        foreach (var a in axes.OrderBy(a => a)) shape.Insert(a, 1);
        return Op("Unsqueeze", "unsqueeze", shape.ToArray(), new[] { x.Name, Int64s(axes.Select(a => (long)a).ToArray()) });
    }

    /// <summary>Max pooling (floor mode).</summary>
    public OnnxValue MaxPool(OnnxValue x, int[] outShape, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding, (int h, int w) dilation) =>
        Op("MaxPool", "max_pool", outShape, new[] { x.Name }, A("kernel_shape", kernel.h, kernel.w), A("strides", stride.h, stride.w),
            A("pads", padding.h, padding.w, padding.h, padding.w), A("dilations", dilation.h, dilation.w));

    /// <summary>Average pooling (floor mode).</summary>
    public OnnxValue AveragePool(OnnxValue x, int[] outShape, (int h, int w) kernel, (int h, int w) stride, (int h, int w) padding, bool countIncludePad) =>
        Op("AveragePool", "avg_pool", outShape, new[] { x.Name }, A("kernel_shape", kernel.h, kernel.w), A("strides", stride.h, stride.w),
            A("pads", padding.h, padding.w, padding.h, padding.w), A("count_include_pad", countIncludePad ? 1 : 0));

    /// <summary>Nearest-neighbour resize by integer factors (PyTorch's "nearest": source index ⌊i/s⌋).</summary>
    public OnnxValue ResizeNearest(OnnxValue x, int[] outShape)
    {
        var scales = FloatConstantValues(outShape.Select((d, i) => i < 2 ? 1f : (float)d / x.Shape[i]).ToArray());
        return Op("Resize", "resize", outShape, new[] { x.Name, "", scales }, OnnxAttribute.Of("mode", "nearest"),
            OnnxAttribute.Of("coordinate_transformation_mode", "asymmetric"), OnnxAttribute.Of("nearest_mode", "floor"));
    }

    string FloatConstantValues(float[] values) => Initializer("const_scales", values, values.Length);

    /// <summary>
    /// GroupNorm of x [B, C, *]: x̂ per (sample, group) with biased variance, then γ_c·x̂ + β_c — as opset 17 has no
    /// GroupNormalization: Reshape to [B, G, −1], InstanceNormalization (scale 1, bias 0), Reshape back, Mul γ, Add β.
    /// </summary>
    public OnnxValue GroupNorm(OnnxValue x, int groups, string? weight, string? bias, float eps)
    {
        int c = x.Shape[1];
        var grouped = Op("Reshape", "group_view", new[] { x.Shape[0], groups, ShapeMath.Size(x.Shape.AsSpan(1)) / groups }, new[] { x.Name, Int64s(0, groups, -1) });
        var norm = Op("InstanceNormalization", "group_norm", grouped.Shape,
            new[] { grouped.Name, FloatConstant(1f, groups), FloatConstant(0f, groups) }, OnnxAttribute.Of("epsilon", eps));
        var shapeOfX = Op("Shape", "shape", new[] { x.Rank }, new[] { x.Name });
        var y = Op("Reshape", "group_norm_out", x.Shape, new[] { norm.Name, shapeOfX.Name });
        var channelShape = new int[x.Rank - 1]; Array.Fill(channelShape, 1); channelShape[0] = c;
        if (weight != null) y = Mul(y, Reshaped(weight, channelShape));
        if (bias != null) y = Add(y, Reshaped(bias, channelShape));
        return y;
    }

    /// <summary>A per-channel parameter viewed with trailing unit axes, e.g. [C] as [C, 1, 1] (a Reshape node).</summary>
    public string Reshaped(string value, int[] shape) =>
        Op("Reshape", value + "_view", shape, new[] { value, Int64s(shape.Select(d => (long)d).ToArray()) }).Name;

    /// <summary>Rows of a [N, D] table for int64 indices [B]: Gather along axis 0.</summary>
    public OnnxValue Gather(string table, OnnxValue indices, int dim) =>
        Op("Gather", "gather", new[] { indices.Shape[0], dim }, new[] { table, indices.Name }, A("axis", 0));
}
