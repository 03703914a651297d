using Nabla.NN;

namespace Nabla.IO.Onnx;

/// <summary>
/// ONNX nodes for Nabla's layers in evaluation mode: Linear (Gemm), Conv2d, ConvTranspose2d, pooling, activations
/// (SiLU as Sigmoid·Mul), Flatten, Dropout (identity), BatchNorm folded into y = x·s + t with
/// s = γ/√(σ²_run + ε), t = β − μ_run·s, GroupNorm, nearest Upsample, and Sequential containers of them.
/// Weights become initializers under their state-dict names (the <c>name</c> argument is the module's prefix).
/// Anything else throws <see cref="NotSupportedException"/> naming the module.
/// </summary>
public static class OnnxLayerExport
{
    /// <summary>Appends the nodes of <paramref name="module"/> applied to <paramref name="x"/> and returns its output.</summary>
    public static OnnxValue Apply(OnnxGraph g, Module module, OnnxValue x, string name = "")
    {
        ArgumentNullException.ThrowIfNull(g); ArgumentNullException.ThrowIfNull(module); ArgumentNullException.ThrowIfNull(x);
        string P(string member) => name.Length == 0 ? member : $"{name}.{member}";
        switch (module)
        {
            case Sequential seq:
                foreach (var (childName, child) in seq.NamedChildren()) x = Apply(g, child, x, P(childName));
                return x;
            case Linear l:
                if (x.Shape[^1] != l.InFeatures) throw Mismatch(module, name, x);
                return g.Linear(x, g.Initializer(P("weight"), l.Weight), l.Bias != null ? g.Initializer(P("bias"), l.Bias) : null, l.OutFeatures);
            case Conv2d c:
                return g.Conv(x, g.Initializer(P("weight"), c.Weight), c.Bias != null ? g.Initializer(P("bias"), c.Bias) : null,
                    OutShape(module, name, x), c.KernelSize, c.Stride, c.Padding, c.Dilation, c.Groups);
            case ConvTranspose2d t:
                return g.ConvTranspose(x, g.Initializer(P("weight"), t.Weight), t.Bias != null ? g.Initializer(P("bias"), t.Bias) : null,
                    OutShape(module, name, x), t.KernelSize, t.Stride, t.Padding, t.OutputPadding, t.Dilation, t.Groups);
            case MaxPool2d mp:
                return g.MaxPool(x, OutShape(module, name, x), mp.KernelSize, mp.Stride, mp.Padding, mp.Dilation);
            case AvgPool2d ap:
                return g.AveragePool(x, OutShape(module, name, x), ap.KernelSize, ap.Stride, ap.Padding, ap.CountIncludePad);
            case ReLU: return g.Relu(x);
            case Sigmoid: return g.Sigmoid(x);
            case Tanh: return g.Tanh(x);
            case SiLU: return g.Silu(x);
            case LeakyReLU lr: return g.LeakyRelu(x, lr.NegativeSlope);
            case Identity: case Dropout: return x;
            case Flatten f when f.StartDim == 0 || f.StartDim == -x.Rank: throw Unsupported(module, name, "flattening the batch axis");
            case Flatten: return g.Reshape(x, OutShape(module, name, x));
            case Softmax sm: return g.Softmax(x, sm.Dim < 0 ? sm.Dim + x.Rank : sm.Dim);
            case BatchNormBase bn: return FoldedBatchNorm(g, bn, x, name);
            case GroupNorm gn:
                OutShape(module, name, x);
                return g.GroupNorm(x, gn.NumGroups, gn.Weight != null ? g.Initializer(P("weight"), gn.Weight) : null,
                    gn.Bias != null ? g.Initializer(P("bias"), gn.Bias) : null, gn.Eps);
            case Upsample up when up.Mode == InterpolationMode.Nearest:
                return g.ResizeNearest(x, OutShape(module, name, x));
            case Upsample: throw Unsupported(module, name, "only nearest upsampling is exported");
            default:
                throw Unsupported(module, name);
        }
    }

