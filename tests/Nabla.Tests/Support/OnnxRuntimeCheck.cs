using Microsoft.ML.OnnxRuntime;

namespace Nabla.Tests.Support;

/// <summary>Runs an exported ONNX model in ONNX Runtime and compares its output with Nabla's forward.</summary>
public static class OnnxRuntimeCheck
{
    /// <summary>An input of the model: float values, or int64 values when <paramref name="Longs"/> is set.</summary>
    public sealed record Input(string Name, int[] Shape, float[]? Floats = null, long[]? Longs = null)
    {
        public static Input Of(string name, Tensor t) => new(name, t.Shape, Floats: t.Data.ToArray());
        public static Input Of(string name, long[] values) => new(name, new[] { values.Length }, Longs: values);
    }

    /// <summary>Moves 1-D parameters (biases, norm scales) and running statistics off their initial values so they matter.</summary>
    public static void Perturb(Nabla.NN.Module m, Generator gen)
    {
        foreach (var (_, p) in m.NamedParameters())
            if (p.Rank == 1) { var r = Tensor.Randn(gen, p.Size).Data; for (int i = 0; i < p.Size; i++) p.Data[i] += 0.3f * r[i]; }
        foreach (var (name, b) in m.NamedBuffers())
            if (name.EndsWith("running_mean")) gen.FillNormal(b.Data, 0f, 0.2f);
            else if (name.EndsWith("running_var")) gen.FillUniform(b.Data, 0.5f, 2f);
    }

    /// <summary>The first output of the model on the given inputs, with its shape.</summary>
    public static (float[] Values, long[] Shape) Run(byte[] model, params Input[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var values = new List<OrtValue>();
        try
        {
            var feed = new Dictionary<string, OrtValue>();
            foreach (var i in inputs)
            {
                var shape = i.Shape.Select(d => (long)d).ToArray();
                var v = i.Longs != null ? OrtValue.CreateTensorValueFromMemory(i.Longs, shape) : OrtValue.CreateTensorValueFromMemory(i.Floats!, shape);
                values.Add(v);
                feed[i.Name] = v;
            }
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, feed, session.OutputNames);
            var o = outputs[0];
            return (o.GetTensorDataAsSpan<float>().ToArray(), o.GetTensorTypeAndShape().Shape);
        }
        finally { foreach (var v in values) v.Dispose(); }
    }

    /// <summary>
    /// Asserts that ONNX Runtime's output has Nabla's shape and max |diff| ≤ 1e-5·max(1, max |y|); returns max |diff|.
    /// </summary>
    public static double AssertMatches(byte[] model, Tensor expected, params Input[] inputs)
    {
        var (values, shape) = Run(model, inputs);
        Assert.Equal(expected.Shape.Select(d => (long)d).ToArray(), shape);
        var y = expected.Data;
        double maxDiff = 0, maxY = 0;
        for (int i = 0; i < y.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(values[i] - y[i]));
            maxY = Math.Max(maxY, Math.Abs(y[i]));
        }
        Assert.True(maxDiff <= 1e-5 * Math.Max(1, maxY), $"ONNX Runtime differs from Nabla by {maxDiff:G3} (max |y| = {maxY:G3})");
        return maxDiff;
    }
}
