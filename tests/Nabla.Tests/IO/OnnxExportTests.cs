using Nabla.IO.Onnx;
using Nabla.NN;
using Nabla.Tests.Support;

namespace Nabla.Tests.IO;

public class OnnxExportTests
{
    [Fact]
    public void ProtobufVarintsAndFieldsAreEncodedAsTheWireFormatSays()
    {
        // Field 1 = 300 → key 0x08, varint AC 02; field 2 = −1 → key 0x10 and ten bytes; field 3 float 1.0 → 0x1D 00 00 80 3F.
        var b = new ProtoWriter().Int(1, 300).Int(2, -1).Float(3, 1f).String(4, "ab").ToArray();
        Assert.Equal(new byte[] { 0x08, 0xAC, 0x02, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x1D, 0, 0, 0x80, 0x3F, 0x22, 2, (byte)'a', (byte)'b' }, b);
        Assert.Equal(new byte[] { 0x0A, 3, 1, 0x80, 0x01 }, new ProtoWriter().PackedInts(1, new long[] { 1, 128 }).ToArray());
    }

    static void CheckAtBatches(Module m, int[] sample, Generator gen)
    {
        m.Eval();
        var bytes = OnnxLayerExport.Export(m, sample).ToBytes();
        foreach (int batch in new[] { 1, 16 })
        {
            var x = Tensor.Randn(gen, new[] { batch }.Concat(sample).ToArray());
            Tensor y;
            using (Tensor.NoGrad()) y = m.Forward(x);
            OnnxRuntimeCheck.AssertMatches(bytes, y, OnnxRuntimeCheck.Input.Of("input", x));
        }
    }

    [Fact]
    public void DenseLayersAndActivationsRunInOnnxRuntimeAsInNabla()
    {
        var gen = new Generator(1);
        var m = new Sequential(new Linear(12, 20, gen: gen), new ReLU(), new Linear(20, 16, gen: gen), new Tanh(), new Dropout(0.5f),
            new Linear(16, 16, gen: gen), new SiLU(), new Linear(16, 8, bias: false, gen: gen), new LeakyReLU(0.1f), new Sigmoid(), new Identity(), new Softmax(-1));
        OnnxRuntimeCheck.Perturb(m, gen);
        CheckAtBatches(m, new[] { 12 }, gen);
    }

    [Fact]
    public void ConvolutionPoolingNormalizationAndResizeRunInOnnxRuntimeAsInNabla()
    {
        var gen = new Generator(2);
        var m = new Sequential(
            new Conv2d(3, 8, 3, padding: 1, bias: false, gen: gen), new BatchNorm2d(8), new ReLU(),
            new Conv2d(8, 8, 3, stride: 2, padding: 1, gen: gen), new GroupNorm(4, 8), new SiLU(),
            new MaxPool2d(2), new Upsample(2.0), new AvgPool2d(2),
            new ConvTranspose2d(8, 6, 4, stride: 2, padding: 1, gen: gen), new ReLU(),
            new Flatten(), new Linear(6 * 8 * 8, 5, gen: gen), new BatchNorm1d(5));
        OnnxRuntimeCheck.Perturb(m, gen);
        CheckAtBatches(m, new[] { 3, 16, 16 }, gen);
    }

    [Fact]
    public void AnUnsupportedModuleFailsWithItsNameAndPath()
    {
        var m = new Sequential(new Linear(4, 4), new Sequential(new ReLU(), new LayerNorm(4)));
        var e = Assert.Throws<NotSupportedException>(() => OnnxLayerExport.Export(m, new[] { 4 }));
        Assert.Contains("LayerNorm '1.1'", e.Message);
        var up = new Sequential(new Upsample(2.0, InterpolationMode.Bilinear));
        Assert.Contains("Upsample '0'", Assert.Throws<NotSupportedException>(() => OnnxLayerExport.Export(up, new[] { 1, 4, 4 })).Message);
        var bn = new Sequential(new BatchNorm1d(4, trackRunningStats: false));
        Assert.Contains("BatchNorm1d '0'", Assert.Throws<NotSupportedException>(() => OnnxLayerExport.Export(bn, new[] { 4 })).Message);
    }

    [Fact]
    public void AWrongInputShapeIsNamed()
    {
        var m = new Sequential(new Linear(4, 4));
        var e = Assert.Throws<ArgumentException>(() => OnnxLayerExport.Export(m, new[] { 5 }));
        Assert.Contains("Linear '0'", e.Message);
    }

    [Fact]
    public void TheModelDeclaresADynamicBatchAxisAndOpset17()
    {
        var bytes = OnnxLayerExport.Export(new Sequential(new Linear(3, 2)), new[] { 3 }).ToBytes();
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(bytes);
        Assert.Equal(-1, session.InputMetadata["input"].Dimensions[0]);
        Assert.Equal("batch", session.InputMetadata["input"].SymbolicDimensions[0]);
        Assert.Equal(2, session.OutputMetadata["output"].Dimensions[1]);
        Assert.Equal(17, OnnxGraph.Opset);
    }
}
