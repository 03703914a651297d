using Nabla.Models;
using Nabla.NN;
using Nabla.Tests.Support;
using static Nabla.Tests.Support.OnnxRuntimeCheck;

namespace Nabla.Tests.Models;

/// <summary>Every exported model, run in ONNX Runtime at batch 1 and 16, gives Nabla's forward to 1e-5·max(1, |y|).</summary>
public class ModelOnnxExportTests(Xunit.Abstractions.ITestOutputHelper log)
{
    static readonly int[] Batches = { 1, 16 };

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void ClassifiersMatch(string arch)
    {
        var gen = new Generator(3);
        var net = Classifier.Create(arch, gen);
        Perturb(net, gen);
        net.Eval();
        var bytes = ClassifierOnnxExport.ToOnnx(net, arch).ToBytes();
        foreach (int b in Batches)
        {
            var x = Classifier.TakesFlatInput(arch) ? Tensor.Rand(gen, b, 784) : Tensor.Rand(gen, b, 1, 28, 28);
            Tensor y; using (Tensor.NoGrad()) y = net.Forward(x);
            AssertMatches(bytes, y, Input.Of("images", x));
        }
    }

    [Fact]
    public void FashionClassifierMatches()
    {
        var gen = new Generator(4);
        var net = new FashionClassifier(gen: gen);
        var bytes = net.ToOnnx().ToBytes();
        foreach (int b in Batches)
        {
            var x = Tensor.Rand(gen, b, 1, 28, 28);
            Tensor y; using (Tensor.NoGrad()) y = net.Forward(x);
            AssertMatches(bytes, y, Input.Of("images", x));
        }
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("conv")]
    public void VaeDecodersMatch(string arch)
    {
        var gen = new Generator(5);
        var vae = VariationalAutoencoder.Create(arch, gen: gen);
        var bytes = vae.DecoderToOnnx().ToBytes();
        foreach (int b in Batches)
        {
            var z = Tensor.Randn(gen, b, vae.LatentDim);
            Tensor y; using (Tensor.NoGrad()) y = vae.Decode(z);
            AssertMatches(bytes, y, Input.Of("z", z));
        }
    }

    public static TheoryData<string> UNetConfigs => new() { "workload", "conditional-attention-nearest", "heads-blocks" };

    static UNetConfig Config(string name) => name switch
    {
        "workload" => UNet.DdpmWorkloadConfig(),
        "conditional-attention-nearest" => new UNetConfig
        {
            BaseChannels = 16, ChannelMults = new[] { 1, 2 }, Groups = 4, SinusoidalDim = 32, TimeEmbedDim = 64,
            AttentionLevels = new[] { 2 }, MidAttention = true, NumClasses = 10, Upsample = UpsampleMode.NearestConv,
        },
        "heads-blocks" => new UNetConfig
        {
            ImageSize = 16, InChannels = 2, BaseChannels = 16, ChannelMults = new[] { 1, 2, 2 }, ResBlocksPerLevel = 2, Groups = 8,
            SinusoidalDim = 16, TimeEmbedDim = 32, AttentionLevels = new[] { 1, 3 }, AttentionHeads = 2, MidAttention = true, NumClasses = 3,
        },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(UNetConfigs))]
    public void UNetMatches(string config)
    {
        var gen = new Generator(6);
        var cfg = Config(config);
        var model = new UNet(cfg, gen);
        Perturb(model, gen);
        var bytes = model.ToOnnx().ToBytes();
        foreach (int b in Batches)
        {
            var x = Tensor.Randn(gen, b, cfg.InChannels, cfg.ImageSize, cfg.ImageSize);
            var steps = Enumerable.Range(0, b).Select(i => i == 0 ? 999f : (float)Math.Floor(gen.NextDouble() * 1000)).ToArray();
            var t = new Tensor(steps, b);
            var inputs = new List<Input> { Input.Of("x", x), Input.Of("t", t) };
            Tensor? labels = null;
            if (cfg.NumClasses > 0)
            {
                var l = Enumerable.Range(0, b).Select(i => (long)(i % (cfg.NumClasses + 1))).ToArray();   // every class and "no label"
                labels = new Tensor(l.Select(v => (float)v).ToArray(), b);
                inputs.Add(Input.Of("labels", l));
            }
            Tensor y; using (Tensor.NoGrad()) y = model.Forward(x, t, labels);
            double d = AssertMatches(bytes, y, inputs.ToArray());
            log.WriteLine($"{config}, batch {b}: max |ONNX Runtime − Nabla| = {d:G3}, max |y| = {y.Data.ToArray().Max(MathF.Abs):G3}");
        }
    }

    [Fact]
    public void ExportWritesAFileOnnxRuntimeLoads()
    {
        var model = UNet.DdpmWorkload(numClasses: 10, gen: new Generator(7));
        string path = Path.Combine(Path.GetTempPath(), $"nabla-unet-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path);
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
            Assert.Equal(new[] { "x", "t", "labels" }, session.InputNames);
            Assert.Equal("eps", Assert.Single(session.OutputNames));
        }
        finally { File.Delete(path); }
    }
}