    /// <summary>The direct submodule of <paramref name="parent"/> registered as <paramref name="name"/> (its state-dict prefix).</summary>
    public static Module Child(Module parent, string name) =>
        parent.NamedChildren().FirstOrDefault(c => c.Key == name).Value
        ?? throw new ArgumentException($"ONNX export: {parent.GetType().Name} has no submodule '{name}'");

    /// <summary>The exception for a module the ONNX export has no rule for.</summary>
    public static NotSupportedException Unsupported(Module module, string name, string? why = null) =>
        new($"ONNX export: {Describe(module, name)} is not supported{(why != null ? $" ({why})" : "")}");

    static string Describe(Module module, string name) => name.Length == 0 ? module.GetType().Name : $"{module.GetType().Name} '{name}'";

    static ArgumentException Mismatch(Module module, string name, OnnxValue x) =>
        new($"ONNX export: {Describe(module, name)} cannot take an input of shape {ShapeMath.Format(x.Shape)}");

    /// <summary>
    /// The output shape of a layer for input x, found by running Nabla's own forward once on zeros of batch 1 (so the
    /// export and the library agree on every size); dimension 0 is carried over.
    /// </summary>
    public static int[] OutShape(Module module, string name, OnnxValue x)
    {
        var probeShape = (int[])x.Shape.Clone(); probeShape[0] = 1;
        int[] s;
        using (Tensor.NoGrad())
        {
            try { s = module.Forward(Tensor.Zeros(probeShape)).Shape; }
            catch (ArgumentException e) { throw new ArgumentException($"ONNX export: {Describe(module, name)} rejects an input of shape {ShapeMath.Format(x.Shape)}: {e.Message}", e); }
        }
        s[0] = x.Shape[0];
        return s;
    }

    static OnnxValue FoldedBatchNorm(OnnxGraph g, BatchNormBase bn, OnnxValue x, string name)
    {
        if (!bn.TrackRunningStats) throw Unsupported(bn, name, "without running statistics it normalizes by batch statistics even in evaluation");
        if (x.Rank < 2 || x.Shape[1] != bn.NumFeatures) throw Mismatch(bn, name, x);
        int c = bn.NumFeatures;
        var scale = new float[c]; var shift = new float[c];
        var mean = bn.RunningMean!.Data; var variance = bn.RunningVar!.Data;
        for (int i = 0; i < c; i++)
        {
            float gamma = bn.Weight?.Data[i] ?? 1f, beta = bn.Bias?.Data[i] ?? 0f;
            scale[i] = gamma / MathF.Sqrt(variance[i] + bn.Eps);
            shift[i] = beta - mean[i] * scale[i];
        }
        var channelShape = new int[x.Rank - 1]; Array.Fill(channelShape, 1); channelShape[0] = c;
        string prefix = name.Length == 0 ? "" : name + ".";
        var y = g.Mul(x, g.Initializer(prefix + "folded_scale", scale, channelShape));
        return g.Add(y, g.Initializer(prefix + "folded_shift", shift, channelShape));
    }

    /// <summary>
    /// A one-input, one-output model: input <paramref name="inputName"/> [batch, sampleShape…], output
    /// <paramref name="outputName"/>; evaluation mode is used (the module's mode is restored afterwards).
    /// </summary>
    public static OnnxGraph Export(Module module, int[] sampleShape, string graphName = "nabla", string inputName = "input", string outputName = "output")
    {
        ArgumentNullException.ThrowIfNull(module); ArgumentNullException.ThrowIfNull(sampleShape);
        bool wasTraining = module.Training;
        module.Eval();
        try
        {
            var g = new OnnxGraph(graphName);
            var x = g.Input(inputName, OnnxElementType.Float, new[] { 1 }.Concat(sampleShape).ToArray());
            g.Output(Apply(g, module, x), outputName);
            return g;
        }
        finally { module.Train(wasTraining); }
    }
}
