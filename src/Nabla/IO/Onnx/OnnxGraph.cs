using System.Globalization;

namespace Nabla.IO.Onnx;

/// <summary>Element types of ONNX tensors (TensorProto.DataType).</summary>
public enum OnnxElementType { Float = 1, Int64 = 7 }

/// <summary>A named value of the graph being built and its shape; dimension 0 is the dynamic batch axis "batch".</summary>
public sealed record OnnxValue(string Name, int[] Shape)
{
    public int Rank => Shape.Length;
}

/// <summary>One node attribute (AttributeProto): an int, ints, a float or a string.</summary>
public sealed record OnnxAttribute(string Name, long? Int = null, long[]? Ints = null, float? Float = null, string? Text = null)
{
    public static OnnxAttribute Of(string name, long v) => new(name, Int: v);
    public static OnnxAttribute Of(string name, params long[] v) => new(name, Ints: v);
    public static OnnxAttribute Of(string name, float v) => new(name, Float: v);
    public static OnnxAttribute Of(string name, string v) => new(name, Text: v);

    internal ProtoWriter Encode()
    {
        // AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7).
        var w = new ProtoWriter().String(1, Name);
        if (Int is long i) w.Int(3, i).Int(20, 2);
        else if (Ints is long[] a) w.PackedInts(8, a).Int(20, 7);
        else if (Float is float f) w.Float(2, f).Int(20, 1);
        else if (Text is string s) w.String(4, s).Int(20, 3);
        else throw new InvalidOperationException($"ONNX attribute '{Name}' has no value");
        return w;
    }
}

/// <summary>
/// An ONNX graph under construction (opset <see cref="Opset"/>, IR version 8), written by hand as protobuf
/// (ModelProto → GraphProto → NodeProto / TensorProto / ValueInfoProto): inputs, initializers (weights under their
/// state-dict names), nodes in topological order, outputs. Every tensor is float32 unless said otherwise; dimension 0
/// of inputs and outputs is the symbolic batch axis "batch".
/// </summary>
public sealed partial class OnnxGraph
{
    /// <summary>The ONNX operator set the exporters target (GroupNorm as InstanceNormalization between reshapes).</summary>
    public const int Opset = 17;
    const long IrVersion = 8;
    public const string BatchAxis = "batch";

    readonly List<ProtoWriter> nodes = new(), initializers = new(), inputs = new(), outputs = new();
    readonly HashSet<string> names = new();
    readonly Dictionary<string, string> constants = new();
    int counter;

    public string Name { get; }
    public OnnxGraph(string name) => Name = name;

