using System.CommandLine;
using Nabla.Cli.Commands;
using Nabla.Diffusion;
using Nabla.IO;
using Nabla.Models;
using Nabla.Tests.Diffusion;
using Nabla.Tests.Support;
using static Nabla.Tests.Support.OnnxRuntimeCheck;

namespace Nabla.Tests.Cli;

/// <summary>`ddpm export`, `mlp export`, `vae export`: checkpoint in, ONNX file out that ONNX Runtime runs as Nabla does.</summary>
public sealed class ExportCommandsTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("nabla-export-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    static int Run(Command export, params string[] args)
    {
        var root = new RootCommand("test");
        root.Subcommands.Add(export);
        return root.Parse(new[] { "export" }.Concat(args).ToArray()).Invoke();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DdpmExportUsesTheEmaWeightsUnlessAskedForTheRawOnes(bool raw)
    {
        var cfg = DdpmTrainerTests.TinyConfig();
        var trained = new UNet(cfg, new Generator(1));
        var ema = new UNet(cfg, new Generator(2));
        string ck = Path.Combine(dir, "checkpoint.safetensors"), onnx = Path.Combine(dir, "unet.onnx");
        new DdpmCheckpoint
        {
            Config = cfg, Options = new DdpmTrainingOptions(), Model = trained.StateDict(), Ema = ema.StateDict(),
            Optimizer = new Dictionary<string, Tensor>(), Losses = Array.Empty<float>(),
        }.Write(ck);
        Assert.Equal(0, Run(ExportCommands.Ddpm(), raw ? new[] { "--checkpoint", ck, "--onnx", onnx, "--raw-weights" } : new[] { "--checkpoint", ck, "--onnx", onnx }));
        var x = Tensor.Randn(new Generator(3), 2, 1, 8, 8);
        var t = new Tensor(new[] { 10f, 500f }, 2);
        Tensor y; using (Tensor.NoGrad()) y = (raw ? trained : ema).Forward(x, t, new Tensor(new[] { 1f, 3f }, 2));
        AssertMatches(File.ReadAllBytes(onnx), y, Input.Of("x", x), Input.Of("t", t), Input.Of("labels", new long[] { 1, 3 }));
    }

    [Fact]
    public void MlpExportReadsTheArchitectureFromTheCheckpoint()
    {
        var net = Classifier.Create("cnn", new Generator(4));
        net.Eval();
        string ck = Path.Combine(dir, "cnn.safetensors"), onnx = Path.Combine(dir, "cnn.onnx");
        net.SaveSafetensors(ck, Classifier.Metadata("cnn"));
        Assert.Equal(0, Run(ExportCommands.Mlp(), "--checkpoint", ck, "--onnx", onnx));
        var x = Tensor.Rand(new Generator(5), 3, 1, 28, 28);
        Tensor y; using (Tensor.NoGrad()) y = net.Forward(x);
        AssertMatches(File.ReadAllBytes(onnx), y, Input.Of("images", x));
    }

    [Fact]
    public void VaeExportWritesTheDecoder()
    {
        var vae = VariationalAutoencoder.Create("conv", gen: new Generator(6));
        string ck = Path.Combine(dir, "vae.safetensors"), onnx = Path.Combine(dir, "vae.onnx");
        vae.SaveSafetensors(ck, vae.Metadata());
        Assert.Equal(0, Run(ExportCommands.Vae(), "--checkpoint", ck, "--onnx", onnx));
        var z = Tensor.Randn(new Generator(7), 4, vae.LatentDim);
        Tensor y; using (Tensor.NoGrad()) y = vae.Decode(z);
        AssertMatches(File.ReadAllBytes(onnx), y, Input.Of("z", z));
    }

    [Fact]
    public void AMissingCheckpointIsAOneLineError()
    {
        string onnx = Path.Combine(dir, "never.onnx");
        Assert.Equal(2, Run(ExportCommands.Vae(), "--checkpoint", Path.Combine(dir, "none.safetensors"), "--onnx", onnx));
        Assert.False(File.Exists(onnx));
    }
}