    /// <summary>A fresh value name based on <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        string n = hint;
        while (!names.Add(n)) n = $"{hint}_{++counter}";
        return n;
    }

    /// <summary>Declares a graph input of the given element type; <paramref name="shape"/>[0] is the dynamic batch axis.</summary>
    public OnnxValue Input(string name, OnnxElementType type, params int[] shape)
    {
        if (!names.Add(name)) throw new ArgumentException($"ONNX graph '{Name}': the name '{name}' is already used");
        inputs.Add(ValueInfo(name, type, shape));
        return new OnnxValue(name, shape);
    }

    /// <summary>Declares <paramref name="value"/> as a graph output named <paramref name="name"/> (an Identity node renames it).</summary>
    public void Output(OnnxValue value, string name, OnnxElementType type = OnnxElementType.Float)
    {
        if (value.Name != name)
        {
            if (!names.Add(name)) throw new ArgumentException($"ONNX graph '{Name}': the output name '{name}' is already used");
            AddNode("Identity", new[] { value.Name }, new[] { name });
        }
        outputs.Add(ValueInfo(name, type, value.Shape));
    }

    /// <summary>A float initializer (a weight) of the given shape under <paramref name="name"/> (made unique if taken).</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, params int[] shape)
    {
        if (data.Length != ShapeMath.Size(shape)) throw new ArgumentException($"ONNX initializer '{name}': {data.Length} values for shape {ShapeMath.Format(shape)}");
        string n = Fresh(name);
        var raw = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(4 * i), data[i]);
        initializers.Add(TensorProto(n, OnnxElementType.Float, shape, raw));
        return n;
    }

    /// <summary>A float initializer holding a tensor's values under <paramref name="name"/>.</summary>
    public string Initializer(string name, Tensor t) => Initializer(name, t.Data, t.Shape);

    /// <summary>An int64 initializer (shapes, axes, indices).</summary>
    public string Int64Initializer(string name, long[] data, params int[] shape)
    {
        string n = Fresh(name);
        var raw = new byte[data.Length * 8];
        for (int i = 0; i < data.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(8 * i), data[i]);
        initializers.Add(TensorProto(n, OnnxElementType.Int64, shape, raw));
        return n;
    }

    /// <summary>A shared 1-D int64 constant (e.g. axes, a target shape), created once per distinct content.</summary>
    public string Int64s(params long[] values)
    {
        string key = "i64:" + string.Join(",", values);
        if (!constants.TryGetValue(key, out var n))
            constants[key] = n = Int64Initializer("const_" + string.Join("_", values).Replace('-', 'm'), values, values.Length);
        return n;
    }

    /// <summary>A shared float constant of the given shape, filled with <paramref name="value"/>.</summary>
    public string FloatConstant(float value, params int[] shape)
    {
        string key = $"f32:{value.ToString("R", CultureInfo.InvariantCulture)}:{string.Join("x", shape)}";
        if (!constants.TryGetValue(key, out var n))
        {
            var d = new float[ShapeMath.Size(shape)]; Array.Fill(d, value);
            constants[key] = n = Initializer($"const_f{constants.Count}", d, shape);
        }
        return n;
    }

    /// <summary>Appends a node; its inputs must already exist ("" for an omitted optional input).</summary>
    public void AddNode(string opType, string[] inputNames, string[] outputNames, params OnnxAttribute[] attributes)
    {
        // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
        var w = new ProtoWriter();
        foreach (var i in inputNames) w.String(1, i);
        foreach (var o in outputNames) w.String(2, o);
        w.String(3, $"{opType}_{nodes.Count}").String(4, opType);
        foreach (var a in attributes) w.Message(5, a.Encode());
        nodes.Add(w);
    }

    /// <summary>Appends a one-output node and returns its output (named after <paramref name="hint"/>) with <paramref name="shape"/>.</summary>
    public OnnxValue Op(string opType, string hint, int[] shape, string[] inputNames, params OnnxAttribute[] attributes)
    {
        string o = Fresh(hint);
        AddNode(opType, inputNames, new[] { o }, attributes);
        return new OnnxValue(o, shape);
    }

    /// <summary>The serialized ModelProto.</summary>
    public byte[] ToBytes(string producer = "Nabla", string? docString = null)
    {
        // GraphProto: node 1, name 2, initializer 5, input 11, output 12.
        var g = new ProtoWriter();
        foreach (var n in nodes) g.Message(1, n);
        g.String(2, Name);
        foreach (var t in initializers) g.Message(5, t);
        foreach (var i in inputs) g.Message(11, i);
        foreach (var o in outputs) g.Message(12, o);
        // ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8 (domain 1, version 2).
        var m = new ProtoWriter().Int(1, IrVersion).String(2, producer)
            .String(3, typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "0");
        if (docString != null) m.String(6, docString);
        m.Message(7, g).Message(8, new ProtoWriter().String(1, "").Int(2, Opset));
        return m.ToArray();
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically.</summary>
    public void Save(string path, string? docString = null) => AtomicFile.WriteAllBytes(path, ToBytes(docString: docString));

    static ProtoWriter TensorProto(string name, OnnxElementType type, int[] shape, byte[] raw)
    {
        // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian).
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export writes little-endian raw data");
        return new ProtoWriter().PackedInts(1, shape.Select(d => (long)d)).Int(2, (int)type).String(8, name).Bytes(9, raw);
    }

    static ProtoWriter ValueInfo(string name, OnnxElementType type, int[] shape)
    {
        // ValueInfoProto: name 1, type 2; TypeProto.tensor_type 1; Tensor: elem_type 1, shape 2;
        // TensorShapeProto.dim 1; Dimension: dim_value 1, dim_param 2.
        var dims = new ProtoWriter();
        for (int i = 0; i < shape.Length; i++)
            dims.Message(1, i == 0 ? new ProtoWriter().String(2, BatchAxis) : new ProtoWriter().Int(1, shape[i]));
        var tensorType = new ProtoWriter().Int(1, (int)type).Message(2, dims);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
